"""In-process strategy + trainer services against the session's real PostgreSQL, Redis and Ray.

Two trainers share nothing but the servers: ``trainer`` schedules onto Ray, ``queue_only``
asks for more CPUs per job than any cluster has, so its jobs stay QUEUED (fast tests of the API
without Ray jobs).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from support.servers import PostgresHandle
from tm_strategy.config import StrategySettings
from tm_strategy.server import build as build_strategy
from tm_trainer.config import TrainerSettings
from tm_trainer.server import build as build_trainer
from trademaster.api.strategy.v1 import strategy_pb2, strategy_pb2_grpc
from trademaster.api.trainer.v1 import trainer_pb2, trainer_pb2_grpc
from trademaster.config.strategy import default_config
from trademaster.service.auth import issue_token
from trademaster.service.localstack import RayHead
from trademaster.service.quotas import Quota
from trademaster.service.server import ServiceParts, create_server, stop_server

JWT_SECRET = "trainer-tests-secret-0123456789-abcdef"


class State:
    """Short names of ``TrainingJobState`` values."""

    QUEUED = trainer_pb2.TRAINING_JOB_STATE_QUEUED
    RUNNING = trainer_pb2.TRAINING_JOB_STATE_RUNNING
    PAUSED = trainer_pb2.TRAINING_JOB_STATE_PAUSED
    SUCCEEDED = trainer_pb2.TRAINING_JOB_STATE_SUCCEEDED
    FAILED = trainer_pb2.TRAINING_JOB_STATE_FAILED
    CANCELLING = trainer_pb2.TRAINING_JOB_STATE_CANCELLING
    CANCELLED = trainer_pb2.TRAINING_JOB_STATE_CANCELLED


def tiny_dqn_config(dataset_id: str) -> dict[str, Any]:
    """A DQN strategy that trains a few thousand steps in seconds."""
    config = default_config("algorithmic_trading", "dqn")
    config["dataset_id"] = dataset_id
    config["env"].update(num_envs=4, episode_length=64)
    config["agent_params"].update(
        learning_starts=200, buffer_size=5_000, exploration_steps=1_000, hidden_sizes=[32, 32]
    )
    config["training"].update(total_steps=1_600, log_every_steps=200)
    return config


def token(subject: str, *roles: str) -> str:
    return issue_token(JWT_SECRET, subject, roles or ("researcher",))[0]


@dataclass
class Started:
    server: grpc.aio.Server
    port: int
    parts: ServiceParts

    async def stop(self) -> None:
        await stop_server(self.server, 0)
        for callback in self.parts.on_shutdown:
            await callback()


async def start_service(
    settings: Any, service_name: str, build: Callable[[Any], Awaitable[ServiceParts]]
) -> Started:
    parts = await build(settings)
    server, port = await create_server(
        settings,
        service_name=service_name,
        register=parts.register,
        full_service_names=parts.full_service_names,
        public_methods=parts.public_methods,
    )
    return Started(server, port, parts)


@dataclass
class TrainerHarness:
    """A running trainer plus clients; ``as_user`` picks whose token calls carry."""

    settings: TrainerSettings
    trainer: trainer_pb2_grpc.TrainerServiceStub
    strategies: strategy_pb2_grpc.StrategyServiceStub
    dataset_id: str
    channels: list[grpc.aio.Channel] = field(default_factory=list)
    strategy_ids: dict[str, str] = field(default_factory=dict)
    address: str = ""
    """The trainer's ``host:port`` (for services that call it)."""

    @staticmethod
    def auth(subject: str, *roles: str) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {token(subject, *roles)}")]

    async def strategy_for(self, owner: str) -> str:
        """One tiny DQN strategy per owner (created on first use)."""
        if owner not in self.strategy_ids:
            config = struct_pb2.Struct()
            config.update(tiny_dqn_config(self.dataset_id))
            reply = await self.strategies.CreateStrategy(
                strategy_pb2.CreateStrategyRequest(
                    strategy=strategy_pb2.Strategy(
                        name=f"tiny-dqn-{uuid.uuid4().hex[:6]}",
                        task=strategy_pb2.TASK_ALGORITHMIC_TRADING,
                        agent="dqn",
                        dataset_id=self.dataset_id,
                        config=config,
                    )
                ),
                metadata=self.auth(owner),
                timeout=10,
            )
            self.strategy_ids[owner] = reply.strategy.strategy_id
        return self.strategy_ids[owner]

    async def create(
        self, owner: str, roles: tuple[str, ...] = (), **fields: Any
    ) -> trainer_pb2.TrainingJob:
        fields.setdefault("strategy_id", await self.strategy_for(owner))
        reply = await self.trainer.CreateTrainingJob(
            trainer_pb2.CreateTrainingJobRequest(**fields),
            metadata=self.auth(owner, *roles),
            timeout=30,
        )
        return reply.job

    async def get(self, owner: str, job_id: str) -> trainer_pb2.TrainingJob:
        reply = await self.trainer.GetTrainingJob(
            trainer_pb2.GetTrainingJobRequest(job_id=job_id), metadata=self.auth(owner), timeout=10
        )
        return reply.job

    async def wait_for(
        self,
        owner: str,
        job_id: str,
        done: Callable[[trainer_pb2.TrainingJob], bool],
        timeout_s: float = 120.0,
    ) -> trainer_pb2.TrainingJob:
        deadline = time.monotonic() + timeout_s
        while True:
            job = await self.get(owner, job_id)
            if done(job):
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} did not get there in {timeout_s}s: {job}")
            await asyncio.sleep(0.2)

    async def wait_cluster_ready(self, timeout_s: float = 60.0) -> None:
        """A fresh Ray head fills its node table a few seconds after it answers."""
        deadline = time.monotonic() + timeout_s
        while True:
            status = await self.trainer.GetClusterStatus(
                trainer_pb2.GetClusterStatusRequest(), metadata=self.auth("probe"), timeout=10
            )
            if status.cluster_reachable:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"Ray cluster not reachable within {timeout_s}s")
            await asyncio.sleep(0.5)

    async def metrics(self, owner: str, job_id: str) -> list[tuple[int, str, float]]:
        points, token_ = [], ""
        while True:
            reply = await self.trainer.ListJobMetrics(
                trainer_pb2.ListJobMetricsRequest(job_id=job_id, page_token=token_, page_size=100),
                metadata=self.auth(owner),
                timeout=10,
            )
            points += [(m.step, m.name, m.value) for m in reply.metrics]
            token_ = reply.next_page_token
            if not token_:
                return points


