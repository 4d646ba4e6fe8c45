"""Return metrics from an equity curve ``V_0..V_n`` (n periods).

- simple returns ``r_t = V_t / V_{t-1} - 1``; log returns ``ln(V_t / V_{t-1})``
- total return ``V_n / V_0 - 1``
- annualized return (geometric) ``(V_n / V_0) ** (P / n) - 1`` with P periods per year
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

_LOGGER = logging.getLogger(__name__)

TRADING_DAYS_PER_YEAR = 252
CALENDAR_DAYS_PER_YEAR = 365
EQUITY_HOURS_PER_DAY = 6.5
_MARKETS = ("equity", "crypto", "fx")


def as_equity(equity: ArrayLike) -> np.ndarray:
    """Validated 1-D float64 equity curve: at least 2 finite, positive values."""
    values = np.asarray(equity, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"equity must be 1-D, had shape {values.shape}")
    if len(values) < 2:
        raise ValueError(f"equity must have >= 2 values, had {len(values)}")
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError("equity values must be finite and > 0")
    return values


def simple_returns(equity: ArrayLike) -> np.ndarray:
    """``r_t = V_t / V_{t-1} - 1``, length n."""
    values = as_equity(equity)
    return values[1:] / values[:-1] - 1.0


def log_returns(equity: ArrayLike) -> np.ndarray:
    """``ln(V_t / V_{t-1})``, length n."""
    values = as_equity(equity)
    return np.log(values[1:] / values[:-1])


def total_return(equity: ArrayLike) -> float:
    """``V_n / V_0 - 1``."""
    values = as_equity(equity)
    return float(values[-1] / values[0] - 1.0)


def annualized_return(equity: ArrayLike, periods_per_year: float) -> float:
    """Geometric ``(V_n / V_0) ** (P / n) - 1``; same sign as the total return."""
    _check_periods(periods_per_year)
    values = as_equity(equity)
    n = len(values) - 1
    return float((values[-1] / values[0]) ** (periods_per_year / n) - 1.0)


def _check_periods(periods_per_year: float) -> None:
    if not periods_per_year > 0:
        raise ValueError(f"periods_per_year must be > 0, was {periods_per_year}")


WEEKEND_SHARE_FOR_CRYPTO = 0.05
"""A series with more than this share of bars on Saturdays/Sundays trades every day."""


def infer_market(dates: Sequence[Any] | np.ndarray | pd.DatetimeIndex) -> str:
    """``"crypto"`` when the calendar trades at weekends (> 5% of bars), else ``"equity"``.

    Why: annualization needs the calendar (365 vs 252 days) and a user's CSV rarely says which
    market it is; weekend bars are the observable difference. FX cannot be told from equities
    this way, and both annualize on 252 days.
    """
    index = pd.DatetimeIndex(pd.to_datetime(np.asarray(dates)))
    if len(index) == 0:
        return "equity"
    weekend = float(np.mean(index.dayofweek >= 5))
    return "crypto" if weekend > WEEKEND_SHARE_FOR_CRYPTO else "equity"


def periods_per_year(freq: str | pd.Timedelta, market: str = "equity") -> float:
    """Bars per year for a bar size and market.

    Daily bars: equity 252 trading days, crypto 365 (trades every day), fx 252 (weekdays, by
    the usual convention). Weekly 52, monthly 12 for all markets. Intraday bars: equity trades
    6.5 h a day on 252 days, crypto 24 h on 365 days, fx 24 h on 252 days; a bar of size b gives
    ``hours_per_day * 3600 / b_seconds * days``.

    Raises:
        ValueError: unknown market, or a bar that is not positive.
    """
    if market not in _MARKETS:
        raise ValueError(f"market must be one of {_MARKETS}, was {market!r}")
    if isinstance(freq, str) and freq.upper() in ("W", "1W"):
        return 52.0
    if isinstance(freq, str) and freq.upper() in ("M", "1M", "ME", "MS"):
        return 12.0
    try:
        bar = pd.Timedelta(freq) if not isinstance(freq, pd.Timedelta) else freq
    except ValueError:
        bar = pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
    seconds = bar.total_seconds()
    if seconds <= 0:
        raise ValueError(f"freq must be a positive bar size, was {freq!r}")
    days = CALENDAR_DAYS_PER_YEAR if market == "crypto" else TRADING_DAYS_PER_YEAR
    day = 86400.0
    if seconds >= day:
        return days * day / seconds
    hours = EQUITY_HOURS_PER_DAY if market == "equity" else 24.0
    return hours * 3600.0 / seconds * days
