"""Training throughput of DQN and PPO on the algorithmic-trading env (env steps per second).

20k env steps each, default MLP (64, 64), one torch thread, synthetic sine-trend market.
Prints one JSON line per measurement, then a summary line. Goal: >= 5,000 env-steps/s each.
"""

from __future__ import annotations

import json
import logging
import platform
import time
from typing import Any

import torch
from trademaster.agents.config import DQNConfig, PPOConfig
from trademaster.agents.dqn import DQN
from trademaster.agents.ppo import PPO
from trademaster.config.run import build_run_spec
from trademaster.training.pipeline import load_dataset, make_env

_LOGGER = logging.getLogger(__name__)

TOTAL_STEPS = 20_000
NUM_ENVS = 16
GOAL = 5_000.0
SETTINGS: dict[str, dict[str, Any]] = {
    "dqn": {
        "train_frequency": 4,
        "gradient_steps": 1,
        "batch_size": 64,
        "learning_starts": 1_000,
        "buffer_size": 20_000,
    },
    "ppo": {"num_steps": 128, "num_minibatches": 4, "update_epochs": 4},
}


def measure(name: str) -> dict[str, Any]:
    dataset = load_dataset("synthetic", train_fraction=0.7, valid_fraction=0.15)
    env = make_env(
        build_run_spec("algorithmic_trading", name, "synthetic", env={"num_envs": NUM_ENVS}),
        dataset,
        "train",
        evaluation=False,
        seed=0,
    )
    if name == "dqn":
        alg: DQN | PPO = DQN(env, DQNConfig(**SETTINGS[name]), seed=0, device=torch.device("cpu"))
    else:
        alg = PPO(env, PPOConfig(**SETTINGS[name]), seed=0, device=torch.device("cpu"))
    start = time.perf_counter()
    while alg.global_step < TOTAL_STEPS:
        alg.train_iteration()
    elapsed = time.perf_counter() - start
    return {
        "bench": f"training_throughput.{name}",
        "value": round(alg.global_step / elapsed, 1),
        "unit": "env_steps/s",
        "n": alg.global_step,
        "machine": platform.machine() + "/" + platform.processor(),
        "settings": {
            "num_envs": NUM_ENVS,
            "hidden_sizes": [64, 64],
            "threads": 1,
            **SETTINGS[name],
        },
        "seconds": round(elapsed, 2),
    }


def main() -> None:
    torch.set_num_threads(1)
    rows = [measure(name) for name in ("dqn", "ppo")]
    for row in rows:
        print(json.dumps(row))
    summary = {row["bench"]: row["value"] for row in rows}
    print(
        json.dumps(
            {"summary": summary, "goal": GOAL, "met": all(v >= GOAL for v in summary.values())}
        )
    )


if __name__ == "__main__":
    main()
