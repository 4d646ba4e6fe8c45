"""Data quality reports: what is wrong with a file, where, and whether it blocks training.

``check_file(path)`` reads CSV, CSV.gz or Parquet without trusting it (bad lines, unparseable
numbers and times become findings with row numbers) and runs every check for its kind: bars
(duplicates, file order, calendar gaps, missing values, non-positive prices, OHLC consistency,
outlier returns, stale runs, partial histories) or order books (crossed/locked books, level
order, negative sizes). Any ERROR finding makes the report ``blocked``. Pure numpy/pandas: the
service layer caches reports by content hash.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from trademaster.data.quality.bars import (
    Bars,
    check_outliers,
    check_stale,
    check_structure,
    check_values,
    iso,
    log_returns,
)
from trademaster.data.quality.books import check_book
from trademaster.data.quality.gaps import check_calendar, check_coverage
from trademaster.data.quality.reading import RawTable, read_raw
from trademaster.data.quality.report import (
    CalendarInfo,
    Figures,
    Finding,
    GapSpan,
    Heatmap,
    Histogram,
    InstrumentQuality,
    QualityOptions,
    QualityReport,
    Severity,
)

__all__ = [
    "CalendarInfo",
    "Figures",
    "Finding",
    "GapSpan",
    "Heatmap",
    "Histogram",
    "InstrumentQuality",
    "QualityOptions",
    "QualityReport",
    "Severity",
    "check_file",
    "check_raw",
    "file_sha256",
]


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_file(
    path: str | Path, options: QualityOptions | None = None, *, content_hash: str | None = None
) -> QualityReport:
    """The quality report of one file (``content_hash`` is computed when not given)."""
    path = Path(path)
    options = options or QualityOptions()
    raw = read_raw(path, options)
    stem = path.name.split(".")[0] or "data"
    report = check_raw(raw, options, default_tic=stem)
    report.content_hash = content_hash or file_sha256(path)
    return report


def check_raw(
    raw: RawTable, options: QualityOptions, *, default_tic: str = "data"
) -> QualityReport:
    """Run the checks for the table's kind."""
    findings = list(raw.findings)
    columns = tuple(str(c) for c in raw.frame.columns)
    if raw.kind is None:
        if not any(f.code == "unreadable" for f in findings):
            findings.append(
                Finding(
                    code="unknown_layout",
                    severity=Severity.ERROR,
                    count=0,
                    detail={"found": list(columns)[:40]},
                    message="neither bars (date, open, high, low, close) nor an order book "
                    "(bid1_price/ask1_price or midpoint/bids_distance_0) was recognised",
                )
            )
        return QualityReport(
            rows=len(raw.frame), columns=columns, findings=tuple(findings), options=options
        )
    if raw.kind in ("lob", "hft_lob"):
        findings += check_book(raw, options)
        return QualityReport(
            kind=raw.kind,
            rows=len(raw.frame),
            columns=columns,
            findings=tuple(findings),
            options=options,
        )
    return _check_bars(raw, options, default_tic, findings, columns)


def _check_bars(
    raw: RawTable,
    options: QualityOptions,
    default_tic: str,
    findings: list[Finding],
    columns: tuple[str, ...],
) -> QualityReport:
    bars, structure = check_structure(raw, options, default_tic)
    findings += structure
    if bars is None:
        return QualityReport(
            kind="ohlcv",
            rows=len(raw.frame),
            columns=columns,
            findings=tuple(findings),
            options=options,
        )
    value_findings, missing = check_values(bars, options)
    outlier_findings, z, ret_idx = check_outliers(bars, options)
    stale_findings, stale_per = check_stale(bars, options)
    calendar, cal_findings, cal_spans = check_calendar(bars, options)
    cov_findings, spans, missing_bars, heatmap = check_coverage(bars, options)
    findings += value_findings + outlier_findings + stale_findings + cal_findings + cov_findings
    outliers_per = (
        np.bincount(bars.tic[ret_idx[np.abs(z) > options.outlier_z]], minlength=len(bars.names))
        if len(z)
        else np.zeros(len(bars.names))
    )
    instruments = _instruments(bars, missing, missing_bars, outliers_per, stale_per)
    figures = Figures(
        heatmap=heatmap,
        returns=_histogram(bars, z, ret_idx, options),
        gaps=tuple((cal_spans + spans)[:500]),
    )
    return QualityReport(
        kind="ohlcv",
        rows=len(raw.frame),
        columns=columns,
        calendar=calendar,
        instruments=instruments,
        findings=tuple(findings),
        figures=figures,
        options=options,
    )


def _instruments(
    bars: Bars,
    missing: dict[str, np.ndarray],
    missing_bars: np.ndarray,
    outliers_per: np.ndarray,
    stale_per: np.ndarray,
) -> tuple[InstrumentQuality, ...]:
    counts = np.bincount(bars.tic, minlength=len(bars.names))
    starts = np.searchsorted(bars.tic, np.arange(len(bars.names)))
    out = []
    for i, name in enumerate(bars.names):
        if counts[i] == 0:
            continue
        lo, hi = starts[i], starts[i] + counts[i] - 1
        out.append(
            InstrumentQuality(
                instrument=name,
                rows=int(counts[i]),
                start=iso(bars.time[lo]),
                end=iso(bars.time[hi]),
                missing={c: int(v[i]) for c, v in missing.items() if v[i]},
                missing_bars=int(missing_bars[i]),
                outliers=int(outliers_per[i]),
                stale_runs=int(stale_per[i]),
            )
        )
    return tuple(out)


def _histogram(bars: Bars, z: np.ndarray, idx: np.ndarray, options: QualityOptions) -> Histogram:
    r, _ = log_returns(bars)
    if len(r) == 0:
        return Histogram()
    flagged = np.abs(z) > options.outlier_z
    body = r[~flagged] if (~flagged).any() else r
    lo, hi = np.percentile(body, [0.1, 99.9])
    if hi <= lo:
        lo, hi = lo - 1e-6, hi + 1e-6
    counts, edges = np.histogram(np.clip(body, lo, hi), bins=options.histogram_bins, range=(lo, hi))
    top = np.flatnonzero(flagged)[:200]
    outliers = tuple(
        {
            "instrument": bars.names[bars.tic[idx[i]]],
            "time": iso(bars.time[idx[i]]),
            "log_return": float(r[i]),
            "z": float(z[i]),
        }
        for i in top
    )
    return Histogram(
        edges=tuple(float(e) for e in edges),
        counts=tuple(int(c) for c in counts),
        outliers=outliers,
    )
