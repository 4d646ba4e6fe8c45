"""Point-in-time train/valid/test splits and scalers fitted on the training part only."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Split:
    """Three disjoint, chronologically ordered parts of a long frame."""

    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame


def split_by_date(df: pd.DataFrame, train_end: Any, valid_end: Any, *, gap: int = 0) -> Split:
    """Split on dates: train ``<= train_end`` < valid ``<= valid_end`` < test.

    ``gap`` distinct dates are dropped at the start of valid and of test, so rolling features or
    labels that span the boundary cannot carry information across it.

    Raises:
        ValueError: ``valid_end < train_end`` or ``gap < 0``.
    """
    if gap < 0:
        raise ValueError(f"gap must be >= 0, was {gap}")
    t_end, v_end = pd.Timestamp(train_end), pd.Timestamp(valid_end)
    if v_end < t_end:
        raise ValueError(f"valid_end must be >= train_end ({t_end}), was {v_end}")
    dates = df["date"]
    train = df[dates <= t_end]
    valid = _drop_leading_dates(df[(dates > t_end) & (dates <= v_end)], gap)
    test = _drop_leading_dates(df[dates > v_end], gap)
    return Split(*(part.reset_index(drop=True) for part in (train, valid, test)))


def _drop_leading_dates(part: pd.DataFrame, gap: int) -> pd.DataFrame:
    if gap == 0 or part.empty:
        return part
    dates = np.sort(part["date"].unique())
    if gap >= len(dates):
        return part.iloc[0:0]
    return part[part["date"] >= dates[gap]]


@dataclass
class FeatureScaler:
    """Standardize columns ``(x - mean) / std`` with statistics from the training data only.

    ``per="column"`` uses one mean/std per column; ``per="tic"`` one per (tic, column), and
    tickers unseen in training fall back to the pooled column statistics. A zero or NaN std
    becomes 1 so constant columns map to 0 instead of inf.
    """

    per: Literal["column", "tic"] = "column"
    columns: tuple[str, ...] = ()
    mean: dict[str, dict[str, float]] = field(default_factory=dict)
    std: dict[str, dict[str, float]] = field(default_factory=dict)

    _POOLED = "*"

    def fit(self, train: pd.DataFrame, columns: Sequence[str]) -> FeatureScaler:
        if self.per not in ("column", "tic"):
            raise ValueError(f"per must be 'column' or 'tic', was {self.per!r}")
        missing = [c for c in columns if c not in train.columns]
        if missing:
            raise ValueError(f"columns {missing} not in the training frame")
        self.columns = tuple(columns)
        self.mean, self.std = {}, {}
        for col in self.columns:
            self.mean[col] = {self._POOLED: float(train[col].mean())}
            self.std[col] = {self._POOLED: _safe_std(train[col].std(ddof=0))}
            if self.per == "tic":
                grouped = train.groupby("tic")[col]
                for tic, value in grouped.mean().items():
                    self.mean[col][str(tic)] = float(value)
                for tic, value in grouped.std(ddof=0).items():
                    self.std[col][str(tic)] = _safe_std(value)
        return self

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        """A copy with the fitted columns standardized."""
        if not self.columns:
            raise ValueError("scaler is not fitted: call fit(train, columns) first")
        out = df.copy()
        for col in self.columns:
            pooled_mean, pooled_std = self.mean[col][self._POOLED], self.std[col][self._POOLED]
            if self.per == "tic":
                tics = out["tic"].astype(str)
                mean = tics.map(self.mean[col]).fillna(pooled_mean).astype("float64")
                std = tics.map(self.std[col]).fillna(pooled_std).astype("float64")
            else:
                mean, std = pooled_mean, pooled_std
            out[col] = (out[col] - mean) / std
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state, so a deployed policy sees exactly the training scaling."""
        return {"per": self.per, "columns": list(self.columns), "mean": self.mean, "std": self.std}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> FeatureScaler:
        return cls(
            per=state["per"],
            columns=tuple(state["columns"]),
            mean=state["mean"],
            std=state["std"],
        )


def _safe_std(value: float) -> float:
    value = float(value)
    return value if np.isfinite(value) and value > 0 else 1.0


def scale_split(
    split: Split, columns: Sequence[str], *, per: Literal["column", "tic"] = "column"
) -> tuple[Split, FeatureScaler]:
    """Fit a scaler on ``split.train`` only and transform all three parts."""
    scaler = FeatureScaler(per=per).fit(split.train, columns)
    scaled = Split(
        scaler.transform(split.train), scaler.transform(split.valid), scaler.transform(split.test)
    )
    return scaled, scaler
