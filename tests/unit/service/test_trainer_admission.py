"""Admission of training jobs: quotas read from the environment as JSON, priority rights, the
run-time limit, and the wait reasons the queue shows."""

from __future__ import annotations

import grpc
import pytest
from tm_trainer.admission import admit
from tm_trainer.config import TrainerSettings
from tm_trainer.ray_cluster import ClusterResources
from tm_trainer.supervisor import queue_wait_reason
from trademaster.api.common.v1 import common_pb2
from trademaster.api.trainer.v1 import trainer_pb2
from trademaster.service.auth import Principal, Role
from trademaster.service.errors import DomainError

pytestmark = pytest.mark.unit


def _settings(monkeypatch: pytest.MonkeyPatch) -> TrainerSettings:
    monkeypatch.setenv("TM_TRAINER_QUOTA_JOBS", '{"roles": {"admin": 20}, "users": {"alice": 5}}')
    monkeypatch.setenv("TM_TRAINER_QUOTA_CPUS_PER_JOB", '{"default": 4}')
    monkeypatch.setenv("TM_TRAINER_QUOTA_RUN_SECONDS", '{"default": 3600}')
    return TrainerSettings(
        database_url="postgresql://x/y",
        redis_url="redis://127.0.0.1:1/0",
        jwt_secret="unit-tests-secret-0123456789",
        strategy_addr="127.0.0.1:1",
        ray_address="127.0.0.1:6379",
    )


def _who(subject: str, *roles: Role) -> Principal:
    return Principal(subject=subject, roles=frozenset(roles or (Role.RESEARCHER,)), kind="user")


def _refused(call) -> DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_job_quota_from_the_environment_falls_back_to_max_active_jobs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings(monkeypatch)
    request = trainer_pb2.CreateTrainingJobRequest()

    assert admit(settings, _who("bob"), request).jobs.limit == 3
    assert admit(settings, _who("bob", Role.ADMIN), request).jobs.limit == 20
    assert admit(settings, _who("alice"), request).jobs.source == "user alice"


def test_cpu_quota_and_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch)
    big = trainer_pb2.CreateTrainingJobRequest(resources=common_pb2.Resources(num_cpus=5))
    too_long = trainer_pb2.CreateTrainingJobRequest(time_limit_seconds=3601)

    cpu = _refused(lambda: admit(settings, _who("bob"), big))
    long = _refused(lambda: admit(settings, _who("bob"), too_long))
    default = admit(settings, _who("bob"), trainer_pb2.CreateTrainingJobRequest())
    shorter = admit(
        settings, _who("bob"), trainer_pb2.CreateTrainingJobRequest(time_limit_seconds=60)
    )

    assert cpu.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert cpu.message.startswith("quota: 4 CPUs per job by default (5 asked)")
    assert long.message.startswith(
        "quota: 3600 seconds of run time per job by default (3601 asked)"
    )
    assert (default.time_limit_s, shorter.time_limit_s) == (3600, 60)


def test_priority_above_zero_needs_admin_or_risk_officer(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch)
    high = trainer_pb2.CreateTrainingJobRequest(priority=3)

    denied = _refused(lambda: admit(settings, _who("bob"), high))
    invalid = _refused(
        lambda: admit(
            settings, _who("bob", Role.ADMIN), trainer_pb2.CreateTrainingJobRequest(priority=-11)
        )
    )

    assert denied.code == grpc.StatusCode.PERMISSION_DENIED
    assert invalid.code == grpc.StatusCode.INVALID_ARGUMENT
    assert admit(settings, _who("risk", Role.RISK_OFFICER), high).priority == 3
    low = trainer_pb2.CreateTrainingJobRequest(priority=-2)
    assert admit(settings, _who("bob"), low).priority == -2


def test_wait_reasons_say_what_the_head_job_waits_for() -> None:
    cluster = ClusterResources(cpus=4, gpus=1)

    assert queue_wait_reason(2, 0, 1, 1, cluster) == "waiting for 2 CPUs (1 of 4 free)"
    assert queue_wait_reason(1, 1, 3, 0, cluster) == "waiting for 1 GPU (0 of 1 free)"
    assert (
        queue_wait_reason(8, 0, 4, 1, cluster)
        == "waiting for 8 CPUs: more than the cluster has (4)"
    )
