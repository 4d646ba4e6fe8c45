"""Tail-risk metrics on per-period simple returns r_t, as returns (a loss is negative).

Level ``c`` (e.g. 0.95) leaves ``a = 1 - c`` in the left tail.

- historical VaR ``q_a(r)``: the ``a``-quantile with linear interpolation (numpy's default,
  as empyrical's ``value_at_risk``)
- historical CVaR (expected shortfall): mean of the worst ``k = floor((n - 1) a) + 1`` returns
  (empyrical's ``conditional_value_at_risk``)
- parametric (Gaussian) VaR ``mu + sigma z_a`` and CVaR ``mu - sigma phi(z_a) / a``, with
  ``mu = mean(r)``, ``sigma = std(r, ddof=1)``, ``z_a`` the standard normal ``a``-quantile
- tail ratio ``|q_0.95(r)| / |q_0.05(r)|`` (right tail over left tail; > 1 is a fatter right)

NaN where undefined (no returns; sigma needs 2; a zero left quantile for the tail ratio).
"""

from __future__ import annotations

import logging
import math
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike

_LOGGER = logging.getLogger(__name__)

_NORMAL = NormalDist()


def _tail(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), was {level}")
    return 1.0 - level


def _returns(returns: ArrayLike) -> np.ndarray:
    r = np.asarray(returns, dtype=np.float64)
    if r.ndim != 1:
        raise ValueError(f"returns must be one-dimensional, had shape {r.shape}")
    return r


def historical_var(returns: ArrayLike, level: float = 0.95) -> float:
    """``a``-quantile of the returns (linear interpolation)."""
    a, r = _tail(level), _returns(returns)
    if len(r) == 0:
        return float("nan")
    return float(np.quantile(r, a))


def historical_cvar(returns: ArrayLike, level: float = 0.95) -> float:
    """Mean of the worst ``floor((n - 1) a) + 1`` returns (expected shortfall)."""
    a, r = _tail(level), _returns(returns)
    if len(r) == 0:
        return float("nan")
    k = int((len(r) - 1) * a) + 1
    return float(np.mean(np.partition(r, k - 1)[:k]))


def parametric_var(returns: ArrayLike, level: float = 0.95) -> float:
    """Gaussian VaR ``mu + sigma z_a``."""
    a, r = _tail(level), _returns(returns)
    if len(r) < 2:
        return float("nan")
    return float(np.mean(r) + np.std(r, ddof=1) * _NORMAL.inv_cdf(a))


def parametric_cvar(returns: ArrayLike, level: float = 0.95) -> float:
    """Gaussian expected shortfall ``mu - sigma phi(z_a) / a``."""
    a, r = _tail(level), _returns(returns)
    if len(r) < 2:
        return float("nan")
    return float(np.mean(r) - np.std(r, ddof=1) * _NORMAL.pdf(_NORMAL.inv_cdf(a)) / a)


def tail_ratio(returns: ArrayLike) -> float:
    """``|q_0.95| / |q_0.05|``; NaN for no returns or a zero 5% quantile."""
    r = _returns(returns)
    if len(r) == 0:
        return float("nan")
    left = abs(float(np.quantile(r, 0.05)))
    if left == 0.0 or not math.isfinite(left):
        return float("nan")
    return abs(float(np.quantile(r, 0.95))) / left


def rolling_volatility(returns: ArrayLike, window: int, periods_per_year: float) -> np.ndarray:
    """Annualized ``std(ddof=1)`` of each trailing ``window`` of returns, aligned to the
    window's last return; NaN for the first ``window - 1``."""
    r = _returns(returns)
    _check_window(window)
    out = np.full(len(r), np.nan)
    if len(r) >= window:
        views = np.lib.stride_tricks.sliding_window_view(r, window)
        out[window - 1 :] = views.std(axis=1, ddof=1) * math.sqrt(periods_per_year)
    return out


def rolling_sharpe(
    returns: ArrayLike, window: int, periods_per_year: float, risk_free: float = 0.0
) -> np.ndarray:
    """Annualized Sharpe ``mean / std(ddof=1) * sqrt(P)`` of each trailing ``window`` of excess
    returns, aligned like :func:`rolling_volatility`; NaN where the window is flat."""
    r = _returns(returns) - risk_free
    _check_window(window)
    out = np.full(len(r), np.nan)
    if len(r) >= window:
        views = np.lib.stride_tricks.sliding_window_view(r, window)
        std = views.std(axis=1, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            sharpe = views.mean(axis=1) / std * math.sqrt(periods_per_year)
        out[window - 1 :] = np.where(std > 0.0, sharpe, np.nan)
    return out


def _check_window(window: int) -> None:
    if window < 2:
        raise ValueError(f"window must be >= 2, was {window}")
