"""Backtest engine throughput: SMA(10)/SMA(50) crossover on synthetic bars, single asset.

Vectorized path on 1 M and 10 M bars (cold = first call in the process, warm = repeated),
event-driven path on 1 M bars, and a 29-asset daily portfolio over 10 years (equal weights
rebalanced every bar). Timings include signal computation and booking every fill; the lazy
trade ledger and metrics are timed separately. JSON line per measurement, then a summary.
"""

from __future__ import annotations

import json
import platform
import sys
import time

import numpy as np
import torch
from trademaster.backtest.config import BacktestConfig
from trademaster.backtest.data import MarketData
from trademaster.backtest.event import run_event_driven, run_target_weights
from trademaster.backtest.signals import SMACrossoverStrategy, sma_crossover_targets
from trademaster.backtest.vectorized import run_target_positions

MACHINE = f"{platform.machine()}-{platform.node()}-py{platform.python_version()}"
CONFIG = BacktestConfig(initial_cash=1e9, fee_rate=0.001)


def emit(bench: str, value: float, unit: str, n: int, **extra: object) -> dict:
    row = {"bench": bench, "value": round(value, 3), "unit": unit, "n": n, "machine": MACHINE}
    row.update(extra)
    print(json.dumps(row), flush=True)
    return row


def market(n: int, seed: int = 0) -> MarketData:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(0.001 * rng.standard_normal(n)))
    open_ = close * np.exp(0.0002 * rng.standard_normal(n))
    return MarketData.from_arrays(close, open_=open_)


def vectorized(data: MarketData) -> tuple[float, int]:
    start = time.perf_counter()
    targets = sma_crossover_targets(data.close[:, 0], fast=10, slow=50, size=100.0)
    result = run_target_positions(data, targets, CONFIG, benchmark=None)
    return time.perf_counter() - start, len(result.ledger.fills)


def main() -> None:
    torch.set_num_threads(1)
    rows = []
    for n in (1_000_000, 10_000_000):
        data = market(n)
        cold, fills = vectorized(data)
        rows.append(emit("backtest_sma_vectorized_cold", n / cold / 1e6, "Mbars/s", n, fills=fills))
        warm = min(vectorized(data)[0] for _ in range(3))
        rows.append(emit("backtest_sma_vectorized_warm", n / warm / 1e6, "Mbars/s", n))
    data = market(1_000_000)
    start = time.perf_counter()
    result = run_event_driven(data, SMACrossoverStrategy(fast=10, slow=50, size=100.0), CONFIG)
    event_s = time.perf_counter() - start
    rows.append(emit("backtest_sma_event", len(data.dates) / event_s / 1e3, "kbars/s", 1_000_000))
    start = time.perf_counter()
    trades = len(result.trades)
    rows.append(
        emit("backtest_trade_ledger", time.perf_counter() - start, "s", trades, fills=trades)
    )
    rng = np.random.default_rng(1)
    t, a = 2520, 29
    close = 100 * np.exp(np.cumsum(0.01 * rng.standard_normal((t, a)), axis=0))
    pdata = MarketData.from_arrays(close, open_=close * np.exp(0.002 * rng.standard_normal((t, a))))
    start = time.perf_counter()
    presult = run_target_weights(
        pdata, np.full((t, a), 1.0 / a), BacktestConfig(fee_rate=0.001), rebalance_every_bar=True
    )
    _ = presult.metrics
    rows.append(emit("backtest_portfolio_29x10y", time.perf_counter() - start, "s", t * a))
    summary = {r["bench"] + f"@{r['n']}": r["value"] for r in rows}
    print(json.dumps({"summary": summary}), file=sys.stderr)


if __name__ == "__main__":
    main()
