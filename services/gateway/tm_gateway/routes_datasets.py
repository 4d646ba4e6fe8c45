"""HTTP routes for the dataset catalog and its bars; each mirrors one StrategyService RPC."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from trademaster.api.strategy.v1 import strategy_pb2

from tm_gateway import api_models as m
from tm_gateway.backends import Backends
from tm_gateway.convert import CallerDependency, CallerLike, task_enum, task_name, time_of

TAG = "datasets"


def dataset_out(d: strategy_pb2.Dataset) -> m.DatasetOut:
    return m.DatasetOut(
        id=d.dataset_id,
        name=d.name,
        tasks=[task_name(t) for t in d.tasks],  # type: ignore[misc]
        path=d.path,
        format=d.format,
        rows=d.rows,
        assets=list(d.assets),
        start_time=time_of(d, "start_time"),
        end_time=time_of(d, "end_time"),
        frequency=d.frequency,
        columns=list(d.columns),
        content_hash=d.content_hash,
        synthetic=d.synthetic,
        owner_id=d.owner_id,
        version=d.version or "original",
        parent_dataset_id=d.parent_dataset_id,
        segment_count=d.segment_count,
        size_bytes=d.size_bytes,
        repairs=list(d.repairs),
        quality=m.DatasetQualityOut(
            status=d.quality.status,
            errors=d.quality.errors,
            warnings=d.quality.warnings,
            error_codes=list(d.quality.error_codes),
            report_path=d.quality.report_path,
        ),
        splits=[
            m.DatasetSplitOut(
                name=sp.name,
                start_time=time_of(sp, "start_time"),
                end_time=time_of(sp, "end_time"),
                rows=sp.rows,
            )
            for sp in d.splits
        ],
    )


def ohlcv_out(dataset_id: str, tic: str, reply: strategy_pb2.GetDatasetBarsResponse) -> m.OhlcvOut:
    bars = reply.bars
    return m.OhlcvOut(
        dataset_id=dataset_id,
        tic=tic,
        time=[b.time.ToDatetime(tzinfo=UTC) for b in bars],
        open=[b.open for b in bars],
        high=[b.high for b in bars],
        low=[b.low for b in bars],
        close=[b.close for b in bars],
        volume=[b.volume for b in bars] if reply.has_volume else None,
        total_rows=reply.total_rows,
        bucket_rows=reply.bucket_rows,
    )


def datasets_router(backends: Backends, caller: CallerDependency) -> APIRouter:
    router = APIRouter(tags=[TAG])
    CallerDep = Annotated[CallerLike, Depends(caller)]

    @router.get("/datasets", response_model=m.DatasetList)
    async def list_datasets(
        who: CallerDep,
        page_size: Annotated[int, Query(ge=0, le=500)] = 0,
        page_token: str = "",
        task: m.TaskName | None = None,
    ) -> m.DatasetList:
        """Datasets in the catalog, sorted by id."""
        reply = await backends.call(
            backends.strategy.ListDatasets,
            strategy_pb2.ListDatasetsRequest(
                page_size=page_size, page_token=page_token, task=task_enum(task)
            ),
            who.token,
        )
        return m.DatasetList(
            datasets=[dataset_out(d) for d in reply.datasets],
            next_page_token=reply.next_page_token,
        )

    @router.get(
        "/datasets/{dataset_id}:export",
        response_class=StreamingResponse,
        responses={200: {"content": {"application/vnd.apache.parquet": {}, "text/csv": {}}}},
    )
    async def export_dataset(
        dataset_id: str,
        who: CallerDep,
        fmt: Annotated[Literal["parquet", "csv"], Query(alias="format")] = "parquet",
    ) -> StreamingResponse:
        """Download any dataset the caller can read as Parquet or CSV in canonical columns,
        streamed from StrategyService.ExportDataset chunk by chunk (never held here whole)."""
        request = strategy_pb2.ExportDatasetRequest(dataset_id=dataset_id, format=fmt)
        first, rest = await backends.stream(backends.strategy.ExportDataset, request, who.token)

        async def body() -> AsyncIterator[bytes]:
            yield first.data
            async for chunk in rest:
                yield chunk.data

        return StreamingResponse(
            body(),
            media_type=first.media_type or "application/octet-stream",
            headers={
                "Content-Length": str(first.size_bytes),
                "Content-Disposition": f'attachment; filename="{first.filename}"',
            },
        )

    @router.get("/datasets/{dataset_id}", response_model=m.DatasetOut)
    async def get_dataset(dataset_id: str, who: CallerDep) -> m.DatasetOut:
        """One dataset of the catalog."""
        reply = await backends.call(
            backends.strategy.GetDataset,
            strategy_pb2.GetDatasetRequest(dataset_id=dataset_id),
            who.token,
        )
        return dataset_out(reply.dataset)

    @router.get("/datasets/{dataset_id}/ohlcv", response_model=m.OhlcvOut)
    async def dataset_ohlcv(
        dataset_id: str,
        tic: Annotated[str, Query(min_length=1)],
        who: CallerDep,
        start: datetime | None = None,
        end: datetime | None = None,
        max_points: Annotated[int, Query(ge=0, le=10_000)] = 0,
    ) -> m.OhlcvOut:
        """One asset's OHLCV bars between inclusive ``start`` and ``end``, merged to at most
        ``max_points`` bars (0 = server default)."""
        request = strategy_pb2.GetDatasetBarsRequest(
            dataset_id=dataset_id, tic=tic, max_points=max_points
        )
        if start is not None:
            request.start_time.FromDatetime(start)
        if end is not None:
            request.end_time.FromDatetime(end)
        reply = await backends.call(backends.strategy.GetDatasetBars, request, who.token)
        return ohlcv_out(dataset_id, tic, reply)

    return router