@pytest.fixture(scope="module")
async def strategy_service(
    postgres_server: PostgresHandle, tm_session_dir: Path
) -> AsyncIterator[tuple[str, Path]]:
    """The strategy service (own database) and its data dir with the synthetic datasets."""
    name = f"trs_{uuid.uuid4().hex[:8]}"
    data_dir = tm_session_dir / name / "datasets"
    settings = StrategySettings(
        database_url=postgres_server.create_database(name),
        redis_url="redis://127.0.0.1:1/0",
        jwt_secret=JWT_SECRET,
        data_dir=data_dir,
    )
    started = await start_service(settings, "strategy", build_strategy)
    yield f"127.0.0.1:{started.port}", data_dir
    await started.stop()


async def _synthetic_dataset(strategies: strategy_pb2_grpc.StrategyServiceStub) -> str:
    reply = await strategies.ListDatasets(
        strategy_pb2.ListDatasetsRequest(task=strategy_pb2.TASK_ALGORITHMIC_TRADING),
        metadata=TrainerHarness.auth("catalog-reader"),
        timeout=30,
    )
    single = [d for d in reply.datasets if d.synthetic and len(d.assets) == 1]
    assert single, f"no single-asset synthetic dataset in {[d.dataset_id for d in reply.datasets]}"
    return single[0].dataset_id


