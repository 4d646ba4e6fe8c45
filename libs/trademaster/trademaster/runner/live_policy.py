"""A deployment's decisions: the bar history it has seen and the policy's target weights on it.

The decision on a new bar is the backtest replay (:func:`trademaster.backtest.sources.model_plan`)
run over the history up to and including that bar, so features, the artifact's train-fitted
scaler and the policy are applied exactly as in the backtest; only the newest bar's row is used.
The history is bounded (``max_bars``), and rebuilt from the same stream on a restart, so a
restarted runner takes the same decisions. This full replay is the reference; the runner decides
with :class:`trademaster.runner.incremental.IncrementalPolicy`, which gives the same targets
with per-bar work.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

BAR_FIELDS = ("i", "t", "o", "h", "l", "c", "v")
"""Fields of one bar on the market-data stream (instrument, market time ns, OHLCV)."""


@dataclass(frozen=True, slots=True)
class StreamBar:
    """One bar of one instrument as read from the bar stream."""

    instrument_id: str
    time_ns: int
    open: float
    high: float
    low: float
    close: float
    volume: float


def parse_bar(fields: Mapping[str, str]) -> StreamBar | None:
    """The bar of a stream entry, or None for an entry that is not a complete bar."""
    try:
        volume = float(fields.get("v", "nan"))
        return StreamBar(
            fields["i"],
            int(fields["t"]),
            float(fields["o"]),
            float(fields["h"]),
            float(fields["l"]),
            float(fields["c"]),
            volume if math.isfinite(volume) else 0.0,
        )
    except (KeyError, ValueError):
        return None


class BarHistory:
    """The last ``max_bars`` bar times of the deployment's instruments; a time is complete
    when every instrument has its bar."""

    def __init__(self, instruments: Sequence[str], max_bars: int) -> None:
        self.instruments = tuple(instruments)
        self._rows: dict[int, dict[str, StreamBar]] = {}
        self._complete: deque[int] = deque(maxlen=max_bars)

    def add(self, bar: StreamBar) -> int | None:
        """Record ``bar``; returns its time when that makes the time complete (once)."""
        if bar.instrument_id not in self.instruments:
            return None
        if self._complete and bar.time_ns <= self._complete[-1]:
            return None  # late or repeated bar: decisions never look back
        row = self._rows.setdefault(bar.time_ns, {})
        row[bar.instrument_id] = bar
        if len(row) < len(self.instruments):
            return None
        self._complete.append(bar.time_ns)
        for stale in [t for t in self._rows if t <= bar.time_ns and t not in self._complete]:
            del self._rows[stale]
        for dropped in [t for t in self._rows if t < self._complete[0]]:
            del self._rows[dropped]
        return bar.time_ns

    @property
    def complete_bars(self) -> int:
        return len(self._complete)

    def times(self) -> list[int]:
        """The complete bar times, oldest first."""
        return list(self._complete)

    def bar(self, time_ns: int, instrument: str) -> StreamBar:
        """The bar of ``instrument`` at the complete time ``time_ns``."""
        return self._rows[time_ns][instrument]

    def closes(self, time_ns: int) -> dict[str, float]:
        return {i: bar.close for i, bar in self._rows[time_ns].items()}

    def frame(self) -> pd.DataFrame:
        """The complete bars as the long OHLCV frame the backtest reads."""
        rows = [
            {
                "date": pd.Timestamp(t, unit="ns"),
                "tic": b.instrument_id,
                "open": b.open,
                "high": b.high,
                "low": b.low,
                "close": b.close,
                "volume": b.volume,
            }
            for t in self._complete
            for b in self._rows[t].values()
        ]
        return pd.DataFrame(rows).sort_values(["date", "tic"]).reset_index(drop=True)


def warmup_bars(artifact: Any) -> int:
    """Bars before the first decision: the longest feature window plus the observation window."""
    from trademaster.data.features import Z_WINDOWS
    from trademaster.training.pipeline import env_config

    window = int(env_config(artifact.run_spec, num_envs=1, episode_length=None).window)
    return max(Z_WINDOWS) + window + 1


def target_weights(artifact: Any, history: BarHistory) -> list[float] | None:
    """The policy's target weight per instrument on the newest bar; None while the history
    is shorter than the policy's feature warm-up and observation window."""
    from trademaster.backtest.data import MarketData
    from trademaster.backtest.sources import model_plan

    if history.complete_bars < warmup_bars(artifact):
        return None
    frame = history.frame()
    data = MarketData.from_frame(frame)
    plan = model_plan(artifact, data, frame, through_last=True)
    row = plan.weights[-1]
    if np.isnan(row).all():
        return None
    return [float(np.nan_to_num(row[data.tics.index(i)])) for i in history.instruments]
