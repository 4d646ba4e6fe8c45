"""HTTP routes for users' datasets: streamed multipart import, quality report, repair, label.

``POST /datasets`` parses ``multipart/form-data`` incrementally (python-multipart) and forwards
the ``file`` part to StrategyService.UploadDataset chunk by chunk as it arrives, so the
gateway holds at most one network chunk of the file at a time, never the whole file; the
size limit (``TM_GATEWAY_MAX_UPLOAD_BYTES``, 1 GiB by default) is enforced on the way. An
upload that does not arrive whole (client gone, body ended inside the file part, over the limit,
malformed multipart) cancels the RPC, so no partial dataset is ever created; a retry with the
same ``Idempotency-Key`` then starts afresh.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Literal

import grpc
from fastapi import APIRouter, Depends, Header, Query, Request, status
from google.protobuf import struct_pb2
from pydantic import BaseModel, ConfigDict, Field
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from trademaster.api.strategy.v1 import strategy_pb2 as pb

from tm_gateway.backends import Backends
from tm_gateway.convert import CallerDependency, CallerLike
from tm_gateway.http_errors import ApiError, api_error_from_rpc
from tm_gateway.routes_datasets import dataset_out

_LOGGER = logging.getLogger(__name__)
TAG = "datasets"
FORWARD_CHUNK = 1 << 20


class RepairBody(BaseModel):
    """Repairs to apply (see ``trademaster.data.repair.RepairSpec``)."""

    model_config = ConfigDict(extra="forbid")

    drop_duplicates: bool = False
    min_coverage: float | None = Field(None, gt=0, le=1)
    outliers: Literal["keep", "drop", "winsorize"] = "keep"
    outlier_z: float = Field(8.0, gt=0)
    fill_gaps: Literal["none", "ffill", "interpolate"] = "none"
    max_gap: int = Field(3, ge=1, le=1000)
    name: str = Field("", max_length=200)
    request_id: str = Field("", max_length=200)


class LabelBody(BaseModel):
    """Market-dynamics labeling (see ``trademaster.data.dynamics.DynamicsParams``)."""

    model_config = ConfigDict(extra="forbid")

    params: dict[str, Any] = Field(default_factory=dict)
    portfolio: Literal["per_instrument", "majority", "index"] = "per_instrument"
    index_dataset_id: str = Field("", max_length=300)
    name: str = Field("", max_length=200)
    request_id: str = Field("", max_length=200)


class _FilePart:
    """Callback state of the multipart parser: the ``file`` part's name and pending bytes."""

    def __init__(self) -> None:
        self.header_field = b""
        self.header_value = b""
        self.disposition = b""
        self.filename: str | None = None
        self.in_file = False
        self.pending: list[bytes] = []
        self.done = False

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: self._append("header_field", d[s:e]),
            "on_header_value": lambda d, s, e: self._append("header_value", d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }

    def _append(self, attr: str, data: bytes) -> None:
        setattr(self, attr, getattr(self, attr) + data)

    def _begin(self) -> None:
        self.disposition = b""

    def _header_end(self) -> None:
        if self.header_field.lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header_field = self.header_value = b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self.disposition)
        if params.get(b"name") == b"file" and not self.done:
            self.in_file = True
            self.filename = params.get(b"filename", b"upload.csv").decode("utf-8", "replace")

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self.in_file:
            self.pending.append(bytes(data[start:end]))

    def _end(self) -> None:
        if self.in_file:
            self.in_file, self.done = False, True


def _too_large(limit: int) -> ApiError:
    message = f"file exceeds the upload limit of {limit} bytes"
    return ApiError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        message,
        reason="UPLOAD_TOO_LARGE",
        field_violations=[("file", message)],
        http_status=413,
    )


def _bad_form(message: str, reason: str) -> ApiError:
    return ApiError(
        grpc.StatusCode.INVALID_ARGUMENT,
        message,
        reason=reason,
        field_violations=[("file", message)],
    )


def _multipart_boundary(request: Request) -> bytes | None:
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    return boundary if content_type == b"multipart/form-data" and boundary else None


def _not_multipart() -> ApiError:
    return _bad_form("body must be multipart/form-data with a 'file' part", "NOT_MULTIPART")


class _Abort(Exception):
    """Raised inside the request stream so gRPC cancels the upload instead of completing it:
    the strategy service then removes what it received and creates no dataset."""


def _incomplete() -> ApiError:
    return _bad_form(
        "the body ended before the 'file' part was complete; nothing was imported, retry the "
        "upload",
        "INCOMPLETE_UPLOAD",
    )


async def _upload_parts(
    request: Request, limit: int, name: str, request_id: str, failure: list[ApiError]
) -> AsyncIterator[pb.UploadDatasetRequest]:
    """UploadDataset messages from the request body, read as it streams in. Any failure is put
    in ``failure`` and aborts the stream (a truncated file must never be imported whole)."""
    boundary = _multipart_boundary(request)
    if boundary is None:
        failure.append(_not_multipart())
        return
    part = _FilePart()
    parser = MultipartParser(boundary, part.callbacks())  # type: ignore[arg-type]
    sent_meta, size = False, 0
    async for chunk in request.stream():
        try:
            parser.write(chunk)
        except MultipartParseError as exc:
            failure.append(_bad_form(f"the multipart body is malformed: {exc}", "BAD_MULTIPART"))
            raise _Abort from exc
        if part.filename is not None and not sent_meta:
            sent_meta = True
            yield pb.UploadDatasetRequest(
                metadata=pb.UploadDatasetMetadata(
                    filename=part.filename, name=name or part.filename, request_id=request_id
                )
            )
        while part.pending:
            piece = part.pending.pop(0)
            size += len(piece)
            if size > limit:
                failure.append(_too_large(limit))
                raise _Abort
            for i in range(0, len(piece), FORWARD_CHUNK):
                yield pb.UploadDatasetRequest(chunk=piece[i : i + FORWARD_CHUNK])
    if not sent_meta:
        failure.append(_bad_form("the form has no 'file' part", "FILE_MISSING"))
        return
    if not part.done:
        failure.append(_incomplete())
        raise _Abort


