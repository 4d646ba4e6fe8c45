"""Infer the calendar bars follow and the stamps it expects, to tell gaps from closed markets.

Daily bars with weekend stamps are 24x7 (crypto); without, business days. Intraday bars keep as
the session the times of day seen on at least half as many days as the most common one (SSE50
hourly: 09:30, 10:30, 11:30, 14:00, 15:00). Runs of whole missing weekdays up to
``holiday_max_days`` are holidays, not gaps, since no exchange calendar is known for a user's file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trademaster.data.quality.report import CalendarInfo

_DAY_NS = 86_400 * 10**9


def infer_calendar(stamps: np.ndarray) -> CalendarInfo:
    """Calendar of sorted distinct datetime64[ns] ``stamps``."""
    if len(stamps) < 3:
        return CalendarInfo(kind="irregular")
    step = float(np.median(np.diff(stamps).astype(np.int64))) / 1e9
    weekday = pd.DatetimeIndex(stamps).day_of_week.to_numpy()
    weekend = bool(np.mean(weekday >= 5) > 0.05)
    if step >= 20 * 3600:
        return CalendarInfo(kind="daily_24x7" if weekend else "business_days", step_seconds=step)
    if step <= 0:
        return CalendarInfo(kind="irregular", step_seconds=step)
    tod = stamps.astype(np.int64) % _DAY_NS
    values, counts = np.unique(tod, return_counts=True)
    session = values[counts >= 0.5 * counts.max()]
    if len(session) > 2000:
        return CalendarInfo(kind="irregular", step_seconds=step)
    times = tuple(str(pd.Timedelta(int(v), "ns")).split(" days ")[-1] for v in session)
    return CalendarInfo(
        kind="intraday_24x7" if weekend else "intraday", step_seconds=step, session_times=times
    )


def expected_stamps(cal: CalendarInfo, stamps: np.ndarray) -> np.ndarray | None:
    """Every stamp the calendar expects between the first and last of ``stamps`` (None: unknown)."""
    if cal.kind == "irregular" or len(stamps) == 0:
        return None
    first, last = int(stamps[0]), int(stamps[-1])
    day0, day1 = first // _DAY_NS, last // _DAY_NS
    days = np.arange(day0, day1 + 1, dtype=np.int64)
    if cal.kind in ("business_days", "intraday"):
        days = days[((days + 3) % 7) < 5]  # 1970-01-01 was a Thursday
    if cal.kind in ("business_days", "daily_24x7"):
        tod_values, counts = np.unique(stamps.astype(np.int64) % _DAY_NS, return_counts=True)
        offsets = np.asarray([tod_values[np.argmax(counts)]], dtype=np.int64)
    else:
        offsets = np.asarray([pd.Timedelta(t).value for t in cal.session_times], dtype=np.int64)
    grid = (days[:, None] * _DAY_NS + offsets[None, :]).ravel()
    grid = grid[(grid >= first) & (grid <= last)]
    if cal.kind in ("business_days", "daily_24x7"):
        # a daily file may stamp bars at varying times of day: compare by day
        have = np.unique(stamps.astype(np.int64) // _DAY_NS)
        missing_days = np.setdiff1d(grid // _DAY_NS, have)
        keep = np.isin(grid // _DAY_NS, missing_days)
        grid = np.union1d(grid[keep], stamps.astype(np.int64))
    return grid.astype("datetime64[ns]")


def holiday_mask(
    cal: CalendarInfo, missing: np.ndarray, grid: np.ndarray, max_days: int
) -> np.ndarray:
    """True for missing stamps inside runs of whole missing weekdays no longer than ``max_days``."""
    if cal.kind not in ("business_days", "intraday") or len(missing) == 0 or max_days == 0:
        return np.zeros(len(missing), dtype=bool)
    grid_days = grid.astype(np.int64) // _DAY_NS
    miss_days = missing.astype(np.int64) // _DAY_NS
    per_day_grid = pd.Series(1, index=grid_days).groupby(level=0).size()
    per_day_missing = pd.Series(1, index=miss_days).groupby(level=0).size()
    whole = per_day_missing.index[
        per_day_missing.to_numpy() == per_day_grid.loc[per_day_missing.index].to_numpy()
    ]
    whole_days = np.asarray(whole, dtype=np.int64)
    if len(whole_days) == 0:
        return np.zeros(len(missing), dtype=bool)
    trading_days = np.unique(grid_days)
    position = np.searchsorted(trading_days, whole_days)
    run_id = np.cumsum(np.r_[1, np.diff(position) != 1])
    run_len = np.bincount(run_id)[run_id]
    short_days = whole_days[run_len <= max_days]
    return np.isin(miss_days, short_days)
