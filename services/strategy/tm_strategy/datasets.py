"""The dataset catalog as the strategy service serves it: proto messages, tasks, pages."""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from datetime import datetime
from pathlib import Path

from trademaster.api.strategy.v1 import strategy_pb2
from trademaster.data.catalog import Catalog, DatasetEntry, DatasetInfo
from trademaster.data.loaders import CSV_SUFFIXES, PARQUET_SUFFIXES, load_ohlcv
from trademaster.data.meta import UPLOADS_DIR
from trademaster.data.synthetic import gbm, write_synthetic_dataset
from trademaster.service.structs import timestamp_of

from tm_strategy.bars import Bars, BarsUnavailable, merge_bars

_LOGGER = logging.getLogger(__name__)

TASK_NAMES = (
    "algorithmic_trading",
    "portfolio_management",
    "order_execution",
    "high_frequency_trading",
)
SYNTHETIC_DIR = "synthetic"


def _tasks_for(info: DatasetInfo) -> list[str]:
    """Tasks a dataset suits: its top folder when named after a task, else by content kind."""
    top = info.dataset_id.split(".", 1)[0]
    if top in TASK_NAMES:
        return [top]
    if info.kind == "lob":
        return ["order_execution"]
    if info.kind == "hft_lob":
        return ["high_frequency_trading"]
    if info.assets > 1:
        return ["portfolio_management"]
    return ["algorithmic_trading"]


def dataset_message(info: DatasetInfo, relative: str) -> strategy_pb2.Dataset:
    """The proto of one described file; ``relative`` is its path under its data root."""
    return strategy_pb2.Dataset(
        dataset_id=info.dataset_id,
        name=relative,
        tasks=[strategy_pb2.Task.Value(f"TASK_{t.upper()}") for t in _tasks_for(info)],
        path=relative,
        format=info.format,
        rows=info.rows,
        assets=list(info.tics),
        start_time=timestamp_of(info.start),
        end_time=timestamp_of(info.end),
        frequency=info.frequency or "",
        columns=list(info.columns),
        content_hash=info.content_hash,
        synthetic=info.synthetic,
        size_bytes=info.size_bytes,
        version="original",
        uri=Path(info.path).absolute().as_uri(),
        kind=info.kind or "",
    )


def _uploaded(dataset_id: str) -> bool:
    """Catalog ids of users' files (``uploads.*``): served as ``ds_*`` ids, owner-checked."""
    return dataset_id.split(".", 1)[0] == UPLOADS_DIR


def ensure_synthetic_datasets(data_dir: Path) -> list[Path]:
    """Write small deterministic datasets into ``data_dir`` when it holds no data file, so a
    fresh install always has something to train on. Returns the files written."""
    suffixes = CSV_SUFFIXES | PARQUET_SUFFIXES
    if data_dir.is_dir() and any(p.suffix.lower() in suffixes for p in data_dir.rglob("*")):
        return []
    written = [
        write_synthetic_dataset(
            data_dir / SYNTHETIC_DIR / "gbm_daily.csv", gbm(750, 1, seed=7), generator="gbm"
        ),
        write_synthetic_dataset(
            data_dir / SYNTHETIC_DIR / "gbm_daily_5_assets.csv",
            gbm(750, 5, seed=8),
            generator="gbm",
        ),
    ]
    _LOGGER.info("datasets.synthetic_written files=%s", [str(p) for p in written])
    return written


