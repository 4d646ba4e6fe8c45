"""Reference runs of TradeMaster's published agents on the shared data: 3 seeds each, test-split
total return and Sharpe (mean ± std over seeds) next to the task's rule-based baseline.

Each run trains on the train split with the agent's default config (the CLI's env defaults) for
a short, fixed budget, then scores the deterministic policy over one pass of the test split.
One JSON line per run, then one markdown table row per agent (the docs' results table).
Usage: TM_SHARED_DATA=... python bench/agents_reference.py [--agents pg,sarl,ddqn_dp]
       [--seeds 0,1,2] [--steps-scale 1.0]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import torch
from trademaster.config.run import build_run_spec
from trademaster.training.pipeline import (
    baseline_policies,
    evaluate_run_policy,
    load_run_dataset,
    make_algorithm,
    make_env,
)

# agent -> (task, data under the shared root, env steps[, env overrides])
CASES: dict[str, tuple[str, str, int] | tuple[str, str, int, dict[str, object]]] = {
    "pg": ("portfolio_management", "portfolio_management/dj30/test.csv", 20_000),
    "sarl": ("portfolio_management", "portfolio_management/dj30/test.csv", 4_000),
    "ddqn_dp": ("high_frequency_trading", "high_frequency_trading/small_BTC", 10_000),
    "deeptrader": ("portfolio_management", "portfolio_management/dj30/test.csv", 8_000),
    "investor_imitator": ("portfolio_management", "portfolio_management/dj30/test.csv", 4_000),
    # Two sizes a side, so the size branch has a choice to make.
    "deepscalper": (
        "algorithmic_trading",
        "algorithmic_trading/BTC/data.csv",
        10_000,
        {"position_levels": (-1.0, -0.5, 0.0, 0.5, 1.0)},
    ),
}
METRICS = ("eval/total_return", "eval/sharpe_ratio")


def run_one(agent: str, seed: int, scale: float, root: Path) -> dict[str, object]:
    task, data, steps, *env = CASES[agent]
    steps = int(steps * scale)
    run = build_run_spec(task, agent, str(root / data), env=env[0] if env else None)
    dataset = load_run_dataset(run)
    start = time.perf_counter()
    algorithm = make_algorithm(
        run, make_env(run, dataset, "train", evaluation=False, seed=seed), seed=seed
    )
    while algorithm.global_step < steps:
        algorithm.train_iteration()
    seconds = time.perf_counter() - start
    test_env = make_env(run, dataset, "test", evaluation=True, seed=0)
    ours = evaluate_run_policy(run, algorithm.policy, test_env, seed=0).metrics
    (name, baseline), *_ = baseline_policies(run, test_env).items()
    base = evaluate_run_policy(run, baseline, test_env, seed=0).metrics
    return {
        "agent": agent,
        "task": task,
        "data": data,
        "seed": seed,
        "steps": algorithm.global_step,
        "train_seconds": round(seconds, 1),
        "baseline": name,
        **{k: ours[k] for k in METRICS},
        **{f"baseline_{k}": base[k] for k in METRICS},
        "loadavg": os.getloadavg(),
    }


def _mean_std(values: list[float]) -> str:
    return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", default=",".join(CASES))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--steps-scale", type=float, default=1.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    root = Path(os.environ.get("TM_SHARED_DATA", "../shared/data/trademaster"))
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    for agent in args.agents.split(","):
        runs = [run_one(agent, seed, args.steps_scale, root) for seed in seeds]
        for record in runs:
            print(json.dumps(record))
        cells = [_mean_std([float(r[k]) for r in runs]) for k in METRICS]  # type: ignore[arg-type]
        base = [f"{float(runs[0][f'baseline_{k}']):.4f}" for k in METRICS]  # type: ignore[arg-type]
        data = CASES[agent][1]
        rows.append(
            f"| `{agent}` | {data} | {runs[0]['steps']} | {cells[0]} | {cells[1]} | "
            f"{runs[0]['baseline']}: {base[0]} / {base[1]} |"
        )
    print(
        "| agent | data (test split) | env steps | total return | Sharpe | baseline TR / Sharpe |"
    )
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
