"""An in-process backtest service on the session's real PostgreSQL and Redis.

Each module gets its own database, artifact dir and strategy service (which resolves every
dataset, over a data dir of synthetic datasets); tests may start a second backtest service on
the same database to check what survives a restart.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from support.servers import PostgresHandle
from tm_backtest.config import BacktestSettings
from tm_backtest.server import build
from tm_strategy.config import StrategySettings
from tm_strategy.server import build as build_strategy
from trademaster.api.backtest.v1 import backtest_pb2 as pb
from trademaster.api.backtest.v1 import backtest_pb2_grpc
from trademaster.data.synthetic import sine_trend, write_synthetic_dataset
from trademaster.service.auth import issue_token
from trademaster.service.events import EventBus
from trademaster.service.server import ServiceParts, create_server, stop_server

JWT_SECRET = "backtest-tests-secret-0123456789-abcdef"
SMALL = "small.csv"
"""300 daily bars of 2 assets from 2020-01-01: runs in well under a second."""
LARGE = "large.csv"
"""20 000 hourly bars of 1 asset: runs for a few seconds (progress, cancel, restart)."""
TERMINAL = frozenset(
    {pb.BACKTEST_STATE_SUCCEEDED, pb.BACKTEST_STATE_FAILED, pb.BACKTEST_STATE_CANCELLED}
)


def token(subject: str, *roles: str) -> str:
    return issue_token(JWT_SECRET, subject, roles or ("researcher",))[0]


def auth(subject: str, *roles: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token(subject, *roles)}")]


def user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


@dataclass
class Service:
    """One running backtest service and a stub on it."""

    server: grpc.aio.Server
    parts: ServiceParts
    channel: grpc.aio.Channel
    stub: backtest_pb2_grpc.BacktestServiceStub

    async def stop(self) -> None:
        await self.channel.close()
        await stop_server(self.server, 0)
        for callback in self.parts.on_shutdown:
            await callback()


@dataclass
class Harness:
    """Settings shared by every service a test starts, plus helpers that call the first one."""

    settings: BacktestSettings
    data_dir: Path
    """The strategy service's data dir: datasets the backtests resolve through it."""
    dataset_ids: dict[str, str]
    bus: EventBus
    services: list[Service] = field(default_factory=list)

    @property
    def stub(self) -> backtest_pb2_grpc.BacktestServiceStub:
        return self.services[0].stub

    async def start(self, **overrides: Any) -> Service:
        """Another service on the same database and dirs (``overrides`` change its settings)."""
        settings = self.settings.model_copy(update=overrides)
        parts = await build(settings)
        server, port = await create_server(
            settings,
            service_name="backtest",
            register=parts.register,
            full_service_names=parts.full_service_names,
            public_methods=parts.public_methods,
        )
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        service = Service(server, parts, channel, backtest_pb2_grpc.BacktestServiceStub(channel))
        self.services.append(service)
        return service

    def spec(self, dataset: str = SMALL, **fields: Any) -> pb.BacktestSpec:
        fields.setdefault("baseline", "buy_and_hold")
        return pb.BacktestSpec(dataset_id=self.dataset_ids[dataset], **fields)

    async def create(
        self,
        owner: str,
        spec: pb.BacktestSpec,
        *,
        stub: backtest_pb2_grpc.BacktestServiceStub | None = None,
        request_id: str = "",
    ) -> pb.Backtest:
        reply = await (stub or self.stub).CreateBacktest(
            pb.CreateBacktestRequest(spec=spec, request_id=request_id),
            metadata=auth(owner),
            timeout=30,
        )
        return reply.backtest

    async def get(
        self,
        owner: str,
        backtest_id: str,
        stub: backtest_pb2_grpc.BacktestServiceStub | None = None,
    ) -> pb.Backtest:
        reply = await (stub or self.stub).GetBacktest(
            pb.GetBacktestRequest(backtest_id=backtest_id), metadata=auth(owner), timeout=10
        )
        return reply.backtest

    async def wait_for(
        self,
        owner: str,
        backtest_id: str,
        done: Callable[[pb.Backtest], bool] = lambda b: b.state in TERMINAL,
        *,
        timeout_s: float = 90.0,
        stub: backtest_pb2_grpc.BacktestServiceStub | None = None,
        seen: list[pb.Backtest] | None = None,
    ) -> pb.Backtest:
        """Poll until ``done``; every polled snapshot is appended to ``seen``."""
        deadline = time.monotonic() + timeout_s
        while True:
            backtest = await self.get(owner, backtest_id, stub)
            if seen is not None:
                seen.append(backtest)
            if done(backtest):
                return backtest
            if time.monotonic() > deadline:
                raise AssertionError(f"backtest {backtest_id} not done in {timeout_s}s: {backtest}")
            await asyncio.sleep(0.05)


def _write_datasets(data_dir: Path) -> None:
    write_synthetic_dataset(data_dir / SMALL, sine_trend(300, 2, seed=3, period=30))
    write_synthetic_dataset(data_dir / LARGE, sine_trend(20_000, 1, seed=4, freq="1h"))


@pytest.fixture(scope="module")
async def strategy_service(
    postgres_server: PostgresHandle, tm_session_dir: Path
) -> AsyncIterator[tuple[str, Path]]:
    """The strategy service that resolves every dataset (own database), over a data dir with
    the synthetic datasets; tests may add files there (the catalog rescans)."""
    name = f"bts_{uuid.uuid4().hex[:8]}"
    data_dir = tm_session_dir / name / "datasets"
    _write_datasets(data_dir)
    settings = StrategySettings(
        database_url=postgres_server.create_database(name),
        redis_url="redis://127.0.0.1:1/0",
        jwt_secret=JWT_SECRET,  # type: ignore[arg-type]
        data_dir=data_dir,
    )
    parts = await build_strategy(settings)
    server, port = await create_server(
        settings,
        service_name="strategy",
        register=parts.register,
        full_service_names=parts.full_service_names,
        public_methods=parts.public_methods,
    )
    yield f"127.0.0.1:{port}", data_dir
    await stop_server(server, 0)
    for callback in parts.on_shutdown:
        await callback()


@pytest.fixture(scope="module")
async def harness(
    postgres_server: PostgresHandle,
    redis_url: str,
    tm_session_dir: Path,
    strategy_service: tuple[str, Path],
) -> AsyncIterator[Harness]:
    name = f"bt_{uuid.uuid4().hex[:8]}"
    strategy_addr, data_dir = strategy_service
    settings = BacktestSettings(
        database_url=postgres_server.create_database(name),
        redis_url=redis_url,
        jwt_secret=JWT_SECRET,  # type: ignore[arg-type]
        strategy_addr=strategy_addr,
        artifact_dir=tm_session_dir / name / "artifacts",
        workers=2,
    )
    h = Harness(
        settings=settings,
        data_dir=data_dir,
        dataset_ids={SMALL: "small.csv", LARGE: "large.csv"},
        bus=EventBus(redis_url),
    )
    await h.start()
    yield h
    for service in reversed(h.services):
        await service.stop()
    await h.bus.close()
