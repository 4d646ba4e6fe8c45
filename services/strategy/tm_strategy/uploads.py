"""Users' own datasets: streamed import, quality reports, repaired and labelled versions.

Files live under ``<data_dir>/uploads/<hex>/`` (id ``ds_<hex>``, see ``trademaster.data.meta``)
with a sidecar naming the owner and quality status; rows live in ``strategy.user_datasets``.
An import is written to ``uploads/.incoming`` first and moved into place only when it arrived
whole, was parsed and was recorded, so a failed or cancelled upload leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import logging
import shutil
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trademaster.api.strategy.v1 import strategy_pb2
from trademaster.data.catalog import DatasetInfo, describe
from trademaster.data.dynamics import DynamicsParams, label_frame, label_statistics
from trademaster.data.loaders import load_ohlcv
from trademaster.data.meta import (
    UPLOADS_DIR,
    DatasetMeta,
    is_user_dataset_id,
    normal_suffix,
    user_relative_path,
    write_meta,
)
from trademaster.data.quality import QualityReport
from trademaster.data.repair import RepairSpec, repair_file
from trademaster.service.errors import (
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from trademaster.service.request_checks import request_violations

from tm_strategy.datasets import DatasetCatalog, dataset_message
from tm_strategy.quality_cache import QualityCache, report_path
from tm_strategy.quality_watch import Publish, QualityWatch
from tm_strategy.user_datasets import UserDataset, UserDatasetStore

_LOGGER = logging.getLogger(__name__)
MAX_NAME = 200
DRAIN_LIMITS = 4  # how much of a refused upload is still read, in multiples of the limit


def quality_summary(dataset_id: str, report: QualityReport) -> dict[str, Any]:
    return {**report.summary(), "report_path": report_path(dataset_id)}


def quality_message(summary: dict[str, Any]) -> strategy_pb2.DatasetQuality:
    return strategy_pb2.DatasetQuality(
        status=summary.get("status", ""),
        errors=summary.get("errors", 0),
        warnings=summary.get("warnings", 0),
        error_codes=summary.get("error_codes", []),
        report_path=summary.get("report_path", ""),
    )


def _bad(field: str, message: str, reason: str = "INVALID_ARGUMENT") -> InvalidArgument:
    return InvalidArgument(f"{field} {message}", [(field, message)], reason=reason)


def _checked(part: object) -> strategy_pb2.UploadDatasetRequest:
    """One message of the stream, held to the rules the interceptor applies to unary requests
    (it sees no stream items): decodable, no NUL in strings."""
    if not isinstance(part, strategy_pb2.UploadDatasetRequest):
        raise _bad("request", "is not a valid UploadDatasetRequest", "UNDECODABLE_REQUEST")
    violations = request_violations(part)
    if violations:
        fields = ", ".join(dict.fromkeys(name for name, _ in violations))
        raise InvalidArgument(f"request is invalid: {fields}", violations, reason="INVALID_REQUEST")
    return part


class UserDatasets:
    """Operations on users' datasets; ``owner=None`` means an admin reaching every owner."""

    def __init__(
        self,
        store: UserDatasetStore,
        catalog: DatasetCatalog,
        data_dir: Path,
        *,
        max_upload_bytes: int,
        publish: Publish | None = None,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._root = data_dir.resolve()
        self._quality = QualityCache(self._root / UPLOADS_DIR / ".quality")
        self._watch = QualityWatch(self._root / UPLOADS_DIR / ".quality" / "latest", publish)
        self._max = max_upload_bytes
        self._infos: dict[str, DatasetInfo] = {}
        self._lock = threading.Lock()

    @property
    def scratch(self) -> Path:
        """Where exports are written before they are streamed (same volume as the data)."""
        return self._root / UPLOADS_DIR / ".exports"

    # --- reading ------------------------------------------------------------------------
    def _info(self, row: UserDataset) -> DatasetInfo:
        with self._lock:
            hit = self._infos.get(row.content_hash)
        if hit is None:
            hit = describe(self._root / row.relative_path, root=self._root)
            with self._lock:
                self._infos[row.content_hash] = hit
        return hit

    async def message(self, row: UserDataset) -> strategy_pb2.Dataset:
        info = await asyncio.to_thread(self._info, row)
        out = dataset_message(info, row.relative_path)
        out.dataset_id = row.id
        out.name = row.name
        out.owner_id = row.owner
        out.version = row.version
        out.parent_dataset_id = row.parent_id
        out.size_bytes = row.size_bytes
        out.repairs.extend(row.repairs)
        out.quality.CopyFrom(quality_message(row.quality))
        return out

    async def own(self, owner: str) -> list[strategy_pb2.Dataset]:
        return [await self.message(r) for r in await self._store.list(owner)]

    async def get(self, dataset_id: str, owner: str | None) -> UserDataset:
        row = await self._store.get(dataset_id, owner)
        if row is None:
            raise NotFound(f"dataset {dataset_id!r} not found", reason="DATASET_NOT_FOUND")
        return row

    async def source(self, dataset_id: str, owner: str | None) -> tuple[Path, str, str]:
        """(file, content hash, display name) of any dataset the caller can read."""
        if is_user_dataset_id(dataset_id):
            row = await self.get(dataset_id, owner)
            return self._root / row.relative_path, row.content_hash, row.name
        found = await asyncio.to_thread(self._catalog.info, dataset_id)
        if found is None:
            raise NotFound(f"dataset {dataset_id!r} not found", reason="DATASET_NOT_FOUND")
        return Path(found.path), found.content_hash, found.dataset_id

    async def report(self, dataset_id: str, owner: str | None) -> QualityReport:
        """The report of the dataset's current content; a platform file that changed for the
        worse raises a quality-drop event (users' versions never change)."""
        path, content_hash, _ = await self.source(dataset_id, owner)
        report = await asyncio.to_thread(self._quality.report, path, content_hash)
        if not is_user_dataset_id(dataset_id):
            await self._watch.observe(dataset_id, "", content_hash, report)
        return report

    # --- import -------------------------------------------------------------------------
    async def upload(
        self, owner: str, requests: AsyncIterator[strategy_pb2.UploadDatasetRequest]
    ) -> UserDataset:
        """Import one streamed file. A refusal while the client is still sending is answered
        only once the stream ends: a grpc.aio client whose write races the server's status
        reports INTERNAL "Internal error from Core" instead of that status (grpc/grpc#36066),
        so the reason (e.g. UPLOAD_TOO_LARGE) would be lost. At most ``DRAIN_LIMITS`` times the
        limit is taken and dropped; a longer stream is refused at once."""
        try:
            return await self._upload(owner, requests)
        except DomainError:
            await _drain(requests, self._max * DRAIN_LIMITS)
            raise

    async def _upload(
        self, owner: str, requests: AsyncIterator[strategy_pb2.UploadDatasetRequest]
    ) -> UserDataset:
        first = await anext(requests, None)
        if first is None or _checked(first).WhichOneof("part") != "metadata":
            raise _bad("metadata", "must be the first message of the upload")
        meta = first.metadata
        suffix = normal_suffix(meta.filename)
        if suffix is None:
            raise _bad(
                "metadata.filename",
                f"must end in .csv, .csv.gz or .parquet, was {meta.filename[:100]!r}",
            )
        name = (meta.name or meta.filename).strip()
        if not 1 <= len(name) <= MAX_NAME:
            raise _bad("metadata.name", f"must be 1..{MAX_NAME} characters")
        existing = await self._store.by_request_id(owner, meta.request_id)
        if existing is not None:
            await _drain(requests, self._max * DRAIN_LIMITS)  # the client still sends its bytes
            return existing
        dataset_id = f"ds_{uuid.uuid4().hex}"
        incoming = self._root / UPLOADS_DIR / ".incoming" / f"{dataset_id}{suffix}"
        incoming.parent.mkdir(parents=True, exist_ok=True)
        plain = incoming.with_name(f"{dataset_id}.csv")
        try:
            size, digest = await self._receive(requests, incoming)
            if suffix == ".csv.gz":  # stored plain: every loader and service reads .csv
                size, digest = await asyncio.to_thread(_gunzip, incoming, plain, self._max * 20)
                incoming.unlink()
                incoming, suffix = plain, ".csv"
            return await self._commit(
                owner,
                dataset_id,
                name,
                meta.filename,
                suffix,
                incoming,
                size,
                digest,
                meta.request_id,
                version="uploaded",
            )
        finally:
            incoming.unlink(missing_ok=True)
            plain.unlink(missing_ok=True)

    async def _receive(
        self, requests: AsyncIterator[strategy_pb2.UploadDatasetRequest], target: Path
    ) -> tuple[int, str]:
        digest = hashlib.sha256()
        size = 0
        with target.open("wb") as handle:
            async for part in requests:
                if _checked(part).WhichOneof("part") != "chunk":
                    raise _bad("metadata", "must be sent once, before the chunks")
                size += len(part.chunk)
                if size > self._max:
                    raise _bad(
                        "chunk",
                        f"upload exceeds the limit of {self._max} bytes",
                        reason="UPLOAD_TOO_LARGE",
                    )
                digest.update(part.chunk)
                handle.write(part.chunk)
        if size == 0:
            raise _bad("chunk", "the file is empty")
        return size, digest.hexdigest()

    async def _commit(
        self,
        owner: str,
        dataset_id: str,
        name: str,
        filename: str,
        suffix: str,
        file: Path,
        size: int,
        digest: str,
        request_id: str,
        *,
        version: str,
        parent_id: str = "",
        repairs: list[str] | None = None,
    ) -> UserDataset:
        report = await asyncio.to_thread(self._quality.report, file, digest)
        if report.kind is None:
            reasons = "; ".join(f.message for f in report.errors)[:500]
            raise _bad(
                "chunk",
                f"is not a dataset this platform can read: {reasons}",
                reason="UNREADABLE_DATASET",
            )
        relative = user_relative_path(dataset_id, suffix)
        final = self._root / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(file), final)
        summary = quality_summary(dataset_id, report)
        row = UserDataset(
            id=dataset_id,
            owner=owner,
            name=name,
            filename=Path(filename).name[:MAX_NAME],
            relative_path=str(relative),
            format="parquet" if suffix == ".parquet" else "csv",
            size_bytes=size,
            content_hash=digest,
            version=version,
            parent_id=parent_id,
            repairs=repairs or [],
            quality=summary,
            created_at=datetime.now(UTC),
        )
        try:
            stored = await self._store.insert(row, request_id)
        except BaseException:
            shutil.rmtree(final.parent, ignore_errors=True)
            raise
        if stored.id != dataset_id:  # a concurrent repeat of the request won
            shutil.rmtree(final.parent, ignore_errors=True)
            return stored
        write_meta(
            final,
            DatasetMeta(
                dataset_id=dataset_id,
                owner_id=owner,
                content_hash=digest,
                quality_status=report.status,
                error_codes=summary["error_codes"],
            ),
        )
        _LOGGER.info(
            "datasets.imported id=%s owner=%s bytes=%d status=%s",
            dataset_id,
            owner,
            size,
            report.status,
        )
        return stored

    # --- derived versions ---------------------------------------------------------------
    async def repair(
        self,
        owner: str,
        reach: str | None,
        dataset_id: str,
        spec: dict[str, Any],
        name: str,
        request_id: str,
    ) -> UserDataset:
        existing = await self._store.by_request_id(owner, request_id)
        if existing is not None:
            return existing
        try:
            parsed = RepairSpec.model_validate(spec)
        except ValueError as exc:
            raise _bad("spec", str(exc).replace("\n", " ")[:500]) from exc
        path, _, source_name = await self.source(dataset_id, reach)
        new_id = f"ds_{uuid.uuid4().hex}"
        work = self._root / UPLOADS_DIR / ".incoming" / new_id
        target = work / "data.csv"
        try:
            record = await asyncio.to_thread(
                repair_file, path, target, parsed, source_id=dataset_id
            )
            return await self._commit(
                owner,
                new_id,
                name or f"{source_name} (repaired)",
                target.name,
                ".csv",
                target,
                target.stat().st_size,
                record.content_hash,
                request_id,
                version="repaired",
                parent_id=dataset_id,
                repairs=[r.name for r in record.repairs],
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)

    async def label(
        self,
        owner: str,
        reach: str | None,
        request: strategy_pb2.LabelDatasetRequest,
        params: dict[str, Any],
    ) -> tuple[UserDataset, str]:
        existing = await self._store.by_request_id(owner, request.request_id)
        if existing is not None:
            return existing, "[]"
        try:
            parsed = DynamicsParams.model_validate(params)
        except ValueError as exc:
            raise _bad("params", str(exc).replace("\n", " ")[:500]) from exc
        portfolio = request.portfolio or "per_instrument"
        if portfolio not in ("per_instrument", "majority", "index"):
            raise _bad("portfolio", f"must be per_instrument, majority or index, was {portfolio!r}")
        report = await self.report(request.dataset_id, reach)
        if report.blocked or report.kind != "ohlcv":
            raise FailedPrecondition(
                f"dataset {request.dataset_id!r} cannot be labelled: quality report "
                f"{report_path(request.dataset_id)} is {report.status} (kind {report.kind})",
                reason="DATASET_BLOCKED",
            )
        path, _, source_name = await self.source(request.dataset_id, reach)
        index_path = None
        if portfolio == "index":
            if not request.index_dataset_id:
                raise _bad("index_dataset_id", "is required for portfolio 'index'")
            index_path, _, _ = await self.source(request.index_dataset_id, reach)
        new_id = f"ds_{uuid.uuid4().hex}"
        work = self._root / UPLOADS_DIR / ".incoming" / new_id
        target = work / "data.csv"
        try:
            stats = await asyncio.to_thread(
                _label_to_file, path, target, parsed, portfolio, index_path
            )
            digest = hashlib.sha256(target.read_bytes()).hexdigest()
            row = await self._commit(
                owner,
                new_id,
                request.name or f"{source_name} (labelled)",
                target.name,
                ".csv",
                target,
                target.stat().st_size,
                digest,
                request.request_id,
                version="labelled",
                parent_id=request.dataset_id,
            )
            return row, stats
        finally:
            shutil.rmtree(work, ignore_errors=True)

    async def delete(self, dataset_id: str, owner: str | None) -> None:
        row = await self._store.delete(dataset_id, owner)
        if row is None:
            raise NotFound(f"dataset {dataset_id!r} not found", reason="DATASET_NOT_FOUND")
        shutil.rmtree((self._root / row.relative_path).parent, ignore_errors=True)


