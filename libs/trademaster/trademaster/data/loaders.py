"""Loaders for OHLCV and limit-order-book files, tolerant of TradeMaster's CSV quirks.

OHLCV frames are LONG: one row per (date, tic) with columns ``date`` (datetime64[ns], tz-naive;
tz-aware stamps are converted to UTC first), ``tic`` (str), ``open, high, low, close, volume``
(float64) and every extra column of the file (``adjcp``, ``zopen``...). ``volume`` is NaN when the
file has none: a missing volume is unknown, not zero. Rows are sorted by (date, tic).

Quirks handled: the unnamed first index column and stale ``Unnamed: 0``/``Unnamed: 0.1`` columns
are dropped; ``adjclose``/``adj close``/``adj_close`` become ``adjcp``; column names are matched
case-insensitively (``Volume``); ``datetime``/``time`` stand for ``date`` and ``symbol``/``ticker``
for ``tic``; a truncated last line (``sse50/train.csv`` ends mid-row) is dropped with a warning.

Order-execution LOB files (``order_execution/BTC/test.csv``, one row per minute, 156 columns):
``system_time, midpoint, spread, buys, sells`` then, for side in {bids, asks} and level i in
0..14: ``<side>_distance_<i>`` (relative distance from the midpoint, negative for bids),
``<side>_notional_<i>`` (quote notional resting at the level), ``<side>_cancel_notional_<i>``,
``<side>_limit_notional_<i>``, ``<side>_market_notional_<i>`` (flows during the minute).
Level price = ``midpoint * (1 + distance)``; level size in base units = notional / price.

HFT segment files (``high_frequency_trading/small_BTC/...``): ``bid1..5_price``,
``bid1..5_size``, ``ask1..5_price``, ``ask1..5_size`` (base units) and an integer ``timestamp``
step, plus many derived features that are kept as they are.

Both LOB kinds convert to one :class:`OrderBook` (arrays ``[T, L]``, level 0 = best).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

_LOGGER = logging.getLogger(__name__)

OHLCV_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
REQUIRED_OHLCV_COLUMNS: tuple[str, ...] = ("date", "open", "high", "low", "close")
CSV_SUFFIXES: frozenset[str] = frozenset({".csv"})
PARQUET_SUFFIXES: frozenset[str] = frozenset({".parquet", ".pq"})

_UNNAMED = re.compile(r"^Unnamed: \d+(\.\d+)*$")
_ALIASES: dict[str, str] = {
    "datetime": "date",
    "time": "date",
    "timestamp": "date",
    "symbol": "tic",
    "instrument": "tic",
    "ticker": "tic",
    "adjclose": "adjcp",
    "adj close": "adjcp",
    "adj_close": "adjcp",
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "volume": "volume",
    "date": "date",
    "tic": "tic",
    "adjcp": "adjcp",
}
_INSTRUMENT_ALIASES = frozenset(k for k, v in _ALIASES.items() if v == "tic")
_LOB_SIDES = ("bids", "asks")


class DatasetError(ValueError):
    """A data file cannot be read as the requested kind of dataset."""


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file as is, minus stale index columns and a truncated last line."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        df = pd.read_parquet(path)
    elif suffix in CSV_SUFFIXES:
        data = _complete_csv_bytes(path)
        df = pd.read_csv(io.BytesIO(data), dtype=_instrument_dtypes(data))
    else:
        raise DatasetError(
            f"unsupported file type {suffix!r} for {path}: expected .csv or .parquet"
        )
    return df.drop(columns=[c for c in df.columns if _UNNAMED.match(str(c))])


def _instrument_dtypes(data: bytes) -> dict[str, type]:
    """Instrument columns in any case (``Ticker``, ``SYMBOL``) read as text: ``001`` stays."""
    header = next(csv.reader([data.split(b"\n", 1)[0].decode("utf-8", "replace")]), [])
    return {col: str for col in header if col.strip().lower() in _INSTRUMENT_ALIASES}


def _complete_csv_bytes(path: Path) -> bytes:
    """File bytes without a last line that ends mid-row (fewer fields than the header, no EOL)."""
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return data
    last_eol = data.rfind(b"\n")
    if last_eol < 0:
        return data
    header = next(csv.reader([data.split(b"\n", 1)[0].decode("utf-8", "replace")]))
    last = next(csv.reader([data[last_eol + 1 :].decode("utf-8", "replace")]), [])
    if len(last) < len(header):
        _LOGGER.warning(
            "dropping truncated last line of %s (%d of %d fields)", path, len(last), len(header)
        )
        return data[: last_eol + 1]
    return data


def normalise_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Rename known column aliases (case-insensitive) to the canonical names."""
    renames: dict[str, str] = {}
    for col in df.columns:
        canonical = _ALIASES.get(str(col).strip().lower())
        if canonical is not None and canonical not in renames.values():
            renames[col] = canonical
    return df.rename(columns=renames)


