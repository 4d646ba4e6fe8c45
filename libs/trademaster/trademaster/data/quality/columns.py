"""Column-level checks shared by bars and books: numbers and times that do not parse."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trademaster.data.quality.reading import listed
from trademaster.data.quality.report import Finding, QualityOptions, Severity


def _stringish(series: pd.Series) -> bool:
    return series.dtype == object or isinstance(series.dtype, pd.StringDtype)


def coerce_numeric(
    frame: pd.DataFrame, column: str, rows: np.ndarray, options: QualityOptions
) -> tuple[np.ndarray, list[Finding]]:
    """``column`` as float64; unparseable and infinite values are findings, then NaN."""
    series = frame[column]
    findings: list[Finding] = []
    if _stringish(series) or series.dtype == bool:
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        text = series.astype("string").str.strip()
        bad = np.flatnonzero(np.isnan(values) & text.notna().to_numpy() & (text != "").to_numpy())
        if len(bad):
            findings.append(
                Finding(
                    code="non_numeric",
                    severity=Severity.ERROR,
                    column=column,
                    count=len(bad),
                    rows=listed(rows[bad], options),
                    detail={"examples": [str(v)[:40] for v in series.iloc[bad[:5]]]},
                    message=f"{len(bad)} value(s) of '{column}' are not numbers",
                )
            )
    else:
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    infinite = np.flatnonzero(np.isinf(values))
    if len(infinite):
        findings.append(
            Finding(
                code="non_finite",
                severity=Severity.ERROR,
                column=column,
                count=len(infinite),
                rows=listed(rows[infinite], options),
                message=f"{len(infinite)} value(s) of '{column}' are infinite",
            )
        )
        values = np.where(np.isinf(values), np.nan, values)
    return values, findings


def coerce_times(
    frame: pd.DataFrame, column: str, rows: np.ndarray, options: QualityOptions
) -> tuple[np.ndarray, list[Finding]]:
    """``column`` as tz-naive UTC datetime64[ns]; unparseable or missing stamps are errors."""
    series = frame[column]
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        parsed = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
        findings = [
            Finding(
                code="bad_timestamp",
                severity=Severity.ERROR,
                column=column,
                count=len(series),
                rows=listed(rows, options),
                message=f"'{column}' holds numbers, not dates; write ISO 8601 times",
            )
        ]
        return parsed.to_numpy(), findings
    parsed = _to_utc_naive(series)
    bad = np.flatnonzero(parsed.isna().to_numpy())
    findings = []
    if len(bad):
        findings.append(
            Finding(
                code="bad_timestamp",
                severity=Severity.ERROR,
                column=column,
                count=len(bad),
                rows=listed(rows[bad], options),
                detail={"examples": [str(v)[:40] for v in series.iloc[bad[:5]]]},
                message=f"{len(bad)} value(s) of '{column}' are missing or not dates",
            )
        )
    return parsed.to_numpy(dtype="datetime64[ns]"), findings


def _to_utc_naive(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    if pd.api.types.is_datetime64_dtype(series):
        return series.astype("datetime64[ns]")
    text = series.astype("string")
    parsed = _parse(text, None)
    retry = (parsed.isna() & text.notna()).to_numpy()
    if retry.any():
        values = parsed.to_numpy(copy=True)
        values[retry] = _parse(text[retry], "mixed").to_numpy()
        parsed = pd.Series(values, index=series.index)
    return parsed


def _parse(text: pd.Series, fmt: str | None) -> pd.Series:
    try:
        out = pd.to_datetime(text, errors="coerce", utc=True, format=fmt)
    except (ValueError, TypeError, OverflowError):
        out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    out = out.dt.tz_localize(None)
    in_range = (out >= pd.Timestamp("1678-01-01")) & (out <= pd.Timestamp("2261-12-31"))
    return out.where(in_range).astype("datetime64[ns]")


def missing_by_group(
    values: np.ndarray,
    groups: np.ndarray,
    names: list[str],
    column: str,
    rows: np.ndarray,
    options: QualityOptions,
) -> tuple[list[Finding], np.ndarray]:
    """A warning for missing values of ``column`` (error when the column is empty)."""
    isna = np.isnan(values)
    per_group = np.bincount(groups, weights=isna, minlength=len(names)).astype(np.int64)
    total = int(isna.sum())
    if total == 0:
        return [], per_group
    empty = total == len(values)
    detail = {names[i]: int(n) for i, n in enumerate(per_group) if n}
    finding = Finding(
        code="empty_column" if empty else "missing_values",
        severity=Severity.ERROR if empty else Severity.WARNING,
        column=column,
        count=total,
        rows=listed(rows[np.flatnonzero(isna)], options),
        detail={"per_instrument": detail},
        message=(
            f"'{column}' has no values"
            if empty
            else f"{total} missing value(s) in '{column}' across {len(detail)} instrument(s)"
        ),
    )
    return [finding], per_group