async def _drain(requests: AsyncIterator[object], budget: int) -> None:
    """Read and drop the rest of a refused stream, up to ``budget`` bytes of chunks."""
    try:
        async for part in requests:
            budget -= len(getattr(part, "chunk", b""))
            if budget < 0:
                return
    except Exception:  # noqa: BLE001 - the stream itself failed; the refusal still stands
        _LOGGER.debug("refused upload stream ended with an error", exc_info=True)


def _gunzip(source: Path, target: Path, limit: int) -> tuple[int, str]:
    """Decompress ``source`` into ``target``; size and sha256 of the plain bytes."""
    digest, size = hashlib.sha256(), 0
    try:
        with gzip.open(source, "rb") as src, target.open("wb") as dst:
            for block in iter(lambda: src.read(1 << 20), b""):
                size += len(block)
                if size > limit:
                    raise _bad(
                        "chunk",
                        f"decompresses to more than {limit} bytes",
                        reason="UPLOAD_TOO_LARGE",
                    )
                digest.update(block)
                dst.write(block)
    except (OSError, EOFError) as exc:
        raise _bad(
            "chunk", f"is not a readable gzip file: {exc}", reason="UNREADABLE_DATASET"
        ) from exc
    return size, digest.hexdigest()


def _label_to_file(
    source: Path, target: Path, params: DynamicsParams, portfolio: str, index_path: Path | None
) -> str:
    frame = load_ohlcv(source)
    if "label" in frame.columns:
        frame = frame.drop(columns=["label"])
    index = load_ohlcv(index_path) if index_path is not None else None
    try:
        labelled = label_frame(frame, params, portfolio=portfolio, index=index)  # type: ignore[arg-type]
        stats = label_statistics(frame, params)
    except ValueError as exc:
        raise _bad("dataset_id", f"cannot be labelled: {exc}") from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    labelled.to_csv(target, index=False)
    return stats.to_json(orient="records")
