"""Checks of long-layout bar data (one row per time and instrument)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from trademaster.data.quality.columns import coerce_numeric, coerce_times, missing_by_group
from trademaster.data.quality.reading import NUMERIC_COLUMNS, PRICE_COLUMNS, RawTable, listed
from trademaster.data.quality.report import Finding, QualityOptions, Severity

REQUIRED = ("date", "open", "high", "low", "close")
_EPS = 1e-9


@dataclass
class Bars:
    """Valid-time rows sorted by (instrument, time), duplicates removed."""

    names: list[str]
    tic: np.ndarray  # instrument code per row
    time: np.ndarray  # datetime64[ns]
    rows: np.ndarray  # 1-based source rows
    values: dict[str, np.ndarray]


def iso(value: np.datetime64 | int) -> str:
    return str(
        pd.Timestamp(
            np.datetime64(int(value), "ns") if isinstance(value, int | np.integer) else value
        ).isoformat()
    )


def check_structure(
    raw: RawTable, options: QualityOptions, default_tic: str
) -> tuple[Bars | None, list[Finding]]:
    """Required columns, parse errors of values, duplicates and file order; the sorted bars."""
    frame, rows = raw.frame, raw.source_rows
    findings: list[Finding] = []
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        findings.append(
            Finding(
                code="missing_columns",
                severity=Severity.ERROR,
                count=len(missing),
                detail={"missing": missing, "found": [str(c) for c in frame.columns][:40]},
                message=f"required column(s) {missing} are absent (a date/datetime/timestamp "
                "column "
                "and open, high, low, close are needed)",
            )
        )
    if "date" not in frame.columns or len(frame) == 0:
        if len(frame) == 0:
            findings.append(
                Finding(
                    code="empty",
                    severity=Severity.ERROR,
                    count=0,
                    message="the file has no data rows",
                )
            )
        return None, findings
    time, time_findings = coerce_times(frame, "date", rows, options)
    findings += time_findings
    values: dict[str, np.ndarray] = {}
    for column in NUMERIC_COLUMNS:
        if column in frame.columns:
            values[column], col_findings = coerce_numeric(frame, column, rows, options)
            findings += col_findings
    tics = frame["tic"].astype("string").fillna("") if "tic" in frame.columns else None
    codes, names = (
        pd.factorize(tics, sort=True)
        if tics is not None
        else (np.zeros(len(frame), np.int64), pd.Index([default_tic]))
    )
    ok = ~np.isnat(time)
    codes, time, rows_ok = codes[ok], time[ok], rows[ok]
    values = {k: v[ok] for k, v in values.items()}
    names_list = [str(n) for n in names]
    findings += _file_order(codes, time, rows_ok, names_list, options)
    order = np.lexsort((time, codes))
    codes, time, rows_ok = codes[order], time[order], rows_ok[order]
    values = {k: v[order] for k, v in values.items()}
    dup = np.r_[False, (codes[1:] == codes[:-1]) & (time[1:] == time[:-1])]
    if dup.any():
        per = np.bincount(codes[dup], minlength=len(names_list))
        findings.append(
            Finding(
                code="duplicate_rows",
                severity=Severity.ERROR,
                count=int(dup.sum()),
                rows=listed(np.sort(rows_ok[dup]), options),
                detail={"per_instrument": {names_list[i]: int(n) for i, n in enumerate(per) if n}},
                message=f"{int(dup.sum())} row(s) repeat an earlier (time, instrument)",
            )
        )
        keep = ~dup
        codes, time, rows_ok = codes[keep], time[keep], rows_ok[keep]
        values = {k: v[keep] for k, v in values.items()}
    return Bars(names_list, codes.astype(np.int64), time, rows_ok, values), findings


def _file_order(
    codes: np.ndarray, time: np.ndarray, rows: np.ndarray, names: list[str], options: QualityOptions
) -> list[Finding]:
    order = np.argsort(codes, kind="stable")
    c, t = codes[order], time[order]
    back = np.r_[False, (c[1:] == c[:-1]) & (t[1:] < t[:-1])]
    if not back.any():
        return []
    return [
        Finding(
            code="unsorted_time",
            severity=Severity.WARNING,
            count=int(back.sum()),
            rows=listed(np.sort(rows[order][back]), options),
            message=f"time goes backwards {int(back.sum())} time(s) within an instrument "
            "(rows are sorted on load)",
        )
    ]


def check_values(
    bars: Bars, options: QualityOptions
) -> tuple[list[Finding], dict[str, np.ndarray]]:
    """Missing values, non-positive prices and OHLC consistency; missing counts per column."""
    findings: list[Finding] = []
    missing: dict[str, np.ndarray] = {}
    for column, values in bars.values.items():
        col_findings, missing[column] = missing_by_group(
            values, bars.tic, bars.names, column, bars.rows, options
        )
        findings += col_findings
    for column in PRICE_COLUMNS:
        if column not in bars.values:
            continue
        bad = np.flatnonzero(bars.values[column] <= 0)
        if len(bad):
            findings.append(
                Finding(
                    code="non_positive_price",
                    severity=Severity.ERROR,
                    column=column,
                    count=len(bad),
                    rows=listed(np.sort(bars.rows[bad]), options),
                    message=f"{len(bad)} '{column}' price(s) are zero or negative",
                )
            )
    findings += _ohlc(bars, options)
    if "volume" in bars.values:
        negative = np.flatnonzero(bars.values["volume"] < 0)
        if len(negative):
            findings.append(
                Finding(
                    code="negative_volume",
                    severity=Severity.ERROR,
                    column="volume",
                    count=len(negative),
                    rows=listed(np.sort(bars.rows[negative]), options),
                    message=f"{len(negative)} volume(s) are negative",
                )
            )
    return findings, missing


def _ohlc(bars: Bars, options: QualityOptions) -> list[Finding]:
    if not all(c in bars.values for c in PRICE_COLUMNS):
        return []
    o, h, lo, c = (bars.values[k] for k in PRICE_COLUMNS)
    with np.errstate(invalid="ignore"):
        top, bottom = np.fmax(o, c), np.fmin(o, c)
        bad = (lo > bottom * (1 + _EPS)) | (h < top * (1 - _EPS)) | (lo > h * (1 + _EPS))
    idx = np.flatnonzero(bad)
    if not len(idx):
        return []
    per = np.bincount(bars.tic[idx], minlength=len(bars.names))
    return [
        Finding(
            code="ohlc_inconsistent",
            severity=Severity.ERROR,
            count=len(idx),
            rows=listed(np.sort(bars.rows[idx]), options),
            detail={"per_instrument": {bars.names[i]: int(n) for i, n in enumerate(per) if n}},
            message=f"{len(idx)} bar(s) violate low <= open, close <= high",
        )
    ]


def log_returns(bars: Bars) -> tuple[np.ndarray, np.ndarray]:
    """Log close-to-close returns within each instrument and the index of each return's bar."""
    close = bars.values.get("close")
    if close is None or len(close) < 2:
        return np.zeros(0), np.zeros(0, np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        logc = np.where(close > 0, np.log(close), np.nan)
    r = logc[1:] - logc[:-1]
    same = bars.tic[1:] == bars.tic[:-1]
    idx = np.flatnonzero(same & np.isfinite(r)) + 1
    return r[idx - 1], idx


def check_outliers(
    bars: Bars, options: QualityOptions
) -> tuple[list[Finding], np.ndarray, np.ndarray]:
    """Returns whose robust z-score (median, 1.4826*MAD per instrument) exceeds the threshold."""
    r, idx = log_returns(bars)
    if len(r) == 0:
        return [], np.zeros(0), np.zeros(0)
    groups = pd.Series(r).groupby(bars.tic[idx])
    med = groups.transform("median").to_numpy()
    mad = (
        pd.Series(np.abs(r - med)).groupby(bars.tic[idx]).transform("median").to_numpy()
    ) * 1.4826
    std = groups.transform("std").to_numpy()
    scale = np.where(mad > 0, mad, std)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(scale > 0, (r - med) / scale, 0.0)
    flagged = np.flatnonzero(np.abs(z) > options.outlier_z)
    findings = []
    for code in np.unique(bars.tic[idx[flagged]]):
        mine = flagged[bars.tic[idx[flagged]] == code]
        top = mine[np.argsort(-np.abs(z[mine]), kind="stable")]
        findings.append(
            Finding(
                code="outlier_returns",
                severity=Severity.WARNING,
                instrument=bars.names[code],
                count=len(mine),
                rows=listed(bars.rows[idx[top]], options),
                times=tuple(iso(bars.time[idx[i]]) for i in top[: options.max_listed]),
                detail={
                    "threshold_z": options.outlier_z,
                    "largest": [
                        {
                            "time": iso(bars.time[idx[i]]),
                            "log_return": float(r[i]),
                            "z": float(z[i]),
                        }
                        for i in top[:5]
                    ],
                },
                message=f"{len(mine)} return(s) of {bars.names[code]} have |robust z| > "
                f"{options.outlier_z:g}",
            )
        )
    return findings, z, idx


def check_stale(bars: Bars, options: QualityOptions) -> tuple[list[Finding], np.ndarray]:
    """Runs of unchanged close and of zero volume; stale-run counts per instrument."""
    findings: list[Finding] = []
    per = np.zeros(len(bars.names), np.int64)
    specs = (
        ("close", options.stale_run, "stale_prices", "unchanged close"),
        ("volume", options.zero_volume_run, "zero_volume", "zero volume"),
    )
    for column, min_len, code, what in specs:
        values = bars.values.get(column)
        if values is None:
            continue
        if column == "close":
            flag = np.r_[False, (values[1:] == values[:-1]) & (bars.tic[1:] == bars.tic[:-1])]
            starts, lengths = _runs(flag, bars.tic)
            starts, lengths = starts - 1, lengths + 1  # a run of k repeats spans k+1 bars
        else:
            starts, lengths = _runs(values == 0, bars.tic)
        long = lengths >= min_len
        for code_i in np.unique(bars.tic[starts[long]]):
            mine = np.flatnonzero(long & (bars.tic[starts] == code_i))
            per[code_i] += len(mine)
            spans = [
                {
                    "start": iso(bars.time[starts[m]]),
                    "end": iso(bars.time[starts[m] + lengths[m] - 1]),
                    "bars": int(lengths[m]),
                }
                for m in mine[: options.max_listed]
            ]
            findings.append(
                Finding(
                    code=code,
                    severity=Severity.WARNING,
                    column=column,
                    instrument=bars.names[code_i],
                    count=len(mine),
                    rows=listed(bars.rows[starts[mine]], options),
                    times=tuple(s["start"] for s in spans),
                    detail={"runs": spans},
                    message=f"{len(mine)} run(s) of >= {min_len} bars with {what} "
                    f"for {bars.names[code_i]} (longest {int(lengths[mine].max())})",
                )
            )
    return findings, per


def _runs(flag: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of each run of True that stays inside one group."""
    if not flag.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    boundary = np.r_[True, (groups[1:] != groups[:-1]) | (flag[1:] != flag[:-1])]
    starts = np.flatnonzero(boundary)
    lengths = np.diff(np.r_[starts, len(flag)])
    keep = flag[starts]
    return starts[keep], lengths[keep]
