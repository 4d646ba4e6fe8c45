"""Gaps against the inferred calendar, instruments with partial history, the missing heatmap."""

from __future__ import annotations

import numpy as np

from trademaster.data.quality.bars import Bars, iso
from trademaster.data.quality.calendar import expected_stamps, holiday_mask, infer_calendar
from trademaster.data.quality.report import (
    CalendarInfo,
    Finding,
    GapSpan,
    Heatmap,
    QualityOptions,
    Severity,
)


def _spans(missing_idx: np.ndarray, stamps: np.ndarray, instrument: str) -> list[GapSpan]:
    """Consecutive missing positions of ``stamps`` as spans."""
    if len(missing_idx) == 0:
        return []
    breaks = np.flatnonzero(np.diff(missing_idx) != 1) + 1
    out = []
    for chunk in np.split(missing_idx, breaks):
        out.append(
            GapSpan(
                instrument=instrument,
                start=iso(stamps[chunk[0]]),
                end=iso(stamps[chunk[-1]]),
                bars=len(chunk),
            )
        )
    return out


def check_calendar(
    bars: Bars, options: QualityOptions
) -> tuple[CalendarInfo, list[Finding], list[GapSpan]]:
    """Stamps the calendar expects that no instrument has (holidays excepted)."""
    stamps = np.unique(bars.time)
    cal = infer_calendar(stamps)
    grid = expected_stamps(cal, stamps)
    if grid is None or len(grid) > 50 * max(len(stamps), 1):
        return cal, [], []
    missing = np.setdiff1d(grid, stamps)
    missing = missing[~holiday_mask(cal, missing, grid, options.holiday_max_days)]
    if len(missing) == 0:
        return cal, [], []
    spans = _spans(np.searchsorted(grid, missing), grid, "*")
    finding = Finding(
        code="calendar_gaps",
        severity=Severity.WARNING,
        count=len(missing),
        times=tuple(s.start for s in spans[: options.max_listed]),
        detail={
            "calendar": cal.kind,
            "spans": [s.model_dump() for s in spans[: options.max_listed]],
        },
        message=f"{len(missing)} expected {cal.kind.replace('_', ' ')} bar(s) are absent for "
        f"every instrument, in {len(spans)} gap(s)",
    )
    return cal, [finding], spans


def check_coverage(
    bars: Bars, options: QualityOptions
) -> tuple[list[Finding], list[GapSpan], np.ndarray, Heatmap]:
    """Per instrument: bars absent where others trade, partial history; the missing heatmap."""
    stamps, stamp_idx = np.unique(bars.time, return_inverse=True)
    n_inst = len(bars.names)
    if len(stamps) * n_inst > options.max_presence_cells or len(stamps) == 0:
        return [], [], np.zeros(n_inst, np.int64), Heatmap()
    present = np.zeros((len(stamps), n_inst), dtype=bool)
    present[stamp_idx, bars.tic] = True
    close = bars.values.get("close")
    usable = present.copy()
    if close is not None:
        usable[stamp_idx[np.isnan(close)], bars.tic[np.isnan(close)]] = False
    findings: list[Finding] = []
    spans: list[GapSpan] = []
    missing_per = np.zeros(n_inst, np.int64)
    partial: list[dict[str, object]] = []
    for i, name in enumerate(bars.names):
        where = np.flatnonzero(present[:, i])
        if len(where) == 0:
            continue
        first, last = where[0], where[-1]
        holes = np.flatnonzero(~present[first : last + 1, i]) + first
        missing_per[i] = len(holes)
        mine = _spans(holes, stamps, name)
        spans += mine
        if len(holes):
            findings.append(
                Finding(
                    code="missing_bars",
                    severity=Severity.WARNING,
                    instrument=name,
                    count=len(holes),
                    times=tuple(s.start for s in mine[: options.max_listed]),
                    detail={"spans": [s.model_dump() for s in mine[: options.max_listed]]},
                    message=f"{name} lacks {len(holes)} bar(s) that other instruments have, "
                    f"in {len(mine)} gap(s)",
                )
            )
        if n_inst > 1 and (first > 0 or last < len(stamps) - 1):
            partial.append(
                {"instrument": name, "start": iso(stamps[first]), "end": iso(stamps[last])}
            )
    if partial:
        findings.append(
            Finding(
                code="partial_history",
                severity=Severity.WARNING,
                count=len(partial),
                detail={"instruments": partial, "start": iso(stamps[0]), "end": iso(stamps[-1])},
                message=f"{len(partial)} instrument(s) start or end inside the dataset's range "
                "(survivorship: results may favour instruments that lasted)",
            )
        )
    return findings, spans, missing_per, _heatmap(usable, stamps, bars.names, options)


def _heatmap(
    usable: np.ndarray, stamps: np.ndarray, names: list[str], options: QualityOptions
) -> Heatmap:
    n = len(stamps)
    buckets = min(options.heatmap_buckets, n)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    sums = np.add.reduceat((~usable).astype(np.int64), edges[:-1], axis=0)
    sizes = np.diff(edges)[:, None]
    frac = (sums / sizes).T
    return Heatmap(
        instruments=tuple(names),
        bucket_starts=tuple(iso(stamps[e]) for e in edges[:-1]),
        values=tuple(tuple(round(float(v), 4) for v in row) for row in frac),
    )
