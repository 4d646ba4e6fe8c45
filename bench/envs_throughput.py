"""Env throughput: batched AlgorithmicTradingEnv steps/s and the single-env gym adapter.

The machine is shared, so cases are interleaved: each round gives every case one window of
``--seconds``; after ``--repeats`` rounds one JSON line per case and torch thread count gives the
median (``value``) and best window in wall time, the median rate per CPU second of this process
(what the code costs when the machine is oversubscribed), the settings and the load average.
The torch-backend and tensor-gym cases are the in-run baselines for the numpy backend and the
scalar gym path; the summary line gives the goals and the ratios against them.
Usage: python bench/envs_throughput.py [--device cpu|cuda] [--num-envs 4096] [--seconds 0.25]
       [--repeats 12] [--threads 1,2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from trademaster.envs.algorithmic import AlgorithmicTradingEnv
from trademaster.envs.gym_adapter import GymEnv
from trademaster.market.costs import CostModel

WINDOW, FEATURES, STEPS, EPISODE = 10, 5, 2000, 200


def _series(steps: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, steps)))
    return {
        "close": close,
        "open_": close * (1.0 + rng.normal(0.0, 0.002, steps)),
        "features": rng.normal(size=(steps, FEATURES)).astype(np.float32),
    }


def _env(
    num_envs: int, device: str, money: torch.dtype, backend: str = "auto"
) -> AlgorithmicTradingEnv:
    data = _series(STEPS)
    return AlgorithmicTradingEnv(
        data["close"],
        data["features"],
        open_=data["open_"],
        num_envs=num_envs,
        window=WINDOW,
        episode_length=EPISODE,
        cost_model=CostModel(fee_rate=0.001),
        money_dtype=money,
        device=device,
        array_backend=backend,  # type: ignore[arg-type]
    )


def _machine(device: str) -> str:
    name = torch.cuda.get_device_name() if device == "cuda" else platform.processor() or "cpu"
    return f"{platform.node()}:{device}:{name}:cores={os.cpu_count()}"


def _window(run: Callable[[], int], seconds: float) -> tuple[float, float]:
    """Items per wall second and per CPU second of this process over about ``seconds``.

    ``run`` does one batch and returns its item count. On a shared, oversubscribed machine the
    CPU-second rate is what the code costs; the wall rate also counts time spent preempted.
    """
    items, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        items += run()
    cpu = max(time.process_time() - cpu_start, 1e-9)
    return items / (time.perf_counter() - start), items / cpu


def vector_runner(num_envs: int, device: str, money: torch.dtype, backend: str) -> Callable:
    env = _env(num_envs, device, money, backend)
    env.reset(seed=0)
    actions = torch.randint(0, 3, (64, num_envs), device=device)

    def run() -> int:
        with torch.inference_mode():
            for i in range(64):
                env.step(actions[i])
        if device == "cuda":
            torch.cuda.synchronize()
        return 64 * num_envs

    return run


def gym_runner(backend: str) -> Callable:
    env = GymEnv(_env(1, "cpu", torch.float64, backend))
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 3, 1024).tolist()

    def run() -> int:
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                env.reset()
        return len(actions)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--num-envs", type=int, default=4096)
    parser.add_argument("--seconds", type=float, default=0.25)
    parser.add_argument("--repeats", type=int, default=12)
    parser.add_argument("--threads", default="1,2", help="comma-separated torch thread counts")
    args = parser.parse_args()
    fast_backend = "numpy" if args.device == "cpu" else "torch"
    cases = {
        "envs_algorithmic_vec_float32": lambda: vector_runner(
            args.num_envs, args.device, torch.float32, fast_backend
        ),
        "envs_algorithmic_vec_float64": lambda: vector_runner(
            args.num_envs, args.device, torch.float64, fast_backend
        ),
        "envs_algorithmic_vec_float64_torch_backend": lambda: vector_runner(
            args.num_envs, args.device, torch.float64, "torch"
        ),
        "envs_algorithmic_gym_single": lambda: gym_runner("numpy"),
        "envs_algorithmic_gym_single_tensor_path": lambda: gym_runner("torch"),
    }
    best: dict[str, float] = {}
    per_cpu: dict[str, float] = {}
    for threads in (int(x) for x in args.threads.split(",")):
        torch.set_num_threads(threads)
        runners = {name: make() for name, make in cases.items()}
        for run in runners.values():
            _window(run, 0.1)
        rates: dict[str, list[tuple[float, float]]] = {name: [] for name in runners}
        for _ in range(args.repeats):
            for name, run in runners.items():
                rates[name].append(_window(run, args.seconds))
        for name, pairs in rates.items():
            values = [wall for wall, _ in pairs]
            single = "gym" in name
            row = {
                "bench": name,
                "value": statistics.median(values),
                "best": max(values),
                "per_cpu_second": statistics.median(cpu for _, cpu in pairs),
                "unit": "env_steps/s",
                "n": args.repeats,
                "machine": _machine(args.device),
                "num_envs": 1 if single else args.num_envs,
                "window": WINDOW,
                "features": FEATURES,
                "dtype": "float64" if single or "float64" in name else "float32",
                "threads": threads,
                "loadavg_1m": round(os.getloadavg()[0], 2),
            }
            print(json.dumps(row), flush=True)
            best[name] = max(best.get(name, 0.0), max(values))
            per_cpu[name] = max(per_cpu.get(name, 0.0), row["per_cpu_second"])
    print(
        json.dumps(
            {
                "summary": "envs_throughput",
                "best_vec_float32_Msteps_s": round(best["envs_algorithmic_vec_float32"] / 1e6, 2),
                "best_vec_float64_Msteps_s": round(best["envs_algorithmic_vec_float64"] / 1e6, 2),
                "vec_float64_speedup_vs_torch_backend": round(
                    best["envs_algorithmic_vec_float64"]
                    / best["envs_algorithmic_vec_float64_torch_backend"],
                    2,
                ),
                "vec_float64_Msteps_per_cpu_s": round(
                    per_cpu["envs_algorithmic_vec_float64"] / 1e6, 2
                ),
                "best_gym_single_steps_s": round(best["envs_algorithmic_gym_single"]),
                "gym_single_steps_per_cpu_s": round(per_cpu["envs_algorithmic_gym_single"]),
                "gym_speedup_vs_tensor_path": round(
                    best["envs_algorithmic_gym_single"]
                    / best["envs_algorithmic_gym_single_tensor_path"],
                    1,
                ),
                "goal_vec_Msteps_s": 20,
                "goal_gym_steps_s": 500_000,
            }
        )
    )


if __name__ == "__main__":
    main()
