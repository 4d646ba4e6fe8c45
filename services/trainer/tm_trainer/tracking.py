"""Tracking error of live (paper) equity against a backtest's equity curve over the same market
bars: the definition the deployment UI page shows (``services/gateway/ui/src/deployments.ts``,
``tracking``), so the gate and the page agree on the number.

    TE = std(r_live - r_backtest) * sqrt(periods per year) * 1e4 bps,

with r the simple return from one compared sample to the next, the backtest point at or before
each live bar (none before its first point or after its last), the sample standard deviation
(n - 1), and periods per year = 365 * 86 400 / mean spacing of the compared samples in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

SECONDS_PER_YEAR = 365 * 86_400

Point = tuple[float, float]
"""(time in seconds since the epoch, equity)."""


@dataclass(frozen=True)
class Tracking:
    """Tracking error in bps (None with fewer than two return differences) and the number of
    live samples that had a backtest point."""

    error_bps: float | None
    common_bars: int


def tracking_error(live: Sequence[Point], curve: Sequence[Point]) -> Tracking:
    """Tracking error of ``live`` samples against the backtest ``curve`` (see module doc)."""
    points = sorted(curve)
    samples = sorted(live)
    if not points or not samples:
        return Tracking(None, 0)
    first, last = points[0][0], points[-1][0]
    pairs: list[tuple[float, float, float]] = []  # (time, live, backtest)
    j = 0
    for when, equity in samples:
        if when < first or when > last:
            continue
        while j + 1 < len(points) and points[j + 1][0] <= when:
            j += 1
        pairs.append((when, equity, points[j][1]))
    diffs = [
        (b[1] / a[1] - 1.0) - (b[2] / a[2] - 1.0)
        for a, b in zip(pairs, pairs[1:], strict=False)
        if a[1] > 0 and a[2] > 0
    ]
    if len(diffs) < 2:
        return Tracking(None, len(pairs))
    mean = sum(diffs) / len(diffs)
    variance = sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1)
    spacing = (pairs[-1][0] - pairs[0][0]) / (len(pairs) - 1)
    per_year = SECONDS_PER_YEAR / max(1.0, spacing)
    value = math.sqrt(variance) * math.sqrt(per_year) * 10_000.0
    return Tracking(value if math.isfinite(value) else None, len(pairs))
