"""Price bars for charts: one asset's OHLCV rows merged into at most ``max_points`` bars."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

_LOGGER = logging.getLogger(__name__)

DEFAULT_MAX_POINTS = 1000
MAX_POINTS_LIMIT = 10_000


class BarsUnavailable(ValueError):
    """The request names an asset or dataset that has no OHLC bars; ``field`` says which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Bars:
    """Columnar bars in time order; ``volume`` is None when the data has no volume."""

    time: pd.DatetimeIndex
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray | None
    total_rows: int
    bucket_rows: int


def has_volume(frame: pd.DataFrame) -> bool:
    return "volume" in frame.columns and bool(frame["volume"].notna().any())


def merge_bars(frame: pd.DataFrame, max_points: int) -> Bars:
    """Merge consecutive rows of one asset (columns date, open, high, low, close[, volume])
    so at most ``max_points`` bars remain: first open, max high, min low, last close, summed
    volume. Rows must already be sorted by date.
    """
    if max_points < 1:
        raise ValueError(f"max_points must be >= 1, was {max_points}")
    rows = len(frame)
    bucket = max(1, math.ceil(rows / max_points))
    group = np.arange(rows) // bucket
    grouped = frame.groupby(group, sort=True)
    volume = grouped["volume"].sum(min_count=1).fillna(0.0) if has_volume(frame) else None
    return Bars(
        time=pd.DatetimeIndex(grouped["date"].first()),
        open=grouped["open"].first().to_numpy(dtype=float),
        high=grouped["high"].max().to_numpy(dtype=float),
        low=grouped["low"].min().to_numpy(dtype=float),
        close=grouped["close"].last().to_numpy(dtype=float),
        volume=None if volume is None else volume.to_numpy(dtype=float),
        total_rows=rows,
        bucket_rows=bucket,
    )
