"""Env throughput: batched AlgorithmicTradingEnv steps/s and the single-env gym adapter.

Prints one JSON line per measurement plus a summary line. Bounded by ``--seconds`` per case.
Usage: python bench/envs_throughput.py [--device cpu|cuda] [--num-envs 4096] [--seconds 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
import torch
from trademaster.envs.algorithmic import AlgorithmicTradingEnv
from trademaster.envs.gym_adapter import GymEnv
from trademaster.market.costs import CostModel


def _series(steps: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, steps)))
    return {
        "close": close,
        "open_": close * (1.0 + rng.normal(0.0, 0.002, steps)),
        "features": rng.normal(size=(steps, 5)).astype(np.float32),
    }


def _env(num_envs: int, device: str, money: torch.dtype) -> AlgorithmicTradingEnv:
    data = _series(2000)
    return AlgorithmicTradingEnv(
        data["close"],
        data["features"],
        open_=data["open_"],
        num_envs=num_envs,
        window=10,
        episode_length=200,
        cost_model=CostModel(fee_rate=0.001),
        money_dtype=money,
        device=device,
    )


def _machine(device: str) -> str:
    name = torch.cuda.get_device_name() if device == "cuda" else platform.processor() or "cpu"
    return f"{platform.node()}:{device}:{name}:threads={torch.get_num_threads()}"


def bench_vector(num_envs: int, device: str, money: torch.dtype, seconds: float) -> dict:
    env = _env(num_envs, device, money)
    env.reset(seed=0)
    actions = torch.randint(0, 3, (64, num_envs), device=device)
    with torch.inference_mode():
        for i in range(50):
            env.step(actions[i % 64])
        steps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for i in range(64):
                env.step(actions[i])
            steps += 64
        if device == "cuda":
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - start
    return {
        "bench": f"envs_algorithmic_vec_{str(money).removeprefix('torch.')}",
        "value": steps * num_envs / elapsed,
        "unit": "env_steps/s",
        "n": steps * num_envs,
        "machine": _machine(device),
        "num_envs": num_envs,
    }


def bench_gym(seconds: float) -> dict:
    env = GymEnv(_env(1, "cpu", torch.float64))
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    actions = rng.integers(0, 3, 1024).tolist()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                env.reset()
        steps += len(actions)
    elapsed = time.perf_counter() - start
    return {
        "bench": "envs_algorithmic_gym_single",
        "value": steps / elapsed,
        "unit": "env_steps/s",
        "n": steps,
        "machine": _machine("cpu"),
        "num_envs": 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--num-envs", type=int, default=4096)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = [
        bench_vector(args.num_envs, args.device, torch.float32, args.seconds),
        bench_vector(args.num_envs, args.device, torch.float64, args.seconds),
        bench_gym(args.seconds),
    ]
    for row in results:
        print(json.dumps(row))
    print(
        json.dumps(
            {
                "summary": "envs_throughput",
                "vec_float32_Msteps_s": round(results[0]["value"] / 1e6, 2),
                "vec_float64_Msteps_s": round(results[1]["value"] / 1e6, 2),
                "gym_single_steps_s": round(results[2]["value"]),
                "goal_vec_Msteps_s": 20,
                "goal_gym_steps_s": 500_000,
            }
        )
    )


if __name__ == "__main__":
    main()
