"""Trading-activity metrics.

- period win rate: ``#(r_t > 0) / #(r_t != 0)`` (flat periods, e.g. out of the market, do not
  count); NaN when every period is flat
- trade win rate: ``#(pnl > 0) / #trades`` over closed trades' realized PnL
- profit factor: ``sum(pnl > 0) / |sum(pnl < 0)|`` (inf with gains and no losses, NaN if no
  trade)
- turnover from weights ``w`` [T, A] (fractions of portfolio value, cash excluded):
  ``mean_t sum_a |w_t,a - w_{t-1},a| / 2`` over t = 1..T-1: the fraction of the portfolio
  traded per period (a full switch from one asset to another is 1.0)
- notional turnover: ``sum(traded notional) / mean(portfolio value)`` over the whole run
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import ArrayLike

_LOGGER = logging.getLogger(__name__)


def period_win_rate(returns: ArrayLike) -> float:
    r = np.asarray(returns, dtype=np.float64)
    active = r != 0.0
    if not active.any():
        return float("nan")
    return float(np.sum(r > 0.0) / np.sum(active))


def trade_win_rate(trade_pnl: ArrayLike) -> float:
    pnl = np.asarray(trade_pnl, dtype=np.float64)
    if len(pnl) == 0:
        return float("nan")
    return float(np.mean(pnl > 0.0))


def profit_factor(trade_pnl: ArrayLike) -> float:
    pnl = np.asarray(trade_pnl, dtype=np.float64)
    if len(pnl) == 0:
        return float("nan")
    gains, losses = float(pnl[pnl > 0].sum()), float(-pnl[pnl < 0].sum())
    if losses == 0.0:
        return float("inf") if gains > 0 else float("nan")
    return gains / losses


def turnover(weights: ArrayLike) -> float:
    """Mean one-way turnover per period from a ``[T, A]`` (or ``[T]``) weight history."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 1:
        w = w[:, None]
    if w.ndim != 2:
        raise ValueError(f"weights must be [T, A], had shape {w.shape}")
    if len(w) < 2:
        return float("nan")
    return float(np.mean(np.abs(np.diff(w, axis=0)).sum(axis=1) / 2.0))


def notional_turnover(traded_notional: ArrayLike, portfolio_value: ArrayLike) -> float:
    """Total traded notional divided by the mean portfolio value."""
    traded = np.abs(np.asarray(traded_notional, dtype=np.float64))
    mean_value = float(np.mean(np.asarray(portfolio_value, dtype=np.float64)))
    if not mean_value > 0:
        raise ValueError(f"mean portfolio value must be > 0, was {mean_value}")
    return float(traded.sum() / mean_value)
