"""Risk metrics on per-period simple returns r_t (P periods per year, rf per period).

- annualized volatility ``std(r, ddof=1) * sqrt(P)``
- downside deviation (target 0) ``sqrt(mean(min(r, 0)^2))`` over ALL periods (not only losing
  ones), the Sortino & Price definition
- Sortino ``mean(r - rf) / downside_deviation * sqrt(P)``; NaN when there is no downside
- alpha/beta: OLS of ``r - rf`` on ``b - rf``: ``beta = cov(y, x) / var(x)`` (ddof=1),
  ``alpha = (mean(y) - beta * mean(x)) * P`` (arithmetic annualization)
"""

from __future__ import annotations

import logging
import math

import numpy as np
from numpy.typing import ArrayLike

_LOGGER = logging.getLogger(__name__)


def annualized_volatility(returns: ArrayLike, periods_per_year: float) -> float:
    """``std(r, ddof=1) * sqrt(P)``; NaN with fewer than 2 returns."""
    r = np.asarray(returns, dtype=np.float64)
    if len(r) < 2:
        return float("nan")
    return float(np.std(r, ddof=1) * math.sqrt(periods_per_year))


def downside_deviation(returns: ArrayLike, target: float = 0.0) -> float:
    """``sqrt(mean(min(r - target, 0)^2))``; NaN for an empty series."""
    r = np.asarray(returns, dtype=np.float64)
    if len(r) == 0:
        return float("nan")
    return float(np.sqrt(np.mean(np.minimum(r - target, 0.0) ** 2)))


def sortino_ratio(returns: ArrayLike, periods_per_year: float, risk_free: float = 0.0) -> float:
    """Annualized Sortino ratio (target 0); NaN when no period lost money."""
    r = np.asarray(returns, dtype=np.float64)
    dd = downside_deviation(r)
    if not dd > 0:
        return float("nan")
    return float(np.mean(r - risk_free) / dd * math.sqrt(periods_per_year))


def alpha_beta(
    returns: ArrayLike,
    benchmark_returns: ArrayLike,
    periods_per_year: float,
    risk_free: float = 0.0,
) -> tuple[float, float]:
    """``(annualized alpha, beta)`` from OLS of excess returns; NaNs for a flat benchmark."""
    y = np.asarray(returns, dtype=np.float64) - risk_free
    x = np.asarray(benchmark_returns, dtype=np.float64) - risk_free
    if y.shape != x.shape:
        raise ValueError(f"benchmark returns must match returns in shape {y.shape}, were {x.shape}")
    if len(y) < 2:
        return float("nan"), float("nan")
    var_x = float(np.var(x, ddof=1))
    if var_x == 0.0:
        return float("nan"), float("nan")
    beta = float(np.cov(y, x, ddof=1)[0, 1] / var_x)
    alpha = (float(np.mean(y)) - beta * float(np.mean(x))) * periods_per_year
    return alpha, beta
