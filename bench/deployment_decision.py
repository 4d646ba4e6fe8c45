"""A deployment's decision latency per bar, in process, full replay against incremental.

Per bar: append the bar to the history, take the target weights and size the orders
(``trademaster.runner.orders``). Two decision paths on the same bars in the same run:

- ``full``: ``trademaster.runner.live_policy.target_weights``, the backtest's model replay over
  the whole bounded history (features, scaler, a new env and policy object every bar);
- ``incremental``: ``trademaster.runner.incremental.IncrementalPolicy`` (what the runner uses):
  policy built once, features and scaling per new bar, the replay's action chain walked over a
  per-bar action table. Both give the same targets (checked here on every bar too).

``--concurrent N`` adds the issue-11 load check: N deployments (incremental path, each its own
price path) in ONE process (one core of the two), fed one bar per second for ``--seconds``;
reports per-bar lag (bar arrival -> that deployment's order intents) p50/p99 and whether any
deployment fell behind (its bar done after the next bar arrived). The SubmitOrder round trip to
the risk service is not included (see bench/risk_service.py). Needs a trained model artifact:

    .venv/bin/trademaster train --data synthetic --task algorithmic_trading --agent dqn \\
        --steps 2000 --run-dir /tmp/dep-bench-run
    .venv/bin/python bench/deployment_decision.py --run-dir /tmp/dep-bench-run --history 128 \\
        --concurrent 20

JSON line per measurement (commit, 1-min load average). Figures: bench/deployment_decision.jsonl
and bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from decimal import Decimal
from typing import Any

import numpy as np
from trademaster.backtest.sources import run_dir_model
from trademaster.runner.incremental import IncrementalPolicy
from trademaster.runner.live_policy import BarHistory, StreamBar, target_weights, warmup_bars
from trademaster.runner.orders import InstrumentRules, OrderLimits, orders_for_targets
from trademaster.training.model_artifact import ModelArtifact

MACHINE = f"{platform.machine()}-{platform.node()}-py{platform.python_version()}"
RULES, LIMITS = {"SYN": InstrumentRules(Decimal("0.001"))}, OrderLimits()


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def emit(bench: str, value: float, unit: str, n: int, **extra: object) -> None:
    row = {"bench": bench, "value": round(value, 3), "unit": unit, "n": n, "machine": MACHINE}
    row.update(extra, commit=_commit(), loadavg=round(os.getloadavg()[0], 2))
    print(json.dumps(row), flush=True)


class _Feed:
    """A seeded random-walk bar stream of one instrument."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.price, self.t = 100.0, 1_700_000_000_000_000_000

    def next(self) -> StreamBar:
        self.t += 1_000_000_000
        open_ = self.price
        self.price = open_ * (1 + float(self.rng.normal(0, 0.01)))
        p = self.price
        return StreamBar("SYN", self.t, open_, max(open_, p), min(open_, p), p, 1e6)


def _orders(t: int, weights: list[float], price: float) -> None:
    orders_for_targets(
        "bench", t, ["SYN"], weights, Decimal(100_000),
        {"SYN": Decimal(repr(price))}, {}, RULES, LIMITS,
    )  # fmt: skip


def _timed(fn: Any, history: BarHistory, bar: StreamBar) -> tuple[float, list[float] | None]:
    started = time.perf_counter()
    weights = fn(history)
    if weights is not None:
        _orders(bar.time_ns, weights, bar.close)
    return (time.perf_counter() - started) * 1000.0, weights


def single(artifact: ModelArtifact, history_bars: int, bars: int) -> None:
    """Both paths on the same bars; p50/p99 each; every decision compared."""
    history = BarHistory(["SYN"], max_bars=history_bars)
    policy = IncrementalPolicy(artifact, ["SYN"])
    feed, times = _Feed(0), {"full": [], "incremental": []}
    warm = max(warmup_bars(artifact), history_bars)
    mismatches = 0
    for i in range(warm + bars):
        bar = feed.next()
        history.add(bar)
        if i < warm:
            continue
        ms_full, full = _timed(lambda h: target_weights(artifact, h), history, bar)
        ms_inc, inc = _timed(policy.target_weights, history, bar)
        times["full"].append(ms_full)
        times["incremental"].append(ms_inc)
        mismatches += full != inc
    extra = {"history_bars": history_bars, "agent": artifact.agent, "mismatches": mismatches}
    for path, values in times.items():
        for q in (50, 99):
            value = float(np.percentile(values, q))
            emit(f"deployment_decision_{path}_p{q}", value, "ms", len(values), **extra)


def concurrent(artifact: ModelArtifact, history_bars: int, n: int, seconds: int) -> None:
    """``n`` deployments in this one process, one bar per second each, for ``seconds``."""
    feeds = [_Feed(seed) for seed in range(n)]
    histories = [BarHistory(["SYN"], max_bars=history_bars) for _ in range(n)]
    policies = [IncrementalPolicy(artifact, ["SYN"]) for _ in range(n)]
    for feed, history, policy in zip(feeds, histories, policies, strict=True):
        for _ in range(history_bars):  # warm: a rebuilt history, as after a (re)start
            history.add(feed.next())
        policy.target_weights(history)
    lags: list[float] = []
    behind = 0
    start = time.perf_counter()
    for second in range(seconds):
        arrival = start + second
        time.sleep(max(0.0, arrival - time.perf_counter()))
        for feed, history, policy in zip(feeds, histories, policies, strict=True):
            bar = feed.next()
            history.add(bar)
            weights = policy.target_weights(history)
            if weights is not None:
                _orders(bar.time_ns, weights, bar.close)
            lag = time.perf_counter() - arrival
            lags.append(lag * 1000.0)
            behind += lag > 1.0
    extra = {
        "history_bars": history_bars,
        "agent": artifact.agent,
        "deployments": n,
        "processes": 1,
        "bar_interval_s": 1,
        "seconds": seconds,
        "fell_behind": behind,
    }
    emit("deployment_concurrent_lag_p50", float(np.percentile(lags, 50)), "ms", len(lags), **extra)
    emit("deployment_concurrent_lag_p99", float(np.percentile(lags, 99)), "ms", len(lags), **extra)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", required=True, help="A finished `trademaster train` run.")
    parser.add_argument("--history", type=int, default=128, help="Bars kept (max_history_bars).")
    parser.add_argument("--bars", type=int, default=200, help="Bars timed after the warm-up.")
    parser.add_argument("--concurrent", type=int, default=0, help="Deployments for the load run.")
    parser.add_argument("--seconds", type=int, default=60, help="Length of the load run.")
    args = parser.parse_args()
    artifact = ModelArtifact.load(run_dir_model(args.run_dir))
    if args.bars:
        single(artifact, args.history, args.bars)
    if args.concurrent:
        concurrent(artifact, args.history, args.concurrent, args.seconds)


if __name__ == "__main__":
    main()
