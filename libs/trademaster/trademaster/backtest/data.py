"""MarketData: the dense ``[T, A]`` price/volume arrays (plus optional regime labels) a
backtest replays."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from trademaster.data.panel import Panel
from trademaster.metrics.returns import periods_per_year

_LOGGER = logging.getLogger(__name__)

LABEL_COLUMN = "label"


@dataclass(frozen=True)
class MarketData:
    """Bars on a full (time x asset) grid.

    Attributes:
        dates: datetime64[ns] [T], strictly increasing.
        tics: asset names, length A.
        close: float64 [T, A], > 0.
        open: float64 [T, A] or None (then ``next_open`` fills are refused).
        volume: float64 [T, A] or None (volume-based slippage is refused).
        labels: market-dynamics regime label per bar [T] (object/str), or None.
    """

    dates: np.ndarray
    tics: tuple[str, ...]
    close: np.ndarray
    open: np.ndarray | None = None
    volume: np.ndarray | None = None
    labels: np.ndarray | None = None

    def __post_init__(self) -> None:
        t = len(self.dates)
        shape = (t, len(self.tics))
        for name in ("close", "open", "volume"):
            arr = getattr(self, name)
            if arr is not None and arr.shape != shape:
                raise ValueError(f"{name} must have shape {shape} (T, A), was {arr.shape}")
        if t < 2:
            raise ValueError(f"market data needs >= 2 bars, had {t}")
        if not np.all(np.isfinite(self.close)) or np.any(self.close <= 0):
            raise ValueError("close prices must be finite and > 0")
        if self.open is not None and (not np.all(np.isfinite(self.open)) or np.any(self.open <= 0)):
            raise ValueError("open prices must be finite and > 0")
        if self.labels is not None and self.labels.shape != (t,):
            raise ValueError(f"labels must have shape ({t},), was {self.labels.shape}")

    @property
    def num_bars(self) -> int:
        return len(self.dates)

    @property
    def num_assets(self) -> int:
        return len(self.tics)

    @classmethod
    def from_arrays(
        cls,
        close: Any,
        *,
        open_: Any | None = None,
        volume: Any | None = None,
        dates: Any | None = None,
        tics: Sequence[str] | None = None,
        labels: Any | None = None,
    ) -> MarketData:
        """Wrap arrays ([T] or [T, A]); dates default to daily bars from 2000-01-01."""
        close_a = _as_2d(close, "close")
        t, a = close_a.shape
        if dates is None:
            dates = np.datetime64("2000-01-01", "ns") + np.arange(t) * np.timedelta64(1, "D")
        return cls(
            dates=np.asarray(dates, dtype="datetime64[ns]"),
            tics=tuple(tics) if tics is not None else tuple(f"A{i}" for i in range(a)),
            close=close_a,
            open=None if open_ is None else _as_2d(open_, "open"),
            volume=None if volume is None else _as_2d(volume, "volume"),
            labels=None if labels is None else np.asarray(labels, dtype=object),
        )

    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, ffill: bool = True) -> MarketData:
        """From a long OHLCV frame (``load_ohlcv``); a ``label`` column becomes regime labels.

        Missing (date, tic) pairs are forward-filled (a halted asset keeps its last price).
        """
        fields = ["close"]
        has_open = "open" in df.columns and bool(df["open"].notna().all())
        has_volume = "volume" in df.columns and bool(df["volume"].notna().all())
        fields += ["open"] if has_open else []
        fields += ["volume"] if has_volume else []
        panel = Panel.from_long(df, fields, ffill=ffill)
        labels = None
        if LABEL_COLUMN in df.columns:
            per_date = df.groupby("date", sort=True)[LABEL_COLUMN].first()
            labels = per_date.reindex(pd.DatetimeIndex(panel.dates)).astype(str).to_numpy()
        return cls(
            dates=panel.dates,
            tics=panel.tics,
            close=np.ascontiguousarray(panel.field("close")),
            open=np.ascontiguousarray(panel.field("open")) if has_open else None,
            volume=np.ascontiguousarray(panel.field("volume")) if has_volume else None,
            labels=labels,
        )

    def slice_dates(self, start: Any = None, end: Any = None) -> MarketData:
        """Bars with ``start <= date <= end`` (inclusive, either bound optional).

        Raises:
            ValueError: fewer than 2 bars remain, or start > end.
        """
        lo = None if start is None else np.datetime64(pd.Timestamp(start), "ns")
        hi = None if end is None else np.datetime64(pd.Timestamp(end), "ns")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"start must be <= end, was {start} > {end}")
        mask = np.ones(self.num_bars, dtype=bool)
        if lo is not None:
            mask &= self.dates >= lo
        if hi is not None:
            mask &= self.dates <= hi
        if mask.sum() < 2:
            raise ValueError(
                f"date range {start}..{end} holds {int(mask.sum())} bars of data spanning "
                f"{self.dates[0]}..{self.dates[-1]}, need >= 2"
            )
        return MarketData(
            dates=self.dates[mask],
            tics=self.tics,
            close=self.close[mask],
            open=None if self.open is None else self.open[mask],
            volume=None if self.volume is None else self.volume[mask],
            labels=None if self.labels is None else self.labels[mask],
        )

    def periods_per_year(self, market: str = "equity") -> float:
        """Bars per year from the median bar spacing (see ``metrics.periods_per_year``)."""
        spacing = pd.Timedelta(np.median(np.diff(self.dates)))
        if spacing.total_seconds() >= 20 * 3600:
            spacing = pd.Timedelta(days=max(1, round(spacing.total_seconds() / 86400)))
        return periods_per_year(spacing, market)


def _as_2d(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be [T] or [T, A], had shape {arr.shape}")
    return np.ascontiguousarray(arr)
