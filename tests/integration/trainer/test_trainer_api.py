"""TrainerService API rules on a trainer whose jobs never fit the cluster (they stay QUEUED):
validation, ownership, idempotency, the per-user limit and state transitions without Ray."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import grpc
import pytest
from google.protobuf import struct_pb2
from tm_gateway.routes_jobs import TrainingJobCreate
from trademaster.api.common.v1 import common_pb2
from trademaster.api.strategy.v1 import strategy_pb2
from trademaster.api.trainer.v1 import trainer_pb2
from trademaster.config.run import RunSpec
from trademaster.service.errors import error_details

from .conftest import State, TrainerHarness, tiny_dqn_config

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def _struct(data: dict) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(data)
    return out


async def _call_error(coro) -> grpc.aio.AioRpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await coro
    return caught.value


def _user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


async def _cancel_all(harness: TrainerHarness, owner: str) -> None:
    reply = await harness.trainer.ListTrainingJobs(
        trainer_pb2.ListTrainingJobsRequest(), metadata=harness.auth(owner), timeout=10
    )
    for job in reply.jobs:
        await harness.trainer.CancelTrainingJob(
            trainer_pb2.CancelTrainingJobRequest(job_id=job.job_id),
            metadata=harness.auth(owner),
            timeout=10,
        )


async def test_create_returns_a_queued_job_with_the_resolved_request(
    queue_only: TrainerHarness,
) -> None:
    owner = _user()

    job = await queue_only.create(
        owner,
        seed=5,
        total_steps=3_000,
        overrides=_struct({"agent_params": {"learning_rate": 0.0005}}),
    )

    assert job.state == State.QUEUED
    assert job.owner_id == owner
    assert job.strategy_version == 1
    assert job.progress.total_steps == 3_000
    assert job.overrides["agent_params"]["learning_rate"] == 0.0005
    assert job.device == ""
    assert job.create_time.seconds > 0
    await _cancel_all(queue_only, owner)


async def test_same_request_id_returns_the_first_job(queue_only: TrainerHarness) -> None:
    owner = _user()

    first = await queue_only.create(owner, seed=1, request_id="r-1")
    again = await queue_only.create(owner, seed=2, request_id="r-1")
    other = await queue_only.create(owner, seed=1, request_id="r-2")

    assert again.job_id == first.job_id
    assert other.job_id != first.job_id
    await _cancel_all(queue_only, owner)


async def test_bad_inputs_are_invalid_argument_with_field_violations(
    queue_only: TrainerHarness,
) -> None:
    owner = _user()
    strategy_id = await queue_only.strategy_for(owner)

    negative = error_details(
        await _call_error(
            queue_only.create(owner, strategy_id=strategy_id, total_steps=-5, seed=-1)
        )
    )
    bad_override = error_details(
        await _call_error(
            queue_only.create(
                owner, overrides=_struct({"agent_params": {"learning_rate": -1, "bogus": 3}})
            )
        )
    )
    bad_id = error_details(await _call_error(queue_only.create(owner, strategy_id="not-a-uuid")))

    assert negative.code == grpc.StatusCode.INVALID_ARGUMENT
    assert {f for f, _ in negative.field_violations} == {"total_steps", "seed"}
    assert bad_override.code == grpc.StatusCode.INVALID_ARGUMENT
    fields = dict(bad_override.field_violations)
    assert "must be > 0" in fields["overrides.agent_params.learning_rate"]
    assert "overrides.agent_params.bogus" in fields
    assert bad_id.code == grpc.StatusCode.INVALID_ARGUMENT


async def test_unknown_or_foreign_strategy_is_not_found(queue_only: TrainerHarness) -> None:
    alice_strategy = await queue_only.strategy_for(f"alice-{uuid.uuid4().hex[:6]}")

    unknown = error_details(
        await _call_error(queue_only.create(_user(), strategy_id=str(uuid.uuid4())))
    )
    foreign = error_details(
        await _call_error(queue_only.create(_user(), strategy_id=alice_strategy))
    )

    assert unknown.code == grpc.StatusCode.NOT_FOUND
    assert foreign.code == grpc.StatusCode.NOT_FOUND


async def test_gpu_required_on_a_cpu_cluster_is_failed_precondition(
    queue_only: TrainerHarness,
) -> None:
    error = error_details(
        await _call_error(
            queue_only.create(
                _user(), resources=common_pb2.Resources(num_gpus=1, gpu_required=True)
            )
        )
    )

    assert error.code == grpc.StatusCode.FAILED_PRECONDITION
    assert error.reason == "NO_GPU_IN_CLUSTER"
    assert "GPU" in error.message


async def test_active_job_limit_is_resource_exhausted(queue_only: TrainerHarness) -> None:
    owner = _user()
    await queue_only.create(owner)
    paused = await queue_only.create(owner)
    await queue_only.trainer.PauseTrainingJob(
        trainer_pb2.PauseTrainingJobRequest(job_id=paused.job_id),
        metadata=queue_only.auth(owner),
        timeout=10,
    )

    error = error_details(await _call_error(queue_only.create(owner)))
    await _cancel_all(queue_only, owner)
    after_cancel = await queue_only.create(owner)

    assert error.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error.reason == "TOO_MANY_ACTIVE_JOBS"
    assert after_cancel.state == State.QUEUED
    await _cancel_all(queue_only, owner)


async def test_other_users_cannot_see_or_control_a_job(queue_only: TrainerHarness) -> None:
    alice, bob = _user(), _user()
    job = await queue_only.create(alice)
    calls = [
        queue_only.trainer.GetTrainingJob(
            trainer_pb2.GetTrainingJobRequest(job_id=job.job_id), metadata=queue_only.auth(bob)
        ),
        queue_only.trainer.PauseTrainingJob(
            trainer_pb2.PauseTrainingJobRequest(job_id=job.job_id), metadata=queue_only.auth(bob)
        ),
        queue_only.trainer.CancelTrainingJob(
            trainer_pb2.CancelTrainingJobRequest(job_id=job.job_id), metadata=queue_only.auth(bob)
        ),
        queue_only.trainer.ListJobMetrics(
            trainer_pb2.ListJobMetricsRequest(job_id=job.job_id), metadata=queue_only.auth(bob)
        ),
    ]

    codes = [(await _call_error(call)).code() for call in calls]
    listed = await queue_only.trainer.ListTrainingJobs(
        trainer_pb2.ListTrainingJobsRequest(owner_id=alice), metadata=queue_only.auth(bob)
    )
    mine = await queue_only.get(alice, job.job_id)

    assert codes == [grpc.StatusCode.NOT_FOUND] * 4
    assert list(listed.jobs) == []
    assert mine.state == State.QUEUED
    await _cancel_all(queue_only, alice)


async def test_queued_job_pauses_resumes_and_cancels_with_clear_transitions(
    queue_only: TrainerHarness,
) -> None:
    owner = _user()
    job = await queue_only.create(owner)
    auth = queue_only.auth(owner)
    job_ref = {"job_id": job.job_id}

    paused = await queue_only.trainer.PauseTrainingJob(
        trainer_pb2.PauseTrainingJobRequest(**job_ref), metadata=auth
    )
    resumed = await queue_only.trainer.ResumeTrainingJob(
        trainer_pb2.ResumeTrainingJobRequest(**job_ref), metadata=auth
    )
    resume_again = error_details(
        await _call_error(
            queue_only.trainer.ResumeTrainingJob(
                trainer_pb2.ResumeTrainingJobRequest(**job_ref), metadata=auth
            )
        )
    )
    cancelled = await queue_only.trainer.CancelTrainingJob(
        trainer_pb2.CancelTrainingJobRequest(**job_ref), metadata=auth
    )
    cancelled_again = await queue_only.trainer.CancelTrainingJob(
        trainer_pb2.CancelTrainingJobRequest(**job_ref), metadata=auth
    )
    pause_cancelled = error_details(
        await _call_error(
            queue_only.trainer.PauseTrainingJob(
                trainer_pb2.PauseTrainingJobRequest(**job_ref), metadata=auth
            )
        )
    )

    assert paused.job.state == State.PAUSED
    assert resumed.job.state == State.QUEUED
    assert resume_again.code == grpc.StatusCode.FAILED_PRECONDITION
    assert "QUEUED" in resume_again.message
    assert cancelled.job.state == State.CANCELLED
    assert cancelled.job.end_time.seconds > 0
    assert cancelled_again.job.state == State.CANCELLED
    assert pause_cancelled.code == grpc.StatusCode.FAILED_PRECONDITION
    assert pause_cancelled.reason == "INVALID_JOB_STATE"
    # Every reply lists exactly the controls the transition table allows in its state.
    assert list(paused.job.allowed_actions) == [
        common_pb2.JOB_ACTION_RESUME,
        common_pb2.JOB_ACTION_CANCEL,
    ]
    assert list(resumed.job.allowed_actions) == [
        common_pb2.JOB_ACTION_PAUSE,
        common_pb2.JOB_ACTION_CANCEL,
    ]
    assert list(cancelled.job.allowed_actions) == []


async def test_list_is_owner_scoped_paginated_and_filtered_by_state(
    queue_only: TrainerHarness,
) -> None:
    owner = _user()
    first = await queue_only.create(owner)
    second = await queue_only.create(owner)
    auth = queue_only.auth(owner)
    await queue_only.trainer.CancelTrainingJob(
        trainer_pb2.CancelTrainingJobRequest(job_id=first.job_id), metadata=auth
    )

    page1 = await queue_only.trainer.ListTrainingJobs(
        trainer_pb2.ListTrainingJobsRequest(page_size=1), metadata=auth
    )
    page2 = await queue_only.trainer.ListTrainingJobs(
        trainer_pb2.ListTrainingJobsRequest(page_size=1, page_token=page1.next_page_token),
        metadata=auth,
    )
    queued = await queue_only.trainer.ListTrainingJobs(
        trainer_pb2.ListTrainingJobsRequest(states=[State.QUEUED]), metadata=auth
    )
    bad_token = error_details(
        await _call_error(
            queue_only.trainer.ListTrainingJobs(
                trainer_pb2.ListTrainingJobsRequest(page_token="garbage"), metadata=auth
            )
        )
    )

    assert [j.job_id for j in page1.jobs] == [second.job_id]
    assert [j.job_id for j in page2.jobs] == [first.job_id]
    assert page2.next_page_token == ""
    assert [j.job_id for j in queued.jobs] == [second.job_id]
    assert bad_token.code == grpc.StatusCode.INVALID_ARGUMENT
    await _cancel_all(queue_only, owner)


async def test_cluster_status_reports_ray_capacity_and_queue(queue_only: TrainerHarness) -> None:
    owner = _user()
    await queue_only.create(owner)

    status = await queue_only.trainer.GetClusterStatus(
        trainer_pb2.GetClusterStatusRequest(), metadata=queue_only.auth(owner)
    )

    assert status.cluster_reachable
    assert status.cpus_total >= 1
    assert status.gpus_total == 0
    assert status.queued_jobs >= 1
    await _cancel_all(queue_only, owner)


async def test_viewer_cannot_create_jobs(queue_only: TrainerHarness) -> None:
    from .conftest import token

    strategy_id = await queue_only.strategy_for(_user())
    error = await _call_error(
        queue_only.trainer.CreateTrainingJob(
            trainer_pb2.CreateTrainingJobRequest(strategy_id=strategy_id),
            metadata=[("authorization", f"Bearer {token('v', 'viewer')}")],
        )
    )

    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


async def _strategy_with_seed(harness: TrainerHarness, owner: str, seed: int) -> str:
    config = tiny_dqn_config(harness.dataset_id)
    config["training"]["seed"] = seed
    reply = await harness.strategies.CreateStrategy(
        strategy_pb2.CreateStrategyRequest(
            strategy=strategy_pb2.Strategy(
                name=f"seeded-{uuid.uuid4().hex[:6]}",
                task=strategy_pb2.TASK_ALGORITHMIC_TRADING,
                agent="dqn",
                dataset_id=harness.dataset_id,
                config=_struct(config),
            )
        ),
        metadata=harness.auth(owner),
        timeout=10,
    )
    return reply.strategy.strategy_id


async def test_the_stored_run_spec_is_the_one_config_and_honours_the_strategy_seed(
    queue_only: TrainerHarness,
) -> None:
    owner = _user()
    strategy_id = await _strategy_with_seed(queue_only, owner, 4242)

    from_strategy = await queue_only.create(owner, strategy_id=strategy_id)
    from_request = await queue_only.create(owner, strategy_id=strategy_id, seed=5)
    fetched = await queue_only.get(owner, from_strategy.job_id)

    spec = RunSpec.model_validate_json(fetched.run_spec_json)
    assert spec.seed == 4242
    assert RunSpec.model_validate_json(from_request.run_spec_json).seed == 5
    assert spec.total_steps == fetched.progress.total_steps == 1_600
    assert isinstance(json.loads(fetched.run_spec_json)["strategy"]["training"]["seed"], int)
    assert spec.dataset.dataset_id == spec.strategy.dataset_id == queue_only.dataset_id
    assert spec.dataset.uri.startswith("file://") and spec.dataset.content_hash
    await _cancel_all(queue_only, owner)


async def test_the_documented_overrides_example_is_accepted(queue_only: TrainerHarness) -> None:
    """The example the HTTP API documents (and trainer.proto repeats) is what the server takes."""
    owner = _user()
    (example,) = TrainingJobCreate.model_fields["overrides"].examples or [None]
    assert example is not None

    job = await queue_only.create(owner, overrides=_struct(example))

    spec = RunSpec.model_validate_json(job.run_spec_json)
    assert spec.strategy.agent_params.learning_rate == example["agent_params"]["learning_rate"]  # type: ignore[union-attr]
    assert spec.seed == example["training"]["seed"]
    proto = (ROOT / "protos/trademaster/api/trainer/v1/trainer.proto").read_text()
    assert '{"agent_params": {"learning_rate": 0.001}' in proto
    assert '"agent": {"lr"' not in proto
    await _cancel_all(queue_only, owner)
