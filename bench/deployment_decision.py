"""A deployment's decision latency per bar, in process: append the bar to the history, replay
the model on it (``trademaster.runner.live_policy.target_weights``: the backtest's model replay,
newest bar included) and size the orders (``trademaster.runner.orders``).

This is the bar → decision → order-intent part of the issue-11 goal (p99 <= 20 ms per
deployment with the default MLP policy); the SubmitOrder round trip to the risk service is not
included (see bench/risk_service.py for that). Needs a trained model artifact:

    .venv/bin/trademaster train --data synthetic --task algorithmic_trading --agent dqn \\
        --steps 2000 --run-dir /tmp/dep-bench-run
    .venv/bin/python bench/deployment_decision.py --run-dir /tmp/dep-bench-run --history 128

JSON line per measurement, then a summary line. Last run: bench/deployment_decision.jsonl
(2026-12-03, 2-vCPU shared VM, load 2.2, tiny DQN, 128-bar history): p50 155 ms, p99 339 ms,
far above the 20 ms goal: each bar replays the whole history (features, scaler, a new env and
policy object) to stay exactly the backtest's code path; the way to the goal is an incremental
replay (build env and policy once, step one bar) that keeps that equivalence.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from decimal import Decimal

import numpy as np
from trademaster.backtest.sources import run_dir_model
from trademaster.runner.live_policy import BarHistory, StreamBar, target_weights, warmup_bars
from trademaster.runner.orders import InstrumentRules, OrderLimits, orders_for_targets
from trademaster.training.model_artifact import ModelArtifact

MACHINE = f"{platform.machine()}-{platform.node()}-py{platform.python_version()}"


def emit(bench: str, value: float, unit: str, n: int, **extra: object) -> None:
    row = {"bench": bench, "value": round(value, 3), "unit": unit, "n": n, "machine": MACHINE}
    row.update(extra)
    print(json.dumps(row), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", required=True, help="A finished `trademaster train` run.")
    parser.add_argument("--history", type=int, default=128, help="Bars kept (max_history_bars).")
    parser.add_argument("--bars", type=int, default=200, help="Bars timed after the warm-up.")
    args = parser.parse_args()
    artifact = ModelArtifact.load(run_dir_model(args.run_dir))
    rng = np.random.default_rng(0)
    history = BarHistory(["SYN"], max_bars=args.history)
    rules, limits = {"SYN": InstrumentRules(Decimal("0.001"))}, OrderLimits()
    price, t = 100.0, 1_700_000_000_000_000_000
    timings: list[float] = []
    warm = max(warmup_bars(artifact), args.history)
    for i in range(warm + args.bars):
        t += 60_000_000_000
        open_, price = price, price * (1 + float(rng.normal(0, 0.01)))
        bar = StreamBar("SYN", t, open_, max(open_, price), min(open_, price), price, 1e6)
        started = time.perf_counter()
        history.add(bar)
        weights = target_weights(artifact, history) if i >= warm else None
        if weights is not None:
            orders_for_targets(
                "bench", t, ["SYN"], weights, Decimal(100_000),
                {"SYN": Decimal(repr(price))}, {}, rules, limits,
            )  # fmt: skip
            timings.append((time.perf_counter() - started) * 1000.0)
    extra = {"history_bars": args.history, "loadavg": os.getloadavg()[0], "agent": artifact.agent}
    emit("deployment_decision_p50", float(np.percentile(timings, 50)), "ms", len(timings), **extra)
    emit("deployment_decision_p99", float(np.percentile(timings, 99)), "ms", len(timings), **extra)
    print(
        json.dumps(
            {
                "summary": "deployment bar -> decision -> order intents (no gRPC)",
                "p50_ms": round(float(np.percentile(timings, 50)), 2),
                "p99_ms": round(float(np.percentile(timings, 99)), 2),
                "goal_p99_ms": 20,
                **extra,
            }
        )
    )


if __name__ == "__main__":
    main()
