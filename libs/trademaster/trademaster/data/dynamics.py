"""Market-dynamics labeling (TradeMaster's slice-and-merge model), computed by the platform.

Steps, for one price series (``adjcp``, else ``close``):

1. **Low-pass filter**: a Butterworth filter of order ``filter_order`` run forwards and backwards
   (zero phase) with normalised cut-off ``Wn = 2 / (min_length * filter_strength)``; no filter
   when ``Wn >= 1``. Zero phase matters: the filter looks at the future, so labels describe the
   past and are **not** tradeable signals (use them to evaluate, never as features).
2. **Slice** at turning points, where the filtered return changes sign.
3. **Enforce** ``min_length``: a turning point closer than that to the previous one is dropped.
4. **Merge** every slice shorter than ``max_length_expectation`` into its left or right
   neighbour when their DTW distance (sliding the shorter over the longer, normalised by the
   shorter's length and mean level) is below ``merging_threshold``; repeat until nothing merges.
5. **Fit** a line to each slice's filtered values; its slope in percent of the slice's first
   value per bar is the slice's trend.
6. **Label** slices ``0..dynamic_number-1`` from most bearish to most bullish, by quantiles of
   the slopes (``quantile``) or by equal-width bins between fixed bounds (``slope``).

Portfolios are labeled by an index series (every instrument gets the index's label per date)
or by a majority vote per date over per-instrument labels, as upstream does. Results are
deterministic: no randomness anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from dtaidistance import dtw
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.signal import butter, filtfilt

LABEL_COLUMN = "label"


class DynamicsParams(BaseModel):
    """Parameters of the slice-and-merge model; defaults are upstream's BTC configuration."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dynamic_number: int = Field(3, ge=2, le=10, description="Number of labels (0 = most bearish).")
    labeling_method: Literal["quantile", "slope"] = Field(
        "quantile", description="Slope quantiles over the slices, or fixed slope bounds."
    )
    slope_bounds: tuple[float, float] = Field(
        (-0.15, 0.15),
        description="For 'slope': [low, high] in percent per bar; bins are equal-width between "
        "min(low, 0) and max(high, 0).",
    )
    filter_strength: float = Field(1.0, gt=0, description="Larger filters more (lower cut-off).")
    filter_order: int = Field(4, ge=1, le=10, description="Butterworth filter order.")
    min_length: int = Field(12, ge=1, description="Shortest slice in bars (hard limit).")
    max_length_expectation: int = Field(
        120, ge=1, description="Slices shorter than this are candidates for merging."
    )
    merging_threshold: float = Field(
        0.03, ge=0, description="Normalised DTW distance under which neighbours merge (0: off)."
    )
    max_merge_rounds: int = Field(100, ge=0, description="Safety bound on merging passes.")

    @model_validator(mode="after")
    def _bounds(self) -> DynamicsParams:
        if self.labeling_method == "slope" and self.slope_bounds[0] == self.slope_bounds[1]:
            raise ValueError("slope_bounds must differ for labeling_method='slope'")
        return self


@dataclass(frozen=True)
class Segment:
    """Bars ``start..end-1`` of one slice with its trend and label."""

    start: int
    end: int
    slope: float
    label: int

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class DynamicsResult:
    """Per-bar labels plus the filtered series and the slices they came from."""

    labels: np.ndarray
    filtered: np.ndarray
    segments: tuple[Segment, ...]
    thresholds: tuple[float, ...]

    def segment_table(self, values: np.ndarray, dates: np.ndarray | None = None) -> pd.DataFrame:
        """One row per slice: bounds, label, slope, return and max drawdown of ``values``."""
        rows = []
        for s in self.segments:
            seg = values[s.start : s.end]
            peak = np.maximum.accumulate(seg)
            rows.append(
                {
                    "start": s.start if dates is None else dates[s.start],
                    "end": s.end - 1 if dates is None else dates[s.end - 1],
                    "bars": s.length,
                    "label": s.label,
                    "slope_pct": s.slope,
                    "return": float(seg[-1] / seg[0] - 1.0),
                    "max_drawdown": float(np.max((peak - seg) / peak)),
                }
            )
        return pd.DataFrame(rows)


