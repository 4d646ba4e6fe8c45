"""Dense ``[time, asset, field]`` arrays: the form environments and backtests consume."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

_LOGGER = logging.getLogger(__name__)

_MAX_LISTED_MISSING = 10


@dataclass(frozen=True)
class Panel:
    """Prices/features on a full (date x tic) grid.

    Attributes:
        dates: datetime64[ns], shape [T], strictly increasing.
        tics: asset names, length A.
        fields: field names, length F.
        values: float64, shape [T, A, F].
    """

    dates: np.ndarray
    tics: tuple[str, ...]
    fields: tuple[str, ...]
    values: np.ndarray

    def __post_init__(self) -> None:
        expected = (len(self.dates), len(self.tics), len(self.fields))
        if self.values.shape != expected:
            raise ValueError(f"values shape must be {expected} (T, A, F), was {self.values.shape}")
        if len(self.dates) > 1 and not np.all(self.dates[1:] > self.dates[:-1]):
            raise ValueError("dates must be strictly increasing")

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.values.shape  # type: ignore[return-value]

    def field(self, name: str) -> np.ndarray:
        """The ``[T, A]`` array of one field (a view, not a copy)."""
        try:
            idx = self.fields.index(name)
        except ValueError:
            raise KeyError(f"field {name!r} not in panel fields {list(self.fields)}") from None
        return self.values[:, :, idx]

    def slice_dates(self, start: Any = None, end: Any = None) -> Panel:
        """Sub-panel with ``start <= date <= end`` (either bound optional)."""
        mask = np.ones(len(self.dates), dtype=bool)
        if start is not None:
            mask &= self.dates >= np.datetime64(pd.Timestamp(start), "ns")
        if end is not None:
            mask &= self.dates <= np.datetime64(pd.Timestamp(end), "ns")
        return Panel(self.dates[mask], self.tics, self.fields, self.values[mask])

    def slice_index(self, start: int, stop: int) -> Panel:
        """Sub-panel of rows ``start:stop``."""
        return Panel(self.dates[start:stop], self.tics, self.fields, self.values[start:stop])

    @classmethod
    def from_long(
        cls,
        df: pd.DataFrame,
        fields: Sequence[str],
        *,
        ffill: bool = False,
        tics: Sequence[str] | None = None,
    ) -> Panel:
        """Pivot a long (date, tic) frame to a Panel.

        Every (date, tic) pair must be present, unless ``ffill`` is set: then a missing pair takes
        that tic's previous value (causal; leading gaps still raise since nothing precedes them).

        Raises:
            ValueError: missing fields, duplicate pairs, or missing pairs (listed).
        """
        fields = tuple(fields)
        absent = [f for f in (*fields, "date", "tic") if f not in df.columns]
        if absent:
            raise ValueError(f"frame lacks columns {absent} needed for the panel")
        dup = df.duplicated(["date", "tic"])
        if dup.any():
            first = df.loc[dup, ["date", "tic"]].iloc[0]
            raise ValueError(
                f"{int(dup.sum())} duplicate (date, tic) rows, first ({first['date']}, "
                f"{first['tic']})"
            )
        tic_order = tuple(tics) if tics is not None else tuple(sorted(df["tic"].unique()))
        dates = np.sort(df["date"].unique()).astype("datetime64[ns]")
        wide = df.set_index(["date", "tic"])[list(fields)]
        full = pd.MultiIndex.from_product(
            [pd.DatetimeIndex(dates), tic_order], names=["date", "tic"]
        )
        wide = wide.reindex(full)
        present = df.set_index(["date", "tic"]).index
        missing_mask = ~full.isin(present)
        if missing_mask.any() and not ffill:
            pairs = [(str(d), t) for d, t in full[missing_mask][:_MAX_LISTED_MISSING]]
            raise ValueError(
                f"{int(missing_mask.sum())} (date, tic) pairs missing, e.g. {pairs}; "
                "pass ffill=True to carry the last value forward"
            )
        if ffill:
            wide = wide.groupby(level="tic", sort=False).ffill()
            still = wide.isna().all(axis=1) & pd.Series(missing_mask, index=full)
            if still.any():
                pairs = [(str(d), t) for d, t in wide.index[still.to_numpy()][:_MAX_LISTED_MISSING]]
                raise ValueError(
                    f"{int(still.sum())} (date, tic) pairs missing before a tic's first row, "
                    f"e.g. {pairs}"
                )
            if missing_mask.any():
                _LOGGER.info("panel.ffill filled %d missing pairs", int(missing_mask.sum()))
        values = wide.to_numpy(dtype=np.float64).reshape(len(dates), len(tic_order), len(fields))
        return cls(dates=dates, tics=tic_order, fields=fields, values=values)

    def to_long(self) -> pd.DataFrame:
        """Inverse of :meth:`from_long`: a long frame sorted by (date, tic)."""
        t, a, f = self.values.shape
        df = pd.DataFrame(self.values.reshape(t * a, f), columns=list(self.fields))
        df.insert(0, "tic", np.tile(np.array(self.tics, dtype=object), t))
        df.insert(0, "date", np.repeat(self.dates, a))
        df["tic"] = df["tic"].astype(str)
        return df
