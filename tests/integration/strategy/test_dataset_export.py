"""StrategyService.ExportDataset over real gRPC and PostgreSQL: users' uploads and platform
datasets come back as Parquet or CSV that load to the same bars; owners stay isolated; a bad
format names the field; nothing is left in the scratch folder."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import numpy as np
import pandas as pd
import pytest
from support.servers import PostgresHandle
from tm_strategy.config import StrategySettings
from tm_strategy.server import build as build_strategy
from trademaster.api.strategy.v1 import strategy_pb2 as pb
from trademaster.api.strategy.v1 import strategy_pb2_grpc
from trademaster.data.loaders import load_ohlcv
from trademaster.service.auth import issue_token
from trademaster.service.server import create_server, stop_server

pytestmark = pytest.mark.integration

JWT_SECRET = "export-tests-secret-0123456789-abcdef"


def auth(subject: str, *roles: str) -> list[tuple[str, str]]:
    token = issue_token(JWT_SECRET, subject, roles or ("researcher",))[0]
    return [("authorization", f"Bearer {token}")]


@dataclass
class Served:
    data_dir: Path
    stub: strategy_pb2_grpc.StrategyServiceStub


@pytest.fixture(scope="module")
async def served(
    postgres_server: PostgresHandle, redis_url: str, tm_session_dir: Path
) -> AsyncIterator[Served]:
    name = f"ex_{uuid.uuid4().hex[:8]}"
    data_dir = tm_session_dir / name / "datasets"
    settings = StrategySettings(
        database_url=postgres_server.create_database(name),
        redis_url=redis_url,
        jwt_secret=JWT_SECRET,
        data_dir=data_dir,
        max_upload_bytes=4_000_000,
    )
    parts = await build_strategy(settings)
    server, port = await create_server(
        settings,
        service_name="strategy",
        register=parts.register,
        full_service_names=parts.full_service_names,
        public_methods=parts.public_methods,
    )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield Served(data_dir, strategy_pb2_grpc.StrategyServiceStub(channel))
    await channel.close()
    await stop_server(server, 0)
    for callback in parts.on_shutdown:
        await callback()


def _bars(n: int = 300) -> bytes:
    """Two instruments, aliased column names and a time zone: the export is canonical."""
    rng = np.random.default_rng(3)
    stamps = pd.date_range("2021-03-01 09:00", periods=n, freq="h", tz="America/New_York")
    frames = []
    for k, tic in enumerate(("AAA", "000001")):
        close = 20 * (1 + k) * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
        frames.append(
            pd.DataFrame(
                {
                    "Datetime": stamps.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "Symbol": tic,
                    "Open": close,
                    "High": close * 1.01,
                    "Low": close * 0.98,
                    "Close": close,
                    "Volume": rng.integers(1, 1000, n),
                }
            )
        )
    return pd.concat(frames).to_csv(index=False).encode()


def _parts(data: bytes, filename: str) -> Iterator[pb.UploadDatasetRequest]:
    yield pb.UploadDatasetRequest(metadata=pb.UploadDatasetMetadata(filename=filename))
    for i in range(0, len(data), 100_000):
        yield pb.UploadDatasetRequest(chunk=data[i : i + 100_000])


async def _export(
    served: Served, dataset_id: str, owner: str, fmt: str = "parquet", *roles: str
) -> tuple[list[pb.ExportDatasetResponse], bytes]:
    call = served.stub.ExportDataset(
        pb.ExportDatasetRequest(dataset_id=dataset_id, format=fmt),
        metadata=auth(owner, *roles) if owner else None,
        timeout=60,
    )
    messages = [m async for m in call]
    return messages, b"".join(m.data for m in messages)


def _scratch(served: Served) -> list[Path]:
    folder = served.data_dir / "uploads" / ".exports"
    return sorted(folder.iterdir()) if folder.is_dir() else []


async def test_upload_exports_to_parquet_and_csv_with_the_same_bars(
    served: Served, tmp_path: Path
) -> None:
    owner = f"u-{uuid.uuid4().hex[:6]}"
    data = _bars()
    uploaded = (
        await served.stub.UploadDataset(_parts(data, "mine.csv"), metadata=auth(owner), timeout=60)
    ).dataset
    original = tmp_path / "original.csv"
    original.write_bytes(data)
    expected = load_ohlcv(original)
    assert len(expected) == 600 and set(expected["tic"]) == {"AAA", "000001"}

    messages, body = await _export(served, uploaded.dataset_id, owner)
    assert len(messages) >= 1 and messages[0].size_bytes == len(body)
    assert messages[0].media_type == "application/vnd.apache.parquet"
    assert messages[0].filename == f"{uploaded.dataset_id}.parquet"
    assert all(len(m.data) <= 256 * 1024 for m in messages)
    exported = tmp_path / "x.parquet"
    exported.write_bytes(body)
    frame = pd.read_parquet(exported)
    assert list(frame.columns[:7]) == ["date", "tic", "open", "high", "low", "close", "volume"]
    pd.testing.assert_frame_equal(load_ohlcv(exported), expected)

    _, csv_body = await _export(served, uploaded.dataset_id, owner, "csv")
    as_csv = tmp_path / "x.csv"
    as_csv.write_bytes(csv_body)
    pd.testing.assert_frame_equal(load_ohlcv(as_csv), expected, check_exact=False, rtol=1e-12)
    assert _scratch(served) == []


async def test_parquet_upload_and_platform_dataset_export(served: Served, tmp_path: Path) -> None:
    owner = f"u-{uuid.uuid4().hex[:6]}"
    buffer = io.BytesIO()
    pd.read_csv(io.BytesIO(_bars(50))).to_parquet(buffer)
    uploaded = (
        await served.stub.UploadDataset(
            _parts(buffer.getvalue(), "mine.parquet"), metadata=auth(owner), timeout=60
        )
    ).dataset
    _, body = await _export(served, uploaded.dataset_id, owner, "csv")
    assert body.startswith(b"date,tic,open,high,low,close,volume\n")
    assert len(body.splitlines()) == 101

    listed = await served.stub.ListDatasets(
        pb.ListDatasetsRequest(page_size=500), metadata=auth("reader"), timeout=60
    )
    platform = next(d for d in listed.datasets if not d.owner_id and d.kind == "ohlcv")
    _, body = await _export(served, platform.dataset_id, "reader")
    exported = tmp_path / "platform.parquet"
    exported.write_bytes(body)
    pd.testing.assert_frame_equal(load_ohlcv(exported), load_ohlcv(served.data_dir / platform.path))
    assert _scratch(served) == []


async def test_other_owners_and_bad_formats_are_refused(served: Served) -> None:
    owner, other = f"u-{uuid.uuid4().hex[:6]}", f"u-{uuid.uuid4().hex[:6]}"
    uploaded = (
        await served.stub.UploadDataset(
            _parts(_bars(40), "mine.csv"), metadata=auth(owner), timeout=60
        )
    ).dataset
    for who, dataset_id in ((other, uploaded.dataset_id), (owner, "ds_" + "0" * 32)):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await _export(served, dataset_id, who)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
    _, body = await _export(served, uploaded.dataset_id, "root", "parquet", "admin")
    assert body  # admins reach every owner's dataset
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _export(served, uploaded.dataset_id, owner, "xlsx")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "format" in (err.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _export(served, uploaded.dataset_id, "")
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert _scratch(served) == []