def _to_naive_datetime(values: pd.Series, path: Path, column: str) -> pd.Series:
    try:
        parsed = pd.to_datetime(values, format="mixed")
    except (ValueError, TypeError) as exc:
        raise DatasetError(f"column {column!r} of {path} is not parseable as dates: {exc}") from exc
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.astype("datetime64[ns]")


def _bound(value: Any) -> pd.Timestamp | None:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts


def load_ohlcv(
    path: str | Path,
    *,
    tics: Sequence[str] | None = None,
    start: Any = None,
    end: Any = None,
    tic: str | None = None,
) -> pd.DataFrame:
    """Load an OHLCV file into the canonical long frame (see module docstring).

    Args:
        tics: keep only these tickers.
        start, end: inclusive date bounds (anything ``pd.Timestamp`` accepts).
        tic: ticker for single-asset files without a tic column (default: the file stem).

    Raises:
        DatasetError: unreadable file or missing required columns.
    """
    path = Path(path)
    df = normalise_columns(read_table(path))
    missing = [c for c in REQUIRED_OHLCV_COLUMNS if c not in df.columns]
    if missing:
        raise DatasetError(
            f"{path} lacks required OHLCV columns {missing}; found {list(df.columns)[:20]}"
        )
    df["date"] = _to_naive_datetime(df["date"], path, "date")
    if "tic" not in df.columns:
        df["tic"] = tic if tic is not None else path.stem
    df["tic"] = df["tic"].astype(str)
    if "volume" not in df.columns:
        df["volume"] = np.nan
    for col in (*OHLCV_COLUMNS, "adjcp"):
        if col in df.columns:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    if tics is not None:
        df = df[df["tic"].isin(list(tics))]
    lo, hi = _bound(start), _bound(end)
    if lo is not None:
        df = df[df["date"] >= lo]
    if hi is not None:
        df = df[df["date"] <= hi]
    front = ["date", "tic", *OHLCV_COLUMNS]
    df = df[front + [c for c in df.columns if c not in front]]
    df = df.sort_values(["date", "tic"], kind="stable").reset_index(drop=True)
    df.attrs["source"] = str(path)
    return df


@dataclass(frozen=True)
class OrderBook:
    """Limit order book snapshots as arrays; level 0 is the best bid/ask.

    ``times`` is datetime64[ns] for timestamped books or int64 steps (HFT segments).
    Prices are in quote currency, sizes in base units; all arrays are float64 ``[T, L]``.
    """

    times: np.ndarray
    bid_price: np.ndarray
    bid_size: np.ndarray
    ask_price: np.ndarray
    ask_size: np.ndarray

    def __post_init__(self) -> None:
        shape = self.bid_price.shape
        for name in ("bid_size", "ask_price", "ask_size"):
            if getattr(self, name).shape != shape:
                raise ValueError(
                    f"{name} shape must equal bid_price shape {shape}, was "
                    f"{getattr(self, name).shape}"
                )
        if len(shape) != 2 or self.times.shape != (shape[0],):
            raise ValueError(f"times must be [T] with T={shape[0]}, was {self.times.shape}")

    @property
    def levels(self) -> int:
        return int(self.bid_price.shape[1])

    @property
    def mid(self) -> np.ndarray:
        """Mid price ``(best bid + best ask) / 2``, shape [T]."""
        return (self.bid_price[:, 0] + self.ask_price[:, 0]) / 2.0

    def __len__(self) -> int:
        return int(self.bid_price.shape[0])


def load_lob(path: str | Path) -> pd.DataFrame:
    """Load an order-execution minute LOB file; adds ``date`` (tz-naive UTC) from ``system_time``.

    Raises:
        DatasetError: missing ``system_time``/``midpoint`` or level columns.
    """
    path = Path(path)
    df = read_table(path)
    required = ["system_time", "midpoint", "bids_distance_0", "asks_distance_0"]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DatasetError(f"{path} lacks required LOB columns {missing}")
    dates = _to_naive_datetime(df["system_time"], path, "system_time").rename("date")
    df = pd.concat([dates, df], axis=1)
    df = df.sort_values("date", kind="stable").reset_index(drop=True)
    df.attrs["source"] = str(path)
    return df


