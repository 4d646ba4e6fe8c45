"""Users' datasets end to end over real gRPC, PostgreSQL and Redis: import, quality report,
owner isolation, repair and labelling as new versions, and blocked data refused by backtests.

The backtest service resolves datasets through the strategy service (GetDataset → URI), as in
a deployment.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import numpy as np
import pandas as pd
import pytest
from google.protobuf import struct_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.servers import PostgresHandle
from tm_backtest.config import BacktestSettings
from tm_backtest.server import build as build_backtest
from tm_strategy.config import StrategySettings
from tm_strategy.server import build as build_strategy
from trademaster.api.backtest.v1 import backtest_pb2 as bpb
from trademaster.api.backtest.v1 import backtest_pb2_grpc
from trademaster.api.strategy.v1 import strategy_pb2 as pb
from trademaster.api.strategy.v1 import strategy_pb2_grpc
from trademaster.service.auth import issue_token
from trademaster.service.events import EventBus
from trademaster.service.server import ServiceParts, create_server, stop_server

pytestmark = pytest.mark.integration

JWT_SECRET = "datasets-tests-secret-0123456789-abcdef"
CHUNK = 64 * 1024


def auth(subject: str, *roles: str) -> list[tuple[str, str]]:
    return [
        ("authorization", f"Bearer {issue_token(JWT_SECRET, subject, roles or ('researcher',))[0]}")
    ]


@dataclass
class Stack:
    data_dir: Path
    strategies: strategy_pb2_grpc.StrategyServiceStub
    backtests: backtest_pb2_grpc.BacktestServiceStub
    strategy_channel: grpc.aio.Channel
    redis_url: str
    strategy_addr: str


async def _start(settings, name: str, build) -> tuple[grpc.aio.Server, int, ServiceParts]:  # noqa: ANN001
    parts = await build(settings)
    server, port = await create_server(
        settings,
        service_name=name,
        register=parts.register,
        full_service_names=parts.full_service_names,
        public_methods=parts.public_methods,
    )
    return server, port, parts


@pytest.fixture(scope="module")
async def stack(
    postgres_server: PostgresHandle, redis_url: str, tm_session_dir: Path
) -> AsyncIterator[Stack]:
    name = f"ud_{uuid.uuid4().hex[:8]}"
    data_dir = tm_session_dir / name / "datasets"
    strategy = StrategySettings(
        database_url=postgres_server.create_database(name),
        redis_url=redis_url,
        jwt_secret=JWT_SECRET,
        data_dir=data_dir,
        max_upload_bytes=2_000_000,
    )
    started = [await _start(strategy, "strategy", build_strategy)]
    backtest = BacktestSettings(
        database_url=postgres_server.create_database(name + "_bt"),
        redis_url=redis_url,
        jwt_secret=JWT_SECRET,  # type: ignore[arg-type]
        strategy_addr=f"127.0.0.1:{started[0][1]}",
        artifact_dir=data_dir.parent / "artifacts",
        workers=1,
    )
    started.append(await _start(backtest, "backtest", build_backtest))
    channels = [grpc.aio.insecure_channel(f"127.0.0.1:{port}") for _, port, _ in started]
    yield Stack(
        data_dir,
        strategy_pb2_grpc.StrategyServiceStub(channels[0]),
        backtest_pb2_grpc.BacktestServiceStub(channels[1]),
        channels[0],
        redis_url,
        f"127.0.0.1:{started[0][1]}",
    )
    for channel in channels:
        await channel.close()
    for server, _, parts in reversed(started):
        await stop_server(server, 0)
        for callback in parts.on_shutdown:
            await callback()


def _bars(n: int = 200, duplicates: int = 0) -> bytes:
    rng = np.random.default_rng(5)
    dates = pd.bdate_range("2020-01-01", periods=n)
    frames = []
    for k, tic in enumerate(("AAA", "BBB")):
        close = 50 * (1 + k) * np.exp(np.cumsum(rng.normal(0.0005, 0.01, n)))
        frames.append(
            pd.DataFrame(
                {
                    "Date": dates.strftime("%Y-%m-%d"),
                    "Symbol": tic,
                    "Open": close,
                    "High": close * 1.01,
                    "Low": close * 0.99,
                    "Close": close,
                    "Volume": 1e4,
                }
            )
        )
    df = pd.concat(frames).sort_values(["Date", "Symbol"])
    if duplicates:
        df = pd.concat([df, df.iloc[:duplicates]])
    return df.to_csv(index=False).encode()


def _parts(data: bytes, filename: str, request_id: str = "") -> Iterator[pb.UploadDatasetRequest]:
    yield pb.UploadDatasetRequest(
        metadata=pb.UploadDatasetMetadata(filename=filename, name=filename, request_id=request_id)
    )
    for i in range(0, len(data), CHUNK):
        yield pb.UploadDatasetRequest(chunk=data[i : i + CHUNK])


async def _upload(
    stack: Stack, owner: str, data: bytes, filename: str = "mine.csv", request_id: str = ""
) -> pb.Dataset:
    reply = await stack.strategies.UploadDataset(
        _parts(data, filename, request_id), metadata=auth(owner), timeout=60
    )
    return reply.dataset


def _leftovers(stack: Stack) -> list[Path]:
    incoming = stack.data_dir / "uploads" / ".incoming"
    return sorted(incoming.iterdir()) if incoming.is_dir() else []


async def test_upload_lists_reports_and_isolates_owners(stack: Stack) -> None:
    owner, other = f"u-{uuid.uuid4().hex[:6]}", f"u-{uuid.uuid4().hex[:6]}"
    dataset = await _upload(stack, owner, _bars(), request_id="first")
    assert dataset.dataset_id.startswith("ds_") and dataset.owner_id == owner
    assert (dataset.version, dataset.rows, list(dataset.assets)) == (
        "uploaded",
        400,
        ["AAA", "BBB"],
    )
    assert dataset.quality.status in ("clean", "warnings")
    assert dataset.quality.report_path == f"/api/v1/datasets/{dataset.dataset_id}/quality"
    again = await _upload(stack, owner, _bars(), request_id="first")
    assert again.dataset_id == dataset.dataset_id  # idempotent by request_id
    listed = await stack.strategies.ListDatasets(
        pb.ListDatasetsRequest(page_size=500), metadata=auth(owner), timeout=30
    )
    assert dataset.dataset_id in {d.dataset_id for d in listed.datasets}
    others = await stack.strategies.ListDatasets(
        pb.ListDatasetsRequest(page_size=500), metadata=auth(other), timeout=30
    )
    assert dataset.dataset_id not in {d.dataset_id for d in others.datasets}
    assert not any(d.dataset_id.startswith("uploads.") for d in others.datasets)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.strategies.GetDataset(
            pb.GetDatasetRequest(dataset_id=dataset.dataset_id), metadata=auth(other), timeout=10
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    admin = await stack.strategies.GetDataset(
        pb.GetDatasetRequest(dataset_id=dataset.dataset_id),
        metadata=auth("root", "admin"),
        timeout=10,
    )
    assert admin.dataset.owner_id == owner


async def test_bad_uploads_leave_nothing_behind(stack: Stack) -> None:
    owner = f"u-{uuid.uuid4().hex[:6]}"
    cases = [
        (_bars(n=20_000), "big.csv", "UPLOAD_TOO_LARGE"),  # about 3 MB > 2 MB limit
        (b"\x00\x01garbage\xff" * 100, "junk.csv", "UNREADABLE_DATASET"),
        (_bars(), "prices.xlsx", "INVALID_ARGUMENT"),
    ]
    for data, filename, reason in cases:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await _upload(stack, owner, data, filename)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, filename
        assert reason in str(err.value.trailing_metadata()) or reason == "INVALID_ARGUMENT"
    only_chunks = iter([pb.UploadDatasetRequest(chunk=b"date,close\n")])
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.strategies.UploadDataset(only_chunks, metadata=auth(owner), timeout=10)
    assert "metadata" in (err.value.details() or "")
    nul_name = _parts(_bars(), "ok.csv", request_id="k\x00")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.strategies.UploadDataset(nul_name, metadata=auth(owner), timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "metadata.request_id" in (err.value.details() or "")
    raw = stack.strategy_channel.stream_unary(  # bytes that are no UploadDatasetRequest
        "/trademaster.api.strategy.v1.StrategyService/UploadDataset",
        request_serializer=lambda b: b,
        response_deserializer=pb.UploadDatasetResponse.FromString,
    )
    first = next(_parts(b"x", "ok.csv")).SerializeToString()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await raw(iter([first, b"\xff\xff\xff"]), metadata=auth(owner), timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "UNDECODABLE_REQUEST" in str(err.value.trailing_metadata())
    assert _leftovers(stack) == []
    listed = await stack.strategies.ListDatasets(
        pb.ListDatasetsRequest(page_size=500), metadata=auth(owner), timeout=30
    )
    assert not [d for d in listed.datasets if d.owner_id == owner]


async def test_blocked_upload_is_refused_then_repaired_labelled_and_backtested(
    stack: Stack,
) -> None:
    owner = f"u-{uuid.uuid4().hex[:6]}"
    blocked = await _upload(stack, owner, _bars(duplicates=3), "dups.csv")
    assert blocked.quality.status == "blocked"
    assert list(blocked.quality.error_codes) == ["duplicate_rows"]
    quality = await stack.strategies.GetDatasetQuality(
        pb.GetDatasetQualityRequest(dataset_id=blocked.dataset_id), metadata=auth(owner), timeout=30
    )
    report = json.loads(quality.report_json)
    dup = next(f for f in report["findings"] if f["code"] == "duplicate_rows")
    assert dup["rows"] == [401, 402, 403]
    spec = bpb.BacktestSpec(dataset_id=blocked.dataset_id, baseline="buy_and_hold")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.backtests.CreateBacktest(
            bpb.CreateBacktestRequest(spec=spec), metadata=auth(owner), timeout=30
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert f"/api/v1/datasets/{blocked.dataset_id}/quality" in (err.value.details() or "")

    repair_spec = struct_pb2.Struct()
    repair_spec.update({"drop_duplicates": True})
    repaired = (
        await stack.strategies.RepairDataset(
            pb.RepairDatasetRequest(dataset_id=blocked.dataset_id, spec=repair_spec),
            metadata=auth(owner),
            timeout=60,
        )
    ).dataset
    assert (repaired.version, repaired.parent_dataset_id) == ("repaired", blocked.dataset_id)
    assert list(repaired.repairs) == ["drop_duplicates"] and repaired.quality.status != "blocked"
    still = await stack.strategies.GetDataset(
        pb.GetDatasetRequest(dataset_id=blocked.dataset_id), metadata=auth(owner), timeout=10
    )
    assert still.dataset.quality.status == "blocked"  # the original is never changed

    labelled_reply = await stack.strategies.LabelDataset(
        pb.LabelDatasetRequest(dataset_id=repaired.dataset_id, portfolio="majority"),
        metadata=auth(owner),
        timeout=60,
    )
    labelled = labelled_reply.dataset
    assert labelled.version == "labelled" and "label" in labelled.columns
    assert {row["label"] for row in json.loads(labelled_reply.statistics_json)} <= {0, 1, 2}

    spec = bpb.BacktestSpec(dataset_id=labelled.dataset_id, baseline="buy_and_hold")
    created = (
        await stack.backtests.CreateBacktest(
            bpb.CreateBacktestRequest(spec=spec), metadata=auth(owner), timeout=30
        )
    ).backtest
    for _ in range(600):
        got = (
            await stack.backtests.GetBacktest(
                bpb.GetBacktestRequest(backtest_id=created.backtest_id),
                metadata=auth(owner),
                timeout=10,
            )
        ).backtest
        if got.state in (bpb.BACKTEST_STATE_SUCCEEDED, bpb.BACKTEST_STATE_FAILED):
            break
        await asyncio.sleep(0.1)
    assert got.state == bpb.BACKTEST_STATE_SUCCEEDED, got
    result = await stack.backtests.GetBacktestResult(
        bpb.GetBacktestResultRequest(backtest_id=created.backtest_id),
        metadata=auth(owner),
        timeout=30,
    )
    assert {r.regime for r in result.regimes} <= {"0", "1", "2"} and result.regimes

    other = f"u-{uuid.uuid4().hex[:6]}"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.backtests.CreateBacktest(
            bpb.CreateBacktestRequest(spec=spec), metadata=auth(other), timeout=30
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    await stack.strategies.DeleteDataset(
        pb.DeleteDatasetRequest(dataset_id=labelled.dataset_id), metadata=auth(owner), timeout=10
    )
    assert not (stack.data_dir / "uploads" / labelled.dataset_id[3:]).exists()


async def test_platform_dataset_has_a_quality_summary(stack: Stack) -> None:
    listed = await stack.strategies.ListDatasets(
        pb.ListDatasetsRequest(page_size=500), metadata=auth("reader"), timeout=30
    )
    platform = [d for d in listed.datasets if not d.owner_id]
    assert platform and all(d.version == "original" for d in platform)
    got = await stack.strategies.GetDataset(
        pb.GetDatasetRequest(dataset_id=platform[0].dataset_id), metadata=auth("reader"), timeout=30
    )
    assert got.dataset.quality.status in ("clean", "warnings")


async def test_gzip_and_parquet_uploads_are_stored_readable(stack: Stack) -> None:
    import gzip
    import io

    owner = f"u-{uuid.uuid4().hex[:6]}"
    gz = await _upload(stack, owner, gzip.compress(_bars()), "prices.csv.gz")
    assert (gz.format, gz.rows, gz.path.endswith("data.csv")) == ("csv", 400, True)
    buffer = io.BytesIO()
    pd.read_csv(io.BytesIO(_bars())).to_parquet(buffer)
    pq = await _upload(stack, owner, buffer.getvalue(), "prices.parquet")
    assert (pq.format, pq.rows) == ("parquet", 400)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _upload(stack, owner, b"not gzip at all", "broken.csv.gz")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _leftovers(stack) == []


async def test_platform_file_that_got_worse_raises_a_quality_event(stack: Stack) -> None:
    name = f"drift{uuid.uuid4().hex[:6]}"
    path = stack.data_dir / f"{name}.csv"
    path.write_bytes(_bars())
    listed = await stack.strategies.ListDatasets(
        pb.ListDatasetsRequest(page_size=500), metadata=auth("reader"), timeout=30
    )
    [dataset_id] = [d.dataset_id for d in listed.datasets if d.path.endswith(f"{name}.csv")]
    bus = EventBus(stack.redis_url)
    topic = f"dataset/{dataset_id}"
    try:
        before = await stack.strategies.GetDatasetQuality(
            pb.GetDatasetQualityRequest(dataset_id=dataset_id), metadata=auth("r"), timeout=60
        )
        path.write_bytes(_bars(duplicates=3))  # the file changes for the worse
        after = await stack.strategies.GetDatasetQuality(
            pb.GetDatasetQualityRequest(dataset_id=dataset_id), metadata=auth("r"), timeout=60
        )
        events = await bus.read([topic])
    finally:
        await bus.close()
        path.unlink()
    assert before.quality.status in ("clean", "warnings")
    assert after.quality.status == "blocked"
    assert [e.type for e in events] == ["dataset_quality_dropped"]
    assert events[0].owner_id == ""
    assert events[0].payload["after"]["status"] == "blocked"
    assert "duplicate_rows" in events[0].payload["error_codes"]


_BASE = _bars(n=30)
_EDIT = st.tuples(st.integers(0, len(_BASE)), st.integers(0, 300), st.binary(max_size=60))


async def test_generated_malformed_csvs_are_refused_cleanly_or_imported(stack: Stack) -> None:
    """Hypothesis edits of a valid file (cut, spliced bytes) and random text: every answer is
    a dataset or INVALID_ARGUMENT, never INTERNAL, and nothing half-imported stays behind."""
    owner = f"u-{uuid.uuid4().hex[:6]}"

    def run_examples() -> None:  # sync client on a worker thread; the servers keep the loop
        with grpc.insecure_channel(stack.strategy_addr) as channel:
            stub = strategy_pb2_grpc.StrategyServiceStub(channel)

            @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
            @given(edits=st.lists(_EDIT, max_size=3), text=st.text(max_size=200), raw=st.booleans())
            def one(edits: list[tuple[int, int, bytes]], text: str, raw: bool) -> None:
                body = text.encode() if raw else _BASE
                for at, cut, blob in edits:
                    body = body[:at] + blob + body[at + cut :]
                try:
                    reply = stub.UploadDataset(_parts(body, "gen.csv"), metadata=auth(owner))
                except grpc.RpcError as error:
                    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
                else:
                    assert reply.dataset.quality.status in ("clean", "warnings", "blocked")
                assert _leftovers(stack) == []

            one()

    await asyncio.to_thread(run_examples)
