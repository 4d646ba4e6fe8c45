"""Checks of limit-order-book snapshots: crossed or locked books, level order, sizes."""

from __future__ import annotations

import numpy as np

from trademaster.data.quality.columns import coerce_numeric, coerce_times, missing_by_group
from trademaster.data.quality.reading import RawTable, listed
from trademaster.data.quality.report import Finding, QualityOptions, Severity


def _levels(columns: set[str], pattern: str) -> int:
    n = 0
    while (
        pattern.format(side="bid", n=n + 1) in columns
        and pattern.format(side="ask", n=n + 1) in columns
    ):
        n += 1
    return n


def _arrays(raw: RawTable, options: QualityOptions) -> tuple[dict[str, np.ndarray], list[Finding]]:
    """Best-first price and size arrays [T, L] per side for either book schema."""
    frame, rows = raw.frame, raw.source_rows
    cols = {str(c) for c in frame.columns}
    findings: list[Finding] = []

    def num(name: str) -> np.ndarray:
        values, f = coerce_numeric(frame, name, rows, options)
        findings.extend(f)
        return values

    out: dict[str, np.ndarray] = {}
    if raw.kind == "lob":
        n = 0
        while f"bids_distance_{n}" in cols and f"asks_distance_{n}" in cols:
            n += 1
        mid = num("midpoint")
        for side, key in (("bids", "bid"), ("asks", "ask")):
            dist = np.column_stack([num(f"{side}_distance_{i}") for i in range(n)])
            out[f"{key}_price"] = mid[:, None] * (1.0 + dist)
            if all(f"{side}_notional_{i}" in cols for i in range(n)):
                out[f"{key}_size"] = np.column_stack(
                    [num(f"{side}_notional_{i}") for i in range(n)]
                )
        bad_mid = np.flatnonzero(mid <= 0)
        if len(bad_mid):
            findings.append(
                Finding(
                    code="non_positive_price",
                    severity=Severity.ERROR,
                    column="midpoint",
                    count=len(bad_mid),
                    rows=listed(rows[bad_mid], options),
                    message=f"{len(bad_mid)} midpoint(s) are zero or negative",
                )
            )
    else:
        n = _levels(cols, "{side}{n}_price")
        for key in ("bid", "ask"):
            out[f"{key}_price"] = np.column_stack([num(f"{key}{i}_price") for i in range(1, n + 1)])
            if all(f"{key}{i}_size" in cols for i in range(1, n + 1)):
                out[f"{key}_size"] = np.column_stack(
                    [num(f"{key}{i}_size") for i in range(1, n + 1)]
                )
    return out, findings


def check_book(raw: RawTable, options: QualityOptions) -> list[Finding]:
    """All book checks; times are ``system_time`` (minute book) or the ``timestamp`` step."""
    frame, rows = raw.frame, raw.source_rows
    findings: list[Finding] = []
    if len(frame) == 0:
        return [Finding(code="empty", severity=Severity.ERROR, count=0, message="no data rows")]
    time_col = "system_time" if raw.kind == "lob" else "timestamp"
    if time_col not in frame.columns:
        findings.append(
            Finding(
                code="missing_columns",
                severity=Severity.ERROR,
                count=1,
                detail={"missing": [time_col]},
                message=f"required column '{time_col}' is absent",
            )
        )
    else:
        findings += _time_order(raw, time_col, options)
    books, value_findings = _arrays(raw, options)
    findings += value_findings
    for name in sorted(c for c in frame.columns if c not in (time_col, "date")):
        if frame[name].dtype.kind == "f":
            f, _ = missing_by_group(
                frame[name].to_numpy(),
                np.zeros(len(frame), np.int64),
                ["book"],
                str(name),
                rows,
                options,
            )
            findings += f
    bid, ask = books.get("bid_price"), books.get("ask_price")
    if bid is None or ask is None or bid.shape[1] == 0:
        return findings
    with np.errstate(invalid="ignore"):
        crossed = np.flatnonzero(bid[:, 0] > ask[:, 0])
        locked = np.flatnonzero(bid[:, 0] == ask[:, 0])
        bid_bad = np.flatnonzero(np.any(np.diff(bid, axis=1) >= 0, axis=1))
        ask_bad = np.flatnonzero(np.any(np.diff(ask, axis=1) <= 0, axis=1))
    specs = (
        ("crossed_book", Severity.ERROR, crossed, "best bid above best ask"),
        ("locked_book", Severity.WARNING, locked, "best bid equal to best ask"),
        (
            "non_monotonic_levels",
            Severity.ERROR,
            np.union1d(bid_bad, ask_bad),
            "bid prices not falling or ask prices not rising with the level",
        ),
    )
    for code, severity, idx, what in specs:
        if len(idx):
            findings.append(
                Finding(
                    code=code,
                    severity=severity,
                    count=len(idx),
                    rows=listed(rows[idx], options),
                    message=f"{len(idx)} snapshot(s) with {what}",
                )
            )
    for key in ("bid_size", "ask_size"):
        sizes = books.get(key)
        if sizes is not None:
            neg = np.flatnonzero(np.any(sizes < 0, axis=1))
            if len(neg):
                findings.append(
                    Finding(
                        code="negative_size",
                        severity=Severity.ERROR,
                        column=key,
                        count=len(neg),
                        rows=listed(rows[neg], options),
                        message=f"{len(neg)} snapshot(s) with a negative {key}",
                    )
                )
    return findings


def _time_order(raw: RawTable, column: str, options: QualityOptions) -> list[Finding]:
    frame, rows = raw.frame, raw.source_rows
    findings: list[Finding] = []
    if raw.kind == "lob":
        times, findings = coerce_times(frame, column, rows, options)
        keys = times.astype(np.int64)
        valid = ~np.isnat(times)
    else:
        keys_f, findings = coerce_numeric(frame, column, rows, options)
        valid = ~np.isnan(keys_f)
        keys = np.where(valid, keys_f, 0).astype(np.int64)
    k, r = keys[valid], rows[valid]
    back = np.flatnonzero(k[1:] < k[:-1]) + 1
    if len(back):
        findings.append(
            Finding(
                code="unsorted_time",
                severity=Severity.WARNING,
                count=len(back),
                rows=listed(r[back], options),
                message=f"time goes backwards {len(back)} time(s)",
            )
        )
    order = np.argsort(k, kind="stable")
    dup = np.flatnonzero(k[order][1:] == k[order][:-1]) + 1
    if len(dup):
        findings.append(
            Finding(
                code="duplicate_rows",
                severity=Severity.ERROR,
                count=len(dup),
                rows=listed(np.sort(r[order][dup]), options),
                message=f"{len(dup)} snapshot(s) repeat an earlier time",
            )
        )
    return findings
