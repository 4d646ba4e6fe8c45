"""Dataset catalog: describe and list data files under configured roots.

Market-dynamics files are grouped, not listed one by one: a labelled file
(``test_labeled_slice_and_merge_model_*.csv``, ``test_with_label.csv``, ``*_MDM_processed.csv``)
is a *labelled version* of the dataset it labels (``test.csv`` of the same task folder), and the
per-label segment files (``label_<k>/label_<k>_<i>.csv``, ``style_slice/*.csv``) fold into the
labelled version of their ``Market_Dynamics_Model`` folder (see :meth:`Catalog.grouped`).

Ids are slugs of the path relative to its root (``algorithmic_trading/BTC/train.csv`` ->
``algorithmic_trading.btc.train.csv``); they are looked up in the scanned listing and never
turned back into paths, so an id cannot reach outside the roots. When two roots hold the same
relative path, the earlier root wins. Descriptions are cached by (path, mtime, size), so a
repeated listing only stats files.
"""

from __future__ import annotations

import builtins
import hashlib
import logging
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field

from trademaster.data.loaders import (
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    DatasetError,
    load_hft_lob,
    load_lob,
    load_ohlcv,
)
from trademaster.data.synthetic import read_sidecar

_LOGGER = logging.getLogger(__name__)

DATA_SUFFIXES = CSV_SUFFIXES | PARQUET_SUFFIXES
_SLUG = re.compile(r"[^a-z0-9_-]+")
_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


BOOK_KINDS = ("lob", "hft_lob")
"""Order-book dataset kinds (order-execution minute books, HFT segment files)."""


class DatasetInfo(BaseModel):
    """What a data file holds, computed from its content."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset_id: str = Field(..., description="Stable slug of the path relative to its root.")
    name: str = Field(..., description="File name.")
    path: str = Field(..., description="Absolute file path.")
    format: Literal["csv", "parquet"] = Field(..., description="File format.")
    kind: Literal["ohlcv", "lob", "hft_lob"] | None = Field(
        None, description="Dataset kind; None when the file could not be parsed."
    )
    rows: int = Field(0, ge=0, description="Data rows.")
    assets: int = Field(0, ge=0, description="Distinct tickers (1 for LOB files).")
    tics: tuple[str, ...] = Field((), description="Ticker names (OHLCV).")
    start: datetime | None = Field(None, description="First timestamp.")
    end: datetime | None = Field(None, description="Last timestamp.")
    frequency: str | None = Field(None, description="Median bar spacing, e.g. '1d', '1h', '5min'.")
    columns: tuple[str, ...] = Field((), description="Columns after loading.")
    content_hash: str = Field(..., description="sha256 of the file bytes (hex).")
    size_bytes: int = Field(..., ge=0, description="File size in bytes.")
    synthetic: bool = Field(False, description="Written by write_synthetic_dataset.")
    error: str | None = Field(None, description="Why the file could not be parsed.")


_SEGMENT_FILE = re.compile(r"^label_\d+_\d+$")
_LABELLED = re.compile(r"^(?P<parent>.+?)(_labeled_.*|_with_label|_MDM_processed)$", re.IGNORECASE)
_MDM_DIR = "market_dynamics_model"


class DatasetEntry(BaseModel):
    """One line of the grouped listing: a dataset or a labelled version of one."""

    model_config = ConfigDict(frozen=True)

    info: DatasetInfo
    version: Literal["original", "labelled"] = "original"
    parent_id: str | None = Field(None, description="The dataset a labelled version labels.")
    segment_ids: tuple[str, ...] = Field((), description="Segment files folded into this entry.")


def is_segment(relative: Path) -> bool:
    """A per-label segment file of a market-dynamics run."""
    return bool(_SEGMENT_FILE.match(relative.stem)) or "style_slice" in relative.parts[:-1]


def _mdm_folder(relative: Path) -> tuple[str, ...] | None:
    lowered = [p.lower() for p in relative.parts[:-1]]
    if _MDM_DIR not in lowered:
        return None
    return tuple(relative.parts[: lowered.index(_MDM_DIR) + 1])


def labelled_parent(relative: Path) -> Path | None:
    """Where the dataset a labelled file labels would be (``None``: not a labelled file)."""
    match = _LABELLED.match(relative.stem)
    if match is None or is_segment(relative):
        return None
    mdm = _mdm_folder(relative)
    folder = Path(*mdm[:-1]) if mdm else relative.parent
    return folder / f"{match.group('parent')}{relative.suffix}"


def dataset_id_for(relative: Path) -> str:
    """Slug of a relative path: lower-case segments of [a-z0-9_-] joined by '.', plus suffix."""
    parts = [*relative.parts[:-1], relative.stem]
    slugs = [_SLUG.sub("-", part.lower()).strip("-") or "_" for part in parts]
    return ".".join(slugs) + relative.suffix.lower()


def _natural(text: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def infer_frequency(dates: Any) -> str | None:
    """Median spacing of sorted distinct timestamps as '<n><unit>' (d, h, min, s)."""
    values = np.unique(np.asarray(dates, dtype="datetime64[ns]"))
    if len(values) < 2:
        return None
    seconds = float(np.median(np.diff(values)).astype("timedelta64[ns]").astype(np.int64)) / 1e9
    for unit, size in _UNITS:
        if seconds >= size and abs(seconds / size - round(seconds / size)) < 1e-6:
            return f"{round(seconds / size)}{unit}"
    return f"{seconds:g}s"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _detect_kind(columns: Sequence[str]) -> Literal["ohlcv", "lob", "hft_lob"] | None:
    cols = {str(c).strip().lower() for c in columns}
    if {"system_time", "midpoint", "bids_distance_0"} <= cols:
        return "lob"
    if {"bid1_price", "ask1_price", "timestamp"} <= cols:
        return "hft_lob"
    if {"open", "high", "low", "close"} <= cols:
        return "ohlcv"
    return None


def _header(path: Path) -> list[str]:
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return list(pq.read_schema(path).names)
    return [str(c) for c in pd.read_csv(path, nrows=0).columns]


def file_kind(path: Path) -> Literal["ohlcv", "lob", "hft_lob"] | None:
    """The dataset kind a file's header announces (None: neither bars nor an order book)."""
    return _detect_kind(_header(path))


