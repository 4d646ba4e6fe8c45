"""Drawdowns of an equity curve: ``dd_t = V_t / max_{s<=t} V_s - 1`` (in [-1, 0]).

The maximum drawdown is ``min_t dd_t`` (a negative number or 0). Its episode runs from the
peak before the trough to the recovery (first later t with ``V_t >= peak value``); duration is
``recovery - peak`` periods, or ``n - peak`` (n = last index) while still under water.
Calmar = annualized return / |max drawdown| (NaN without a drawdown).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from trademaster.metrics.returns import annualized_return, as_equity

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Drawdown:
    """The deepest drawdown: depth (<= 0) and where it starts, bottoms and recovers."""

    max_drawdown: float
    peak_index: int
    trough_index: int
    recovery_index: int | None
    duration: int


def drawdown_series(equity: ArrayLike) -> np.ndarray:
    """``V_t / running_max(V)_t - 1`` for every t."""
    values = as_equity(equity)
    return values / np.maximum.accumulate(values) - 1.0


def max_drawdown(equity: ArrayLike) -> Drawdown:
    """The deepest drawdown with its peak/trough/recovery indices and duration in periods."""
    values = as_equity(equity)
    dd = drawdown_series(values)
    trough = int(np.argmin(dd))
    if dd[trough] == 0.0:
        return Drawdown(0.0, trough, trough, trough, 0)
    peak = trough - int(np.argmax(values[trough::-1]))  # last time the peak value was seen
    later = np.flatnonzero(values[trough:] >= values[peak])
    recovery = int(trough + later[0]) if len(later) else None
    end = recovery if recovery is not None else len(values) - 1
    return Drawdown(float(dd[trough]), peak, trough, recovery, end - peak)


def longest_drawdown_duration(equity: ArrayLike) -> int:
    """Longest peak-to-recovery span of any drawdown (peak-to-end while still under water),
    measured like :attr:`Drawdown.duration`."""
    under = drawdown_series(equity) < 0.0
    last = len(under) - 1
    longest = run = 0
    for t, flag in enumerate(under):
        run = run + 1 if flag else 0
        if run:
            longest = max(longest, run if t == last else run + 1)
    return longest


def calmar_ratio(equity: ArrayLike, periods_per_year: float) -> float:
    """Annualized return / |max drawdown|; NaN when the curve never fell."""
    depth = max_drawdown(equity).max_drawdown
    if depth == 0.0:
        return float("nan")
    return annualized_return(equity, periods_per_year) / abs(depth)
