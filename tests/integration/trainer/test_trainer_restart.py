"""Restart safety: the trainer process is killed mid-run (SIGKILL) and started again.

A Ray job that kept running is followed to the end from the persisted stream cursor; a Ray job
that vanished while the trainer was down is resumed from its last checkpoint. Either way no
metric point is recorded twice and none is lost.
"""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import grpc
import pytest
from google.protobuf import struct_pb2
from ray.job_submission import JobSubmissionClient
from support.servers import PostgresHandle
from tm_trainer.ray_cluster import dashboard_url_from_gcs
from trademaster.api.strategy.v1 import strategy_pb2_grpc
from trademaster.api.trainer.v1 import trainer_pb2_grpc
from trademaster.service.localstack import RayHead, ServiceProcess

from .conftest import JWT_SECRET, State, TrainerHarness

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOTAL_STEPS = 12_000
"""Long enough that both jobs are still running when the trainer is killed (~1k steps/s)."""
LOG_EVERY = 200


@pytest.fixture
async def trainer_process(
    postgres_server: PostgresHandle,
    redis_url: str,
    ray_head: RayHead,
    strategy_service: tuple[str, Path],
    tm_session_dir: Path,
) -> AsyncIterator[Callable[[], ServiceProcess]]:
    """Factory of `python -m tm_trainer` processes sharing one database and artifact store."""
    strategy_addr, data_dir = strategy_service
    name = f"trp_{uuid.uuid4().hex[:8]}"
    work = tm_session_dir / name
    env = {
        "TM_TRAINER_DATABASE_URL": postgres_server.create_database(name),
        "TM_TRAINER_REDIS_URL": redis_url,
        "TM_TRAINER_JWT_SECRET": JWT_SECRET,
        "TM_TRAINER_STRATEGY_ADDR": strategy_addr,
        "TM_TRAINER_RAY_ADDRESS": ray_head.address,
        "TM_TRAINER_ARTIFACT_DIR": str(work / "artifacts"),
        "TM_TRAINER_SCHEDULER_INTERVAL_S": "0.2",
        "TM_TRAINER_GRPC_PORT": "0",
    }
    started: list[ServiceProcess] = []

    def start() -> ServiceProcess:
        process = ServiceProcess(
            "trainer",
            {**env, "TM_TRAINER_PORT_FILE": str(work / "trainer.port")},
            work / "trainer.port",
            log_path=work / f"trainer-{len(started)}.log",
        )
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()


def _harness(
    process: ServiceProcess, strategies: strategy_pb2_grpc.StrategyServiceStub, dataset: str
) -> TrainerHarness:
    channel = grpc.aio.insecure_channel(process.address)
    return TrainerHarness(
        settings=None,  # type: ignore[arg-type]
        trainer=trainer_pb2_grpc.TrainerServiceStub(channel),
        strategies=strategies,
        dataset_id=dataset,
        channels=[channel],
    )


async def test_killed_trainer_finishes_running_and_vanished_jobs_after_restart(
    trainer_process: Callable[[], ServiceProcess],
    queue_only: TrainerHarness,
    ray_head: RayHead,
) -> None:
    first = await asyncio.to_thread(trainer_process)
    client = _harness(first, queue_only.strategies, queue_only.dataset_id)
    client.strategy_ids = queue_only.strategy_ids
    overrides = struct_pb2.Struct()
    overrides.update({"training": {"checkpoint_every_steps": 400, "log_every_steps": LOG_EVERY}})
    kept = await client.create("dave", seed=3, total_steps=TOTAL_STEPS, overrides=overrides)
    lost = await client.create("dave", seed=4, total_steps=TOTAL_STEPS, overrides=overrides)
    for job in (kept, lost):
        await client.wait_for(
            "dave",
            job.job_id,
            lambda j: (
                (j.state == State.RUNNING and bool(j.checkpoint_uri))
                or j.state in (State.SUCCEEDED, State.FAILED)
            ),
        )
    for job in (kept, lost):
        now = await client.get("dave", job.job_id)
        assert now.state == State.RUNNING, f"job ended before the kill, make it longer: {now}"

    os.kill(first.pid or 0, signal.SIGKILL)
    await asyncio.to_thread(first.stop)
    for channel in client.channels:
        await channel.close()
    ray_jobs = JobSubmissionClient(dashboard_url_from_gcs(ray_head.address))
    await asyncio.to_thread(ray_jobs.stop_job, f"tm-train-{lost.job_id}-1")
    second = await asyncio.to_thread(trainer_process)
    client = _harness(second, queue_only.strategies, queue_only.dataset_id)
    finished = [
        await client.wait_for(
            "dave",
            job.job_id,
            lambda j: j.state in (State.SUCCEEDED, State.FAILED),
            timeout_s=240,
        )
        for job in (kept, lost)
    ]

    expected_steps = list(range(LOG_EVERY, TOTAL_STEPS + 1, LOG_EVERY))
    for job in finished:
        assert job.state == State.SUCCEEDED, job.failure_reason
        points = await client.metrics("dave", job.job_id)
        assert sorted({step for step, _, _ in points}) == expected_steps
        assert len(points) == len({(step, name) for step, name, _ in points})
    submissions = {j.submission_id for j in await asyncio.to_thread(ray_jobs.list_jobs)}
    assert f"tm-train-{kept.job_id}-2" not in submissions
    assert f"tm-train-{lost.job_id}-2" in submissions
    for channel in client.channels:
        await channel.close()
