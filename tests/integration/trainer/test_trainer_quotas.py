"""Fair sharing on a real trainer: concurrent-job and per-job quotas refused with
RESOURCE_EXHAUSTED naming the quota, priorities ordering the queue, each queued job's position and
why it waits, the admin view of use by user, and the run-time limit of a job on Ray."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from ray.job_submission import JobSubmissionClient
from trademaster.api.common.v1 import common_pb2
from trademaster.api.trainer.v1 import trainer_pb2
from trademaster.service.errors import error_details

from .conftest import CPU_CAPPED_USER, State, TrainerHarness
from .test_trainer_ray_jobs import trainer_dashboard

pytestmark = pytest.mark.integration


def _user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


async def _refusal(coro) -> grpc.aio.AioRpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await coro
    return caught.value


async def _cancel_all(harness: TrainerHarness, *owners: str) -> None:
    for owner in owners:
        reply = await harness.trainer.ListTrainingJobs(
            trainer_pb2.ListTrainingJobsRequest(), metadata=harness.auth(owner), timeout=10
        )
        for job in reply.jobs:
            await harness.trainer.CancelTrainingJob(
                trainer_pb2.CancelTrainingJobRequest(job_id=job.job_id),
                metadata=harness.auth(owner),
                timeout=10,
            )


async def test_concurrent_creates_never_pass_the_job_quota(fair_share: TrainerHarness) -> None:
    owner = _user()
    await fair_share.strategy_for(owner)

    results = await asyncio.gather(
        *(fair_share.create(owner) for _ in range(6)), return_exceptions=True
    )

    created = [r for r in results if isinstance(r, trainer_pb2.TrainingJob)]
    refused = [error_details(r) for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(created) == 2, results
    assert len(refused) == 4, results
    for error in refused:
        assert error.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert error.reason == "TOO_MANY_ACTIVE_JOBS"
        assert error.message.startswith("quota: 2 concurrent training jobs by default (2 in use)")
        assert error.metadata["limit"] == "2"
    await _cancel_all(fair_share, owner)
    assert (await fair_share.create(owner)).state == State.QUEUED
    await _cancel_all(fair_share, owner)


async def test_role_quota_lets_an_admin_queue_more(fair_share: TrainerHarness) -> None:
    admin = _user()
    for _ in range(4):
        await fair_share.create(admin, roles=("admin",))

    error = error_details(await _refusal(fair_share.create(admin, roles=("admin",))))

    assert error.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "quota: 4 concurrent training jobs for role admin (4 in use)" in error.message
    await _cancel_all(fair_share, admin)


async def test_per_job_cpu_and_run_time_quotas(fair_share: TrainerHarness) -> None:
    other = _user()
    too_many_cpus = fair_share.create(CPU_CAPPED_USER, resources=common_pb2.Resources(num_cpus=3))
    too_long = fair_share.create(other, time_limit_seconds=601)

    cpu_error = error_details(await _refusal(too_many_cpus))
    time_error = error_details(await _refusal(too_long))
    uncapped = await fair_share.create(other, resources=common_pb2.Resources(num_cpus=5000))
    shorter = await fair_share.create(other, time_limit_seconds=30)

    assert cpu_error.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert cpu_error.reason == "QUOTA_EXCEEDED"
    assert cpu_error.message.startswith(
        f"quota: 2 CPUs per job for user {CPU_CAPPED_USER} (3 asked)"
    )
    assert time_error.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert time_error.message.startswith("quota: 600 seconds of run time per job by default")
    assert uncapped.time_limit_seconds == 600  # the quota is the default limit
    assert shorter.time_limit_seconds == 30
    await _cancel_all(fair_share, other)


async def test_priority_orders_the_queue_and_each_job_says_why_it_waits(
    fair_share: TrainerHarness,
) -> None:
    first, low, later, admin = _user(), _user(), _user(), _user()
    denied = error_details(await _refusal(fair_share.create(first, priority=1)))
    invalid = error_details(await _refusal(fair_share.create(first, priority=11)))
    a = await fair_share.create(first)
    c = await fair_share.create(low, priority=-1)
    b = await fair_share.create(admin, roles=("admin",), priority=5)
    d = await fair_share.create(later)

    head = await fair_share.wait_for(admin, b.job_id, lambda j: bool(j.wait_reason), 30)
    jobs = {
        j.job_id: await fair_share.get(o, j.job_id)
        for o, j in ((first, a), (low, c), (admin, b), (later, d))
    }
    positions = {job_id: job.queue_position for job_id, job in jobs.items()}

    assert denied.code == grpc.StatusCode.PERMISSION_DENIED
    assert denied.reason == "PRIORITY_NOT_ALLOWED"
    assert invalid.code == grpc.StatusCode.INVALID_ARGUMENT
    assert positions[b.job_id] < positions[a.job_id] < positions[d.job_id] < positions[c.job_id]
    assert head.priority == 5
    assert head.wait_reason.startswith("waiting for 10000 CPUs: more than the cluster has")
    for job in jobs.values():
        if job.queue_position > 1:
            ahead = job.queue_position - 1
            assert job.wait_reason == f"{ahead} job{'s' if ahead > 1 else ''} ahead"
    await _cancel_all(fair_share, first, low, later, admin)
    cancelled = await fair_share.get(first, a.job_id)
    assert (cancelled.queue_position, cancelled.wait_reason) == (0, "")


async def test_cluster_status_shows_use_by_user_to_admins_only(
    fair_share: TrainerHarness,
) -> None:
    alice, bob = _user(), _user()
    await fair_share.create(alice)
    await fair_share.create(alice)
    await fair_share.create(bob)

    def rows(reply: trainer_pb2.GetClusterStatusResponse) -> dict[str, tuple[int, int]]:
        return {u.owner_id: (u.queued_jobs, u.active_jobs) for u in reply.users}

    as_admin = await fair_share.trainer.GetClusterStatus(
        trainer_pb2.GetClusterStatusRequest(), metadata=fair_share.auth("ops", "admin"), timeout=10
    )
    as_bob = await fair_share.trainer.GetClusterStatus(
        trainer_pb2.GetClusterStatusRequest(), metadata=fair_share.auth(bob), timeout=10
    )

    assert rows(as_admin)[alice] == (2, 2)
    assert rows(as_admin)[bob] == (1, 1)
    assert rows(as_bob) == {bob: (1, 1)}
    await _cancel_all(fair_share, alice, bob)


async def test_job_over_its_time_limit_ends_failed_and_leaves_ray(trainer: TrainerHarness) -> None:
    owner = _user()
    job = await trainer.create(owner, total_steps=5_000_000, time_limit_seconds=4)

    running = await trainer.wait_for(owner, job.job_id, lambda j: j.state != State.QUEUED, 60)
    failed = await trainer.wait_for(owner, job.job_id, lambda j: j.state == State.FAILED, 90)

    assert running.time_limit_seconds == 4
    assert failed.failure_reason.startswith("time limit: ran ")
    assert failed.failure_reason.endswith("limit 4s")
    client = JobSubmissionClient(trainer_dashboard(trainer))
    for _ in range(60):  # Ray marks a stopped job terminal shortly after the stop
        ours = [
            j
            for j in await asyncio.to_thread(client.list_jobs)
            if (j.submission_id or "").startswith(f"tm-train-{job.job_id}")
        ]
        if ours and all(j.status.is_terminal() for j in ours):
            break
        await asyncio.sleep(0.5)
    assert ours
    assert all(j.status.is_terminal() for j in ours), [j.status for j in ours]