def lob_level_count(df: pd.DataFrame) -> int:
    """Number of consecutive ``bids_distance_<i>`` levels starting at 0."""
    n = 0
    while f"bids_distance_{n}" in df.columns and f"asks_distance_{n}" in df.columns:
        n += 1
    return n


def lob_prices(df: pd.DataFrame, side: Literal["bids", "asks"]) -> np.ndarray:
    """Level prices ``midpoint * (1 + distance)`` as float64 ``[T, L]``."""
    _check_side(side)
    cols = [f"{side}_distance_{i}" for i in range(lob_level_count(df))]
    distance = df[cols].to_numpy(dtype=np.float64)
    return df["midpoint"].to_numpy(dtype=np.float64)[:, None] * (1.0 + distance)


def lob_sizes(
    df: pd.DataFrame,
    side: Literal["bids", "asks"],
    *,
    unit: Literal["base", "notional"] = "base",
) -> np.ndarray:
    """Resting size per level, ``[T, L]``: quote notional, or base units (notional / price)."""
    _check_side(side)
    if unit not in ("base", "notional"):
        raise ValueError(f"unit must be 'base' or 'notional', was {unit!r}")
    cols = [f"{side}_notional_{i}" for i in range(lob_level_count(df))]
    notional = df[cols].to_numpy(dtype=np.float64)
    return notional if unit == "notional" else notional / lob_prices(df, side)


def _check_side(side: str) -> None:
    if side not in _LOB_SIDES:
        raise ValueError(f"side must be one of {_LOB_SIDES}, was {side!r}")


def lob_book(df: pd.DataFrame) -> OrderBook:
    """Order book arrays from a frame returned by :func:`load_lob`."""
    return OrderBook(
        times=df["date"].to_numpy(dtype="datetime64[ns]"),
        bid_price=lob_prices(df, "bids"),
        bid_size=lob_sizes(df, "bids"),
        ask_price=lob_prices(df, "asks"),
        ask_size=lob_sizes(df, "asks"),
    )


def slice_book(book: OrderBook, start: int, stop: int) -> OrderBook:
    """Rows ``start:stop`` as writable copies (torch warns on read-only pandas buffers)."""
    return OrderBook(
        times=np.array(book.times[start:stop]),
        bid_price=np.array(book.bid_price[start:stop]),
        bid_size=np.array(book.bid_size[start:stop]),
        ask_price=np.array(book.ask_price[start:stop]),
        ask_size=np.array(book.ask_size[start:stop]),
    )


def hft_level_count(df: pd.DataFrame) -> int:
    """Number of consecutive ``bid<i>_price`` levels starting at 1."""
    n = 0
    while all(f"{s}{n + 1}_{k}" in df.columns for s in ("bid", "ask") for k in ("price", "size")):
        n += 1
    return n


def load_hft_lob(path: str | Path) -> pd.DataFrame:
    """Load an HFT 5-level LOB segment file, sorted by its integer ``timestamp`` step.

    Raises:
        DatasetError: no ``timestamp`` column or no ``bid1_price``..``ask1_size`` level.
    """
    path = Path(path)
    df = read_table(path)
    if "timestamp" not in df.columns or hft_level_count(df) == 0:
        raise DatasetError(
            f"{path} lacks HFT LOB columns: need 'timestamp' and bid1_price/bid1_size/"
            "ask1_price/ask1_size"
        )
    df = df.sort_values("timestamp", kind="stable").reset_index(drop=True)
    df.attrs["source"] = str(path)
    return df


def hft_book(df: pd.DataFrame) -> OrderBook:
    """Order book arrays from a frame returned by :func:`load_hft_lob` (or synthetic ``lob``)."""
    n = hft_level_count(df)

    def block(side: str, kind: str) -> np.ndarray:
        return df[[f"{side}{i}_{kind}" for i in range(1, n + 1)]].to_numpy(dtype=np.float64)

    times = df["timestamp"].to_numpy()
    if not np.issubdtype(times.dtype, np.datetime64):
        times = times.astype(np.int64)
    return OrderBook(
        times=times,
        bid_price=block("bid", "price"),
        bid_size=block("bid", "size"),
        ask_price=block("ask", "price"),
        ask_size=block("ask", "size"),
    )