def load_dataset(path: Path, kind: str, **kwargs: Any) -> pd.DataFrame:
    """Load with the loader that matches ``kind``."""
    if kind == "ohlcv":
        return load_ohlcv(path, **kwargs)
    if kind == "lob":
        return load_lob(path)
    if kind == "hft_lob":
        return load_hft_lob(path)
    raise DatasetError(f"unknown dataset kind {kind!r} for {path}")


def describe(path: str | Path, *, root: str | Path | None = None) -> DatasetInfo:
    """Describe one file; parse failures are reported in ``error``, not raised.

    Raises:
        ValueError: unsupported suffix, or ``path`` outside ``root``.
    """
    path = Path(path).resolve()
    root_path = Path(root).resolve() if root is not None else path.parent
    if not path.is_relative_to(root_path):
        raise ValueError(f"path {path} is outside root {root_path}")
    suffix = path.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        raise ValueError(f"path suffix must be one of {sorted(DATA_SUFFIXES)}, was {suffix!r}")
    stat = path.stat()
    sidecar = read_sidecar(path) or {}
    base: dict[str, Any] = {
        "dataset_id": dataset_id_for(path.relative_to(root_path)),
        "name": path.name,
        "path": str(path),
        "format": "csv" if suffix in CSV_SUFFIXES else "parquet",
        "content_hash": _sha256(path),
        "size_bytes": stat.st_size,
        "synthetic": bool(sidecar.get("synthetic", False)),
    }
    try:
        kind = _detect_kind(_header(path))
        if kind is None:
            raise DatasetError(f"{path.name} has neither OHLCV nor LOB columns")
        df = load_dataset(path, kind)
    except (DatasetError, ValueError, OSError) as exc:
        _LOGGER.info("catalog.unparseable path=%s error=%s", path, exc)
        return DatasetInfo(**base, error=str(exc))
    if kind == "hft_lob":
        times, tics = None, ()
    else:
        times, tics = df["date"], tuple(sorted(df["tic"].unique())) if kind == "ohlcv" else ()
    return DatasetInfo(
        **base,
        kind=kind,
        rows=len(df),
        assets=len(tics) if kind == "ohlcv" else 1,
        tics=tics,
        start=None if times is None or times.empty else times.min().to_pydatetime(),
        end=None if times is None or times.empty else times.max().to_pydatetime(),
        frequency=None if times is None else infer_frequency(times),
        columns=tuple(str(c) for c in df.columns),
    )


