"""Read a user's file for checking: never raise on bad content, keep the original row numbers.

Malformed lines (wrong field count) are skipped and reported with their row numbers; values that
do not parse as numbers or times become findings instead of silently turning into NaN. Column
names are mapped tolerantly (case, ``datetime``/``timestamp``/``time``, ``symbol``/``ticker``),
and a wide file (``date`` plus one close column per instrument) is melted to the long layout.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from trademaster.data.loaders import normalise_columns
from trademaster.data.quality.report import Finding, QualityOptions, Severity

Kind = Literal["ohlcv", "lob", "hft_lob"]
PRICE_COLUMNS = ("open", "high", "low", "close")
NUMERIC_COLUMNS = (*PRICE_COLUMNS, "volume", "adjcp")
REQUIRED_BAR_COLUMNS = ("date", "close")
_SKIPPED = re.compile(r"Skipping line (\d+)")
_UNNAMED = re.compile(r"^Unnamed: \d+(\.\d+)*$")
_STRINGS = {name: "str" for name in ("tic", "symbol", "ticker", "Tic", "Symbol", "TIC")}


@dataclass
class RawTable:
    """A parsed file: frame, 1-based source row per frame row, findings made while reading."""

    frame: pd.DataFrame
    source_rows: np.ndarray
    kind: Kind | None
    findings: list[Finding] = field(default_factory=list)


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def detect_kind(columns: Iterable[str]) -> Kind | None:
    """OHLCV bars, order-execution minute book, HFT 5-level book, or None."""
    cols = {str(c).strip().lower() for c in columns}
    if {"midpoint", "bids_distance_0", "asks_distance_0"} <= cols:
        return "lob"
    if {"bid1_price", "ask1_price"} <= cols:
        return "hft_lob"
    if "close" in cols or any(c in cols for c in ("date", "datetime", "timestamp", "time")):
        return "ohlcv"
    return None


def listed(values: Iterable[int], options: QualityOptions) -> tuple[int, ...]:
    out: list[int] = []
    for value in values:
        if len(out) >= options.max_listed:
            break
        out.append(int(value))
    return tuple(out)


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[int], list[Finding]]:
    findings: list[Finding] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pd.read_csv(
                path,
                on_bad_lines="warn",
                dtype=_STRINGS,
                low_memory=False,
                skipinitialspace=True,
                encoding_errors="replace",
                skip_blank_lines=False,
            )
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame()
        except (pd.errors.ParserError, csv.Error, UnicodeError, ValueError) as exc:
            findings.append(_unreadable(path, exc))
            frame = pd.DataFrame()
    skipped = sorted(int(m.group(1)) - 1 for w in caught for m in _SKIPPED.finditer(str(w.message)))
    return frame, skipped, findings


def _unreadable(path: Path, exc: Exception) -> Finding:
    return Finding(
        code="unreadable",
        severity=Severity.ERROR,
        count=1,
        message=f"{path.name} cannot be read: {str(exc)[:300]}",
    )


def _source_rows(n: int, skipped: list[int]) -> np.ndarray:
    if not skipped:
        return np.arange(1, n + 1, dtype=np.int64)
    allrows = np.arange(1, n + len(skipped) + 1, dtype=np.int64)
    return np.setdiff1d(allrows, np.asarray(skipped, dtype=np.int64), assume_unique=True)


def _truncated_last_line(path: Path) -> bool:
    """True when the file does not end with a newline and its last line has too few fields."""
    if path.name.lower().endswith(".gz"):
        return False
    with path.open("rb") as handle:
        head = handle.readline()
        handle.seek(0, 2)
        size = handle.tell()
        if size == 0:
            return False
        handle.seek(max(0, size - 65536))
        tail = handle.read()
    if tail.endswith(b"\n") or b"\n" not in tail:
        return False
    last = tail[tail.rfind(b"\n") + 1 :].decode("utf-8", "replace")
    try:
        header = next(csv.reader([head.decode("utf-8", "replace")]), [])
        return len(next(csv.reader([last]), [])) < len(header)
    except csv.Error:
        return False


def read_raw(path: Path, options: QualityOptions) -> RawTable:
    """Parse ``path`` (CSV, CSV.gz or Parquet) into a :class:`RawTable`; never raises on content."""
    findings: list[Finding] = []
    skipped: list[int] = []
    if is_parquet(path):
        try:
            frame = pq.read_table(path).to_pandas()
        except (OSError, ValueError) as exc:
            return RawTable(pd.DataFrame(), np.zeros(0, np.int64), None, [_unreadable(path, exc)])
    else:
        frame, skipped, findings = _read_csv(path)
    if skipped:
        findings.append(
            Finding(
                code="parse_error",
                severity=Severity.ERROR,
                count=len(skipped),
                rows=listed(skipped, options),
                message=f"{len(skipped)} row(s) have the wrong number of fields and were not read",
            )
        )
    source_rows = _source_rows(len(frame), skipped)
    if len(source_rows) != len(frame):  # quoted line breaks: records are not lines
        source_rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    if not is_parquet(path) and len(frame) and _truncated_last_line(path):
        findings.append(
            Finding(
                code="truncated_last_line",
                severity=Severity.WARNING,
                count=1,
                rows=(int(source_rows[-1]),),
                message="the file ends mid-row (no newline, too few fields); the last row is "
                "dropped",
            )
        )
        frame, source_rows = frame.iloc[:-1], source_rows[:-1]
    frame = frame.drop(columns=[c for c in frame.columns if _UNNAMED.match(str(c))])
    frame = frame.reset_index(drop=True)
    kind = detect_kind(frame.columns)
    if kind == "ohlcv":
        frame = _bar_columns(frame)
        if "close" not in frame.columns and "tic" not in frame.columns:
            frame = _melt_wide(frame)
            source_rows = np.repeat(source_rows, max(1, len(frame) // max(1, len(source_rows))))
    return RawTable(frame, source_rows[: len(frame)], kind, findings)


def _bar_columns(frame: pd.DataFrame) -> pd.DataFrame:
    frame = normalise_columns(frame)
    if "date" not in frame.columns and "timestamp" in {str(c).lower() for c in frame.columns}:
        col = next(c for c in frame.columns if str(c).lower() == "timestamp")
        frame = frame.rename(columns={col: "date"})
    return frame


def _melt_wide(frame: pd.DataFrame) -> pd.DataFrame:
    """``date, A, B, ...`` (one close column per instrument) to long ``date, tic, close``."""
    if "date" not in frame.columns or frame.shape[1] < 2:
        return frame
    long = frame.melt(id_vars=["date"], var_name="tic", value_name="close")
    order = np.argsort(np.tile(np.arange(len(frame)), frame.shape[1] - 1), kind="stable")
    long = long.iloc[order].reset_index(drop=True)
    long["tic"] = long["tic"].astype(str)
    return long
