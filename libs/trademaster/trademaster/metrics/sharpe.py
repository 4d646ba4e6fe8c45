"""Sharpe-type ratios on per-period simple returns r_t.

- Sharpe ``mean(r - rf) / std(r - rf, ddof=1) * sqrt(P)``; rf is per period; zero std -> NaN
- Probabilistic Sharpe ratio (Bailey & Lopez de Prado 2012), per-period SR ``s``:
  ``PSR = Phi((s - s*) * sqrt(n - 1) / sqrt(1 - g3 * s + (g4 - 1) / 4 * s^2))`` with sample
  skewness g3 and (non-excess) kurtosis g4 (population moments), ``s*`` the benchmark SR per
  period, Phi the normal CDF via ``math.erf``.
"""

from __future__ import annotations

import logging
import math

import numpy as np
from numpy.typing import ArrayLike

_LOGGER = logging.getLogger(__name__)


def _returns(returns: ArrayLike) -> np.ndarray:
    values = np.asarray(returns, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"returns must be 1-D, had shape {values.shape}")
    return values


def sharpe_ratio(returns: ArrayLike, periods_per_year: float, risk_free: float = 0.0) -> float:
    """Annualized Sharpe ratio; NaN with fewer than 2 returns or zero volatility."""
    excess = _returns(returns) - risk_free
    if len(excess) < 2:
        return float("nan")
    std = float(np.std(excess, ddof=1))
    if std == 0.0 or not math.isfinite(std):
        return float("nan")
    return float(np.mean(excess) / std * math.sqrt(periods_per_year))


def normal_cdf(x: float) -> float:
    """Standard normal CDF ``(1 + erf(x / sqrt 2)) / 2``."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def probabilistic_sharpe_ratio(
    returns: ArrayLike, benchmark_sharpe: float = 0.0, risk_free: float = 0.0
) -> float:
    """Probability that the true per-period Sharpe exceeds ``benchmark_sharpe`` (per period).

    NaN with fewer than 3 returns, zero volatility, or a non-positive variance term.
    """
    excess = _returns(returns) - risk_free
    n = len(excess)
    if n < 3:
        return float("nan")
    std = float(np.std(excess, ddof=1))
    if std == 0.0:
        return float("nan")
    sr = float(np.mean(excess)) / std
    centred = excess - np.mean(excess)
    m2 = float(np.mean(centred**2))
    skew = float(np.mean(centred**3)) / m2**1.5
    kurt = float(np.mean(centred**4)) / m2**2
    var_term = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr**2
    if var_term <= 0:
        return float("nan")
    return normal_cdf((sr - benchmark_sharpe) * math.sqrt(n - 1) / math.sqrt(var_term))