class Catalog:
    """All data files under some roots, described lazily and cached by (path, mtime, size)."""

    def __init__(self, roots: Sequence[str | Path]) -> None:
        if not roots:
            raise ValueError("roots must name at least one directory")
        self.roots = tuple(Path(r).resolve() for r in roots)
        self._cache: dict[Path, tuple[tuple[int, int], DatasetInfo]] = {}

    def _files(self) -> list[tuple[Path, Path]]:
        found: dict[str, tuple[Path, Path]] = {}
        for root in self.roots:
            if not root.is_dir():
                _LOGGER.warning("catalog.root_missing root=%s", root)
                continue
            for path in sorted(root.rglob("*")):
                if path.suffix.lower() not in DATA_SUFFIXES or not path.is_file():
                    continue
                resolved = path.resolve()
                if not resolved.is_relative_to(root):
                    _LOGGER.warning("catalog.skip_outside_root path=%s", path)
                    continue
                found.setdefault(dataset_id_for(path.relative_to(root)), (path, root))
        return [found[k] for k in sorted(found)]

    def _describe_cached(self, path: Path, root: Path) -> DatasetInfo:
        stat = path.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        hit = self._cache.get(path)
        if hit is not None and hit[0] == key:
            return hit[1]
        info = describe(path, root=root)
        self._cache[path] = (key, info)
        return info

    def list(self) -> list[DatasetInfo]:
        """Every data file under the roots, sorted by id (unparseable ones carry ``error``)."""
        return [self._describe_cached(path, root) for path, root in self._files()]

    def grouped(self) -> builtins.list[DatasetEntry]:
        """Datasets and their labelled versions, with segment files folded in (sorted by id).

        A segment group with no labelled file (the HFT ``small_BTC`` segments are the only
        copy of that data) is shown once, as its first segment, carrying the others.
        """
        files = self._files()
        infos = {dataset_id_for(p.relative_to(r)): self._describe_cached(p, r) for p, r in files}
        rel = {dataset_id_for(p.relative_to(r)): p.relative_to(r) for p, r in files}
        segments: dict[tuple[str, ...], list[str]] = {}
        labelled: dict[tuple[str, ...], list[str]] = {}
        entries: dict[str, DatasetEntry] = {}
        for dataset_id, relative in rel.items():
            folder = _mdm_folder(relative) or tuple(relative.parts[:-1])
            if is_segment(relative):
                segments.setdefault(folder, []).append(dataset_id)
                continue
            parent = labelled_parent(relative)
            parent_id = dataset_id_for(parent) if parent is not None else None
            if parent is not None and parent_id not in infos:  # BTC_MDM_processed.csv: test.csv
                parent_id = dataset_id_for(parent.parent / f"test{relative.suffix}")
            if parent is not None:
                labelled.setdefault(folder, []).append(dataset_id)
            entries[dataset_id] = DatasetEntry(
                info=infos[dataset_id],
                version="labelled" if parent is not None else "original",
                parent_id=parent_id if parent_id in infos else None,
            )
        for folder, ids in segments.items():
            owners = sorted(labelled.get(folder, []))
            if owners:
                head = entries[owners[0]]
                entries[owners[0]] = head.model_copy(update={"segment_ids": tuple(sorted(ids))})
            else:
                first, *rest = sorted(ids, key=_natural)
                entries[first] = DatasetEntry(
                    info=infos[first], version="labelled", segment_ids=tuple(rest)
                )
        return [entries[k] for k in sorted(entries)]

    def get(self, dataset_id: str) -> DatasetInfo:
        """The dataset with this id.

        Raises:
            KeyError: no such dataset under the roots.
        """
        for path, root in self._files():
            if dataset_id_for(path.relative_to(root)) == dataset_id:
                return self._describe_cached(path, root)
        raise KeyError(f"dataset {dataset_id!r} not found under {[str(r) for r in self.roots]}")

    def load(self, dataset_id: str, **kwargs: Any) -> pd.DataFrame:
        """Load a dataset by id with the loader for its kind (kwargs go to ``load_ohlcv``).

        Raises:
            KeyError: unknown id. DatasetError: the file could not be parsed.
        """
        info = self.get(dataset_id)
        if info.kind is None:
            raise DatasetError(f"dataset {dataset_id!r} is not loadable: {info.error}")
        return load_dataset(Path(info.path), info.kind, **kwargs)
