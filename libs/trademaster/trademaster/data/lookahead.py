"""Look-ahead detection: a feature is causal iff changing the future leaves the past unchanged.

For each probe time t, every price/volume value strictly after t is multiplied by an independent
random factor in [0.5, 1.5]; the feature function is re-run and every output value at dates <= t
must be identical (NaN equal to NaN, up to ``atol``). Any change names a leaky feature.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

_LOGGER = logging.getLogger(__name__)

PERTURBED_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "adjcp", "volume")


class LookAheadError(AssertionError):
    """A feature at some time depends on data after that time."""

    def __init__(self, feature: str, time: Any, probe_time: Any, max_abs_diff: float) -> None:
        self.feature = feature
        self.time = time
        self.probe_time = probe_time
        self.max_abs_diff = max_abs_diff
        super().__init__(
            f"feature {feature!r} at {time} changed (max |diff| {max_abs_diff:.3g}) when data "
            f"after {probe_time} was perturbed: it looks ahead"
        )


@dataclass(frozen=True)
class LookAheadReport:
    """What was checked: probe times, feature columns, and values compared."""

    probe_times: tuple[pd.Timestamp, ...]
    features: tuple[str, ...]
    values_compared: int


def assert_no_lookahead(
    feature_fn: Callable[[pd.DataFrame], pd.DataFrame],
    df: pd.DataFrame,
    *,
    probe_times: Sequence[Any] | None = None,
    n_probes: int = 5,
    rng: np.random.Generator | None = None,
    atol: float = 0.0,
) -> LookAheadReport:
    """Raise :class:`LookAheadError` if any column of ``feature_fn(df)`` looks ahead.

    Args:
        feature_fn: maps a long (date, tic) frame to a frame of feature columns aligned on its
            index.
        probe_times: dates t to test; default ``n_probes`` dates drawn from the middle 80%.
        rng: source of probe times and perturbation factors (default: seeded with 0).
        atol: tolerated absolute difference (0: bit-identical).
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    dates = np.sort(df["date"].unique())
    if len(dates) < 3:
        raise ValueError(f"frame must span >= 3 dates to probe, had {len(dates)}")
    if probe_times is None:
        lo, hi = int(len(dates) * 0.1), max(int(len(dates) * 0.9), int(len(dates) * 0.1) + 1)
        picks = rng.choice(np.arange(lo, hi), size=min(n_probes, hi - lo), replace=False)
        probes = [pd.Timestamp(dates[i]) for i in sorted(picks)]
    else:
        probes = [pd.Timestamp(t) for t in probe_times]
    base = feature_fn(df)
    columns = [c for c in base.columns if pd.api.types.is_numeric_dtype(base[c])]
    compared = 0
    for probe in probes:
        perturbed = df.copy()
        after = (perturbed["date"] > probe).to_numpy()
        for col in PERTURBED_COLUMNS:
            if col in perturbed.columns:
                factors = rng.uniform(0.5, 1.5, size=int(after.sum()))
                perturbed.loc[after, col] = perturbed.loc[after, col].to_numpy() * factors
        changed = feature_fn(perturbed)
        past = ~after
        for col in columns:
            a = base.loc[past, col].to_numpy(dtype=np.float64)
            b = changed.loc[past, col].to_numpy(dtype=np.float64)
            same = (np.abs(a - b) <= atol) | (np.isnan(a) & np.isnan(b))
            compared += len(a)
            if not same.all():
                first = int(np.flatnonzero(~same)[0])
                diff = np.abs(a - b)
                worst = float(np.nanmax(diff)) if np.isfinite(diff).any() else float("nan")
                raise LookAheadError(col, df.loc[past, "date"].iloc[first], probe, worst)
    _LOGGER.debug("lookahead.checked features=%s probes=%d", columns, len(probes))
    return LookAheadReport(tuple(probes), tuple(columns), compared)