def _filter(values: np.ndarray, params: DynamicsParams) -> np.ndarray:
    wn = 2.0 / (params.min_length * params.filter_strength)
    if wn >= 1.0:
        return values.copy()
    b, a = butter(params.filter_order, wn, btype="low")
    if len(values) <= 3 * max(len(a), len(b)):
        return filtfilt(b, a, values, method="gust")
    return filtfilt(b, a, values)


def _turning_points(filtered: np.ndarray, min_length: int) -> list[int]:
    ret = np.r_[0.0, filtered[1:] / filtered[:-1] - 1.0]
    flips = (np.flatnonzero(ret[:-1] * ret[1:] < 0) + 1).tolist()
    points = [0]
    for p in flips:
        if p - points[-1] >= min_length:
            points.append(p)
    if len(filtered) - points[-1] < min_length and len(points) > 1:
        points.pop()
    return [*points, len(filtered)]


def dtw_distance(a: np.ndarray, b: np.ndarray, samples: int = 10) -> float:
    """DTW (sum of |x - y| on the path) of the shorter series against windows of the longer.

    The shorter slides over the longer in at most ``samples`` steps; the mean distance is
    normalised by the shorter's length and mean level, so it is scale free.
    """
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    n = len(short)
    step = max(1, (len(long) - n) // samples)
    starts = range(0, len(long) - n + 1, step)
    dists = [
        dtw.distance_fast(short, long[i : i + n].copy(), inner_dist="euclidean") for i in starts
    ]
    level = float(np.mean(short))
    return float(np.mean(dists)) / (n * level) if level else float("inf")


def _merge(points: list[int], filtered: np.ndarray, params: DynamicsParams) -> list[int]:
    """Merge short slices into their nearest neighbour (by DTW) until nothing changes."""
    if params.merging_threshold <= 0:
        return points
    bounds = list(points)
    for round_ in range(params.max_merge_rounds):
        changed = False
        i = 0
        while i < len(bounds) - 1:
            start, end = bounds[i], bounds[i + 1]
            if end - start >= params.max_length_expectation or len(bounds) <= 2:
                i += 1
                continue
            this = filtered[start:end]
            samples = 3 * (round_ + 1) + 10
            left = dtw_distance(filtered[bounds[i - 1] : start], this, samples) if i > 0 else np.inf
            right = (
                dtw_distance(this, filtered[end : bounds[i + 2]], samples)
                if i + 2 < len(bounds)
                else np.inf
            )
            if min(left, right) < params.merging_threshold:
                del bounds[i if left < right else i + 1]  # drop the shared boundary
                changed = True
            else:
                i += 1
        if not changed:
            break
    return bounds


def _slopes(bounds: list[int], filtered: np.ndarray) -> np.ndarray:
    out = []
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        seg = filtered[start:end]
        coef = np.polyfit(np.arange(len(seg), dtype=np.float64), seg, 1)[0] if len(seg) > 1 else 0.0
        out.append(100.0 * coef / seg[0])
    return np.asarray(out, dtype=np.float64)


def _thresholds(slopes: np.ndarray, params: DynamicsParams) -> np.ndarray:
    k = params.dynamic_number
    if params.labeling_method == "quantile":
        return np.quantile(slopes, np.arange(1, k) / k)
    low, _, high = sorted([*params.slope_bounds, 0.0])
    return low + (high - low) / k * np.arange(1, k)


def label_series(values: np.ndarray, params: DynamicsParams | None = None) -> DynamicsResult:
    """Label every bar of one positive price series (NaNs are filled from neighbours).

    Raises:
        ValueError: fewer than 3 bars, or non-positive prices.
    """
    params = params or DynamicsParams()
    x = pd.Series(np.asarray(values, dtype=np.float64)).ffill().bfill().to_numpy()
    if len(x) < 3 or not np.all(np.isfinite(x)) or np.any(x <= 0):
        raise ValueError("labeling needs >= 3 finite, positive prices")
    filtered = _filter(x, params)
    if np.any(filtered <= 0):
        filtered = np.maximum(filtered, np.min(x) * 1e-3)
    bounds = _merge(_turning_points(filtered, params.min_length), filtered, params)
    slopes = _slopes(bounds, filtered)
    thresholds = _thresholds(slopes, params)
    seg_labels = np.searchsorted(thresholds, slopes, side="left")
    labels = np.repeat(seg_labels, np.diff(bounds)).astype(np.int64)
    segments = tuple(
        Segment(s, e, float(k), int(lab))
        for s, e, k, lab in zip(bounds[:-1], bounds[1:], slopes, seg_labels, strict=True)
    )
    return DynamicsResult(labels, filtered, segments, tuple(float(t) for t in thresholds))


def key_column(df: pd.DataFrame) -> str:
    """``adjcp`` when present and complete enough, else ``close``."""
    if "adjcp" in df.columns and df["adjcp"].notna().mean() > 0.99:
        return "adjcp"
    return "close"


def label_frame(
    df: pd.DataFrame,
    params: DynamicsParams | None = None,
    *,
    portfolio: Literal["per_instrument", "majority", "index"] = "per_instrument",
    index: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """A copy of a long bar frame (``date``, ``tic``, prices) with an integer ``label`` column.

    ``per_instrument`` labels each instrument on its own series; ``majority`` gives every row of
    a date the label most instruments carry that date (ties to the lower label); ``index``
    labels the ``index`` frame (one instrument, e.g. DJI) and maps its labels onto the dates,
    carrying the last label forward over dates the index lacks.
    """
    params = params or DynamicsParams()
    out = df.copy()
    if portfolio == "index":
        if index is None:
            raise ValueError("portfolio='index' needs an index frame")
        idx = index.sort_values("date").drop_duplicates("date")
        labels = label_series(idx[key_column(idx)].to_numpy(), params).labels
        per_date = pd.Series(labels, index=pd.DatetimeIndex(idx["date"]))
        dates = pd.DatetimeIndex(out["date"])
        grid = per_date.index.union(dates.unique())
        mapped = per_date.reindex(grid).ffill().bfill().reindex(dates)
        out[LABEL_COLUMN] = mapped.to_numpy().astype(np.int64)
        return out
    key = key_column(out)
    labels = np.zeros(len(out), dtype=np.int64)
    for _, rows in out.groupby("tic", sort=True).groups.items():
        part = out.loc[rows].sort_values("date")
        labels[out.index.get_indexer(part.index)] = label_series(
            part[key].to_numpy(), params
        ).labels
    out[LABEL_COLUMN] = labels
    if portfolio == "majority":
        votes = out.groupby(["date", LABEL_COLUMN]).size().rename("n").reset_index()
        votes = votes.sort_values(["date", "n", LABEL_COLUMN], ascending=[True, False, True])
        winner = votes.drop_duplicates("date").set_index("date")[LABEL_COLUMN]
        out[LABEL_COLUMN] = out["date"].map(winner).astype(np.int64)
    return out


def label_statistics(df: pd.DataFrame, params: DynamicsParams | None = None) -> pd.DataFrame:
    """Per label: slices, bars, mean/std of slope (%/bar), length, return and max drawdown.

    Computed per instrument on its own labels (``label_frame(..., 'per_instrument')``).
    """
    params = params or DynamicsParams()
    tables = []
    key = key_column(df)
    for tic, part in df.sort_values("date").groupby("tic", sort=True):
        values = part[key].ffill().bfill().to_numpy(dtype=np.float64)
        result = label_series(values, params)
        table = result.segment_table(values, part["date"].to_numpy())
        table.insert(0, "tic", tic)
        tables.append(table)
    segs = pd.concat(tables, ignore_index=True)
    stats = segs.groupby("label").agg(
        segments=("bars", "size"),
        bars=("bars", "sum"),
        slope_mean=("slope_pct", "mean"),
        slope_std=("slope_pct", "std"),
        length_mean=("bars", "mean"),
        length_std=("bars", "std"),
        return_mean=("return", "mean"),
        max_drawdown_mean=("max_drawdown", "mean"),
    )
    return stats.reset_index()


def contiguous_segments(labels: np.ndarray) -> list[tuple[Any, int, int]]:
    """``(label, start, end)`` of each run of equal labels (``end`` exclusive)."""
    labels = np.asarray(labels)
    if len(labels) == 0:
        return []
    breaks = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.r_[0, breaks]
    ends = np.r_[breaks, len(labels)]
    return [(_scalar(labels[s]), int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def _scalar(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