async def _harness(
    postgres_server: PostgresHandle,
    redis_url: str,
    ray_head: RayHead,
    strategy_service: tuple[str, Path],
    work_dir: Path,
    **overrides: Any,
) -> AsyncIterator[TrainerHarness]:
    strategy_addr, data_dir = strategy_service
    name = f"trt_{uuid.uuid4().hex[:8]}"
    settings = TrainerSettings(
        database_url=postgres_server.create_database(name),
        redis_url=redis_url,
        jwt_secret=JWT_SECRET,
        strategy_addr=strategy_addr,
        ray_address=ray_head.address,
        artifact_dir=work_dir / name / "artifacts",
        scheduler_interval_s=0.2,
        **overrides,
    )
    started = await start_service(settings, "trainer", build_trainer)
    trainer_channel = grpc.aio.insecure_channel(f"127.0.0.1:{started.port}")
    strategy_channel = grpc.aio.insecure_channel(strategy_addr)
    strategies = strategy_pb2_grpc.StrategyServiceStub(strategy_channel)
    harness = TrainerHarness(
        settings=settings,
        trainer=trainer_pb2_grpc.TrainerServiceStub(trainer_channel),
        strategies=strategies,
        dataset_id=await _synthetic_dataset(strategies),
        channels=[trainer_channel, strategy_channel],
        address=f"127.0.0.1:{started.port}",
    )
    await harness.wait_cluster_ready()
    yield harness
    for channel in harness.channels:
        await channel.close()
    await started.stop()


@pytest.fixture(scope="module")
async def trainer(
    postgres_server: PostgresHandle,
    redis_url: str,
    ray_head: RayHead,
    strategy_service: tuple[str, Path],
    tm_session_dir: Path,
) -> AsyncIterator[TrainerHarness]:
    async for harness in _harness(
        postgres_server, redis_url, ray_head, strategy_service, tm_session_dir
    ):
        yield harness


@pytest.fixture(scope="module")
async def queue_only(
    postgres_server: PostgresHandle,
    redis_url: str,
    ray_head: RayHead,
    strategy_service: tuple[str, Path],
    tm_session_dir: Path,
) -> AsyncIterator[TrainerHarness]:
    async for harness in _harness(
        postgres_server,
        redis_url,
        ray_head,
        strategy_service,
        tm_session_dir,
        cpus_per_job=10_000.0,
        max_active_jobs_per_user=2,
    ):
        yield harness


CPU_CAPPED_USER = f"cpu-capped-{uuid.uuid4().hex[:6]}"
"""The one user of ``fair_share`` whose jobs may ask for at most 2 CPUs."""


@pytest.fixture(scope="module")
async def fair_share(
    postgres_server: PostgresHandle,
    redis_url: str,
    ray_head: RayHead,
    strategy_service: tuple[str, Path],
    tm_session_dir: Path,
) -> AsyncIterator[TrainerHarness]:
    """A queue-only trainer with quotas: 2 concurrent jobs (admins 4), run time <= 600 s."""
    async for harness in _harness(
        postgres_server,
        redis_url,
        ray_head,
        strategy_service,
        tm_session_dir,
        cpus_per_job=10_000.0,
        quota_jobs=Quota(default=2, roles={"admin": 4}),
        quota_cpus_per_job=Quota(users={CPU_CAPPED_USER: 2}),
        quota_run_seconds=Quota(default=600),
    ):
        yield harness


@pytest.fixture(scope="module")
async def retry_once(
    postgres_server: PostgresHandle,
    redis_url: str,
    ray_head: RayHead,
    strategy_service: tuple[str, Path],
    tm_session_dir: Path,
) -> AsyncIterator[TrainerHarness]:
    """A trainer on Ray that runs a job at most twice (one retry after a lost worker)."""
    async for harness in _harness(
        postgres_server, redis_url, ray_head, strategy_service, tm_session_dir, max_attempts=2
    ):
        yield harness
