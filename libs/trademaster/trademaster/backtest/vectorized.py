"""Vectorized path: a whole period of target positions booked in one pass (no Python loop).

``targets[t]`` is the position decided on bar t's data; it is held from the fill bar
(t+1 for next-bar timings, t for ``same_close``), so ``held = shift(targets)`` and
``traded = diff(held)``. Limits that depend on the running value or cash (leverage, weight
caps, cash floor, volume caps) have no closed form: those runs go through the event-driven
engine with the same targets, which gives the same result where both apply.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch

from trademaster.backtest.config import BacktestConfig
from trademaster.backtest.data import MarketData
from trademaster.backtest.execution import account, bar_fill_prices, fill_timing
from trademaster.backtest.fill_costs import ExecutionModel
from trademaster.backtest.result import BacktestResult, Benchmark
from trademaster.market.accounting import constrain_target_positions

_LOGGER = logging.getLogger(__name__)


def as_targets(targets: Any, data: MarketData) -> np.ndarray:
    """``[T]``/``[T, A]`` targets as float64 ``[T, A]``; NaN means "no decision yet" and
    carries the previous target forward (0 before the first decision)."""
    arr = np.asarray(targets, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    expected = (data.num_bars, data.num_assets)
    if arr.shape != expected:
        raise ValueError(f"targets must have shape {expected} (T, A), was {arr.shape}")
    if np.isinf(arr).any():
        raise ValueError("targets must be finite or NaN, found inf")
    if np.isnan(arr).any():
        idx = np.where(np.isnan(arr), 0, np.arange(len(arr))[:, None])
        np.maximum.accumulate(idx, axis=0, out=idx)
        filled = arr[idx, np.arange(arr.shape[1])]
        arr = np.where(np.isnan(filled), 0.0, filled)
    return np.ascontiguousarray(arr)


def limit_units(targets: np.ndarray, config: BacktestConfig) -> np.ndarray:
    """No-short, |units| cap and lot rounding (``market.accounting.constrain_target_positions``)."""
    if config.allow_short and config.max_position_units is None and config.lot_size is None:
        return targets
    target = torch.from_numpy(targets)
    if config.max_position_units is not None:
        target = target.clamp(-config.max_position_units, config.max_position_units)
    # value and prices only matter for max_leverage, which is not applied here.
    constrained = constrain_target_positions(
        target,
        torch.ones(len(target), dtype=target.dtype),
        torch.ones_like(target),
        allow_short=config.allow_short,
        lot_size=config.lot_size,
    )
    return constrained.numpy()


def run_target_positions(
    data: MarketData,
    targets: Any,
    config: BacktestConfig,
    *,
    benchmark: Benchmark = "buy_and_hold",
) -> BacktestResult:
    """Backtest target positions in units (``[T]`` or ``[T, A]``) decided on each bar."""
    target = as_targets(targets, data)
    if config.needs_stepwise:
        from trademaster.backtest.event import TargetPositionsStrategy, run_event_driven

        return run_event_driven(data, TargetPositionsStrategy(target), config, benchmark=benchmark)
    timing = fill_timing(config)
    target = limit_units(target, config)
    offset = timing.bar_offset
    held = np.zeros_like(target)
    held[offset:] = target[: len(target) - offset]
    traded = np.empty_like(held)
    traded[0] = held[0]
    np.subtract(held[1:], held[:-1], out=traded[1:])
    model = ExecutionModel.from_config(config, data)
    ledger = account(
        held, traded, bar_fill_prices(data, timing), data.close, model, config.initial_cash
    )
    return BacktestResult.create(data, config, ledger, path="vectorized", benchmark=benchmark)