async def _forward(
    backends: Backends, parts: AsyncIterator[pb.UploadDatasetRequest], token: str
) -> pb.UploadDatasetResponse:
    """Await UploadDataset; a stream this gateway aborted surfaces as a cancelled call."""
    try:
        reply: pb.UploadDatasetResponse = await backends.strategy.UploadDataset(
            parts, metadata=(("authorization", f"Bearer {token}"),)
        )
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise  # this request itself is being cancelled
        raise _Abort from None
    return reply


def dataset_uploads_router(
    backends: Backends, caller: CallerDependency, max_upload_bytes: int
) -> APIRouter:
    """Routes under ``/datasets`` that change users' datasets (the catalog reads are in
    :mod:`tm_gateway.routes_datasets`)."""
    router = APIRouter(tags=[TAG])
    CallerDep = Annotated[CallerLike, Depends(caller)]

    @router.post(
        "/datasets",
        status_code=status.HTTP_201_CREATED,
        openapi_extra={
            "requestBody": {
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {"file": {"type": "string", "format": "binary"}},
                        }
                    }
                }
            }
        },
    )
    async def upload_dataset(
        request: Request,
        who: CallerDep,
        name: Annotated[str, Query(max_length=200)] = "",
        idempotency_key: Annotated[str, Header(max_length=200)] = "",
    ) -> Any:
        """Import a CSV, CSV.gz or Parquet file (form field ``file``); answers the dataset with
        its quality summary. A retry with the same ``Idempotency-Key`` returns the first."""
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_upload_bytes + 64 * 1024:
            raise _too_large(max_upload_bytes)
        if _multipart_boundary(request) is None:  # refused here, before any backend call
            raise _not_multipart()
        failure: list[ApiError] = []
        parts = _upload_parts(request, max_upload_bytes, name, idempotency_key, failure)
        try:
            reply = await _forward(backends, parts, who.token)
        except _Abort:
            raise (failure[0] if failure else _incomplete()) from None
        except grpc.aio.AioRpcError as error:
            if failure:
                raise failure[0] from None
            if "UPLOAD_TOO_LARGE" in str(error.trailing_metadata() or ""):
                raise _too_large(max_upload_bytes) from error
            raise api_error_from_rpc(error) from error
        if failure:
            raise failure[0]
        return dataset_out(reply.dataset)

    @router.get("/datasets/{dataset_id}/quality")
    async def dataset_quality(dataset_id: str, who: CallerDep) -> Any:
        """The full quality report: findings with severities and rows, per-instrument detail
        and the figure data (missing heatmap, return distribution, gap timeline)."""
        reply = await backends.call(
            backends.strategy.GetDatasetQuality,
            pb.GetDatasetQualityRequest(dataset_id=dataset_id),
            who.token,
        )
        return json.loads(reply.report_json) | {"status": reply.quality.status}

    @router.post("/datasets/{dataset_id}:repair", status_code=status.HTTP_201_CREATED)
    async def repair_dataset(dataset_id: str, body: RepairBody, who: CallerDep) -> Any:
        """Write the chosen repairs as a new version; the original is unchanged."""
        spec = struct_pb2.Struct()
        spec.update(body.model_dump(exclude={"name", "request_id"}, exclude_none=True))
        reply = await backends.call(
            backends.strategy.RepairDataset,
            pb.RepairDatasetRequest(
                dataset_id=dataset_id, spec=spec, name=body.name, request_id=body.request_id
            ),
            who.token,
        )
        return dataset_out(reply.dataset)

    @router.post("/datasets/{dataset_id}:label", status_code=status.HTTP_201_CREATED)
    async def label_dataset(dataset_id: str, body: LabelBody, who: CallerDep) -> Any:
        """Label with the market-dynamics model as a new version; per-label statistics too."""
        params = struct_pb2.Struct()
        params.update(body.params)
        reply = await backends.call(
            backends.strategy.LabelDataset,
            pb.LabelDatasetRequest(
                dataset_id=dataset_id,
                params=params,
                portfolio=body.portfolio,
                index_dataset_id=body.index_dataset_id,
                name=body.name,
                request_id=body.request_id,
            ),
            who.token,
        )
        return {
            "dataset": dataset_out(reply.dataset),
            "statistics": json.loads(reply.statistics_json or "[]"),
        }

    @router.delete("/datasets/{dataset_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def delete_dataset(dataset_id: str, who: CallerDep) -> None:
        """Delete one of the caller's dataset versions."""
        await backends.call(
            backends.strategy.DeleteDataset,
            pb.DeleteDatasetRequest(dataset_id=dataset_id),
            who.token,
        )

    return router