class DatasetCatalog:
    """Thread-safe view of :class:`Catalog` that answers with ``strategy_pb2.Dataset``.

    Describing files parses them (seconds for the shared data set), so callers run ``page`` and
    ``get`` off the event loop; the catalog caches descriptions by (path, mtime, size).
    """

    def __init__(self, roots: list[Path]) -> None:
        self._roots = [Path(r).resolve() for r in roots]
        self._catalog = Catalog(self._roots)
        self._lock = threading.Lock()

    def _usable(self) -> list[DatasetEntry]:
        """Grouped platform datasets: segment files folded into labelled versions."""
        with self._lock:
            entries = self._catalog.grouped()
        return [
            e
            for e in entries
            if e.info.error is None and e.info.kind is not None and not _uploaded(e.info.dataset_id)
        ]

    def _message(
        self, info: DatasetInfo, entry: DatasetEntry | None = None
    ) -> strategy_pb2.Dataset:
        path = Path(info.path)
        relative = next(
            (str(path.relative_to(r)) for r in self._roots if path.is_relative_to(r)), path.name
        )
        out = dataset_message(info, relative)
        if entry is not None:
            out.version = entry.version
            out.parent_dataset_id = entry.parent_id or ""
            out.segment_count = len(entry.segment_ids)
        return out

    def info(self, dataset_id: str) -> DatasetInfo | None:
        """A usable platform dataset's description (users' files are not reachable here)."""
        if _uploaded(dataset_id):
            return None
        with self._lock:
            try:
                info = self._catalog.get(dataset_id)
            except KeyError:
                return None
        return None if info.error is not None or info.kind is None else info

    def warm(self) -> int:
        """Describe every file now (start-up), so the first request is fast; returns the count."""
        return len(self._usable())

    def page(
        self, page_size: int, page_token: str, task: str = ""
    ) -> tuple[list[strategy_pb2.Dataset], str]:
        """Datasets sorted by id, optionally only those for ``task``.

        Raises:
            ValueError: ``page_token`` is not one this catalog returned.
        """
        messages = self.all(task)
        return page_of(messages, page_size, page_token)

    def all(self, task: str = "") -> list[strategy_pb2.Dataset]:
        """Every usable grouped platform dataset, optionally only those for ``task``."""
        entries = [e for e in self._usable() if not task or task in _tasks_for(e.info)]
        return [self._message(e.info, e) for e in entries]

    def get(self, dataset_id: str) -> strategy_pb2.Dataset | None:
        info = self.info(dataset_id)
        if info is None:
            return None
        entry = next((e for e in self._usable() if e.info.dataset_id == dataset_id), None)
        return self._message(info, entry)

    def bars(
        self,
        dataset_id: str,
        tic: str,
        start: datetime | None,
        end: datetime | None,
        max_points: int,
    ) -> Bars:
        """One asset's bars between inclusive ``start`` and ``end``, merged to ``max_points``.

        Raises:
            KeyError: unknown dataset. BarsUnavailable: not OHLCV data, or ``tic`` not in it.
        """
        found = self.info(dataset_id)
        if found is None:
            raise KeyError(dataset_id)
        info = found
        if info.kind != "ohlcv":
            raise BarsUnavailable(
                "dataset_id", f"dataset {dataset_id!r} has no OHLC bars (kind {info.kind!r})"
            )
        if tic not in info.tics:
            shown = ", ".join(info.tics[:10]) + (", ..." if len(info.tics) > 10 else "")
            raise BarsUnavailable("tic", f"tic must be one of [{shown}], was {tic!r}")
        frame = load_ohlcv(Path(info.path), tics=[tic], start=start, end=end)
        return merge_bars(frame.sort_values("date", kind="stable"), max_points)


def page_of(
    messages: list[strategy_pb2.Dataset], page_size: int, page_token: str
) -> tuple[list[strategy_pb2.Dataset], str]:
    """One page of an already sorted list, with the offset token of the next.

    Raises:
        ValueError: ``page_token`` is not one this catalog returned.
    """
    offset = decode_offset(page_token)
    chunk = messages[offset : offset + page_size]
    more = offset + page_size < len(messages)
    return chunk, encode_offset(offset + page_size) if more else ""


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"ds:{offset}".encode()).decode().rstrip("=")


def decode_offset(token: str) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    prefix, _, number = text.partition(":")
    if prefix != "ds" or not number.isdigit():
        raise ValueError(f"page_token {token!r} is not a token returned by ListDatasets")
    return int(number)
