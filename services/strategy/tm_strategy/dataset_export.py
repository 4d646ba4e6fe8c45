"""StrategyService.ExportDataset: any readable dataset as Parquet or CSV, streamed in chunks.

The dataset is loaded once by the loader of its kind and written to a scratch file on the data
volume; the file is then sent in 256 KiB messages and removed when the stream ends, whether it
ended well, failed or was cancelled by the client.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from trademaster.api.strategy.v1 import strategy_pb2
from trademaster.data.export import EXPORT_FORMATS, Export, export_dataset
from trademaster.data.loaders import DatasetError
from trademaster.service.errors import FailedPrecondition, InvalidArgument

from tm_strategy.quality_cache import report_path
from tm_strategy.uploads import UserDatasets

_LOGGER = logging.getLogger(__name__)
CHUNK_BYTES = 256 * 1024


def export_format(value: str) -> str:
    """``parquet`` when empty; INVALID_ARGUMENT naming ``format`` for anything unknown."""
    fmt = (value or "parquet").strip().lower()
    if fmt not in EXPORT_FORMATS:
        message = f"must be one of {sorted(EXPORT_FORMATS)}, was {value[:40]!r}"
        raise InvalidArgument(
            f"format {message}", [("format", message)], reason="UNSUPPORTED_FORMAT"
        )
    return fmt


async def export_chunks(
    users: UserDatasets, dataset_id: str, scope: str | None, fmt: str
) -> AsyncIterator[strategy_pb2.ExportDatasetResponse]:
    """The export's messages; NOT_FOUND for datasets ``scope`` cannot read."""
    source, _, _ = await users.source(dataset_id, scope)
    target = users.scratch / f"{uuid.uuid4().hex}{EXPORT_FORMATS[fmt][0]}"
    try:
        written = await asyncio.to_thread(_write, source, target, fmt, dataset_id)
        size = target.stat().st_size
        _LOGGER.info(
            "datasets.exported id=%s format=%s rows=%d bytes=%d",
            dataset_id,
            fmt,
            written.rows,
            size,
        )
        head: strategy_pb2.ExportDatasetResponse | None = strategy_pb2.ExportDatasetResponse(
            media_type=written.media_type,
            size_bytes=size,
            filename=f"{dataset_id}{EXPORT_FORMATS[fmt][0]}",
        )
        with target.open("rb") as handle:
            while block := await asyncio.to_thread(handle.read, CHUNK_BYTES):
                if head is not None:
                    head.data, message, head = block, head, None
                    yield message
                else:
                    yield strategy_pb2.ExportDatasetResponse(data=block)
        if head is not None:  # an empty file still tells its type
            yield head
    finally:
        target.unlink(missing_ok=True)


def _write(source: Path, target: Path, fmt: str, dataset_id: str) -> Export:
    try:
        return export_dataset(source, target, fmt)
    except (DatasetError, ValueError, OSError) as exc:
        raise FailedPrecondition(
            f"dataset {dataset_id!r} cannot be exported: {str(exc)[:300]} "
            f"(see its quality report {report_path(dataset_id)})",
            reason="DATASET_UNREADABLE",
        ) from exc


__all__ = ["CHUNK_BYTES", "export_chunks", "export_format"]
