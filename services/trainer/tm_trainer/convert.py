"""Stored training jobs as API messages (jobs, metrics, states, resources, run records)."""

from __future__ import annotations

import math
from typing import Any

from trademaster.api.common.v1 import common_pb2
from trademaster.api.trainer.v1 import trainer_pb2
from trademaster.service.lifecycle import TRAINING_JOB
from trademaster.service.structs import dict_to_struct, timestamp_of

from tm_trainer.store import JobRecord, MetricRow

_STATE_PREFIX = "TRAINING_JOB_STATE_"


def state_enum(state: str) -> int:
    return trainer_pb2.TrainingJobState.Value(f"{_STATE_PREFIX}{state}")


def state_name(value: int) -> str:
    return trainer_pb2.TrainingJobState.Name(value).removeprefix(_STATE_PREFIX)


def resources_message(data: dict[str, Any] | None) -> common_pb2.Resources | None:
    if data is None:
        return None
    return common_pb2.Resources(
        num_cpus=int(round(float(data.get("num_cpus", 0)))),
        num_gpus=int(round(float(data.get("num_gpus", 0)))),
        gpu_required=bool(data.get("gpu_required", False)),
    )


def run_record_message(data: dict[str, Any] | None) -> trainer_pb2.RunRecord | None:
    if not data:
        return None
    return trainer_pb2.RunRecord(
        seed=int(data.get("seed", 0)),
        config_hash=str(data.get("config_hash") or ""),
        dataset_hash=str(data.get("dataset_hash") or ""),
        library_versions={k: str(v) for k, v in (data.get("versions") or {}).items() if v},
        git_revision=str(data.get("git_revision") or ""),
        resource_usage={
            str(k): float(v)
            for k, v in (data.get("resource_usage") or {}).items()
            if isinstance(v, int | float) and math.isfinite(v)
        },
    )


def job_message(job: JobRecord) -> trainer_pb2.TrainingJob:
    total_steps = job.run_spec.total_steps
    total = max(total_steps, 1)
    return trainer_pb2.TrainingJob(
        job_id=str(job.id),
        owner_id=job.owner,
        strategy_id=str(job.strategy_id),
        strategy_version=job.strategy_version,
        state=state_enum(job.state),  # type: ignore[arg-type]
        failure_reason=job.failure_reason,
        progress=trainer_pb2.TrainingJobProgress(
            step=job.progress_step,
            total_steps=total_steps,
            fraction=min(1.0, job.progress_step / total),
            episodic_return=job.episodic_return,
            sps=job.sps,
        ),
        overrides=dict_to_struct(job.overrides),
        requested_resources=resources_message(job.requested_resources),
        assigned_resources=resources_message(job.assigned_resources),
        device=job.device,
        final_metrics=job.final_metrics,
        run_record=run_record_message(job.run_record),
        checkpoint_uri=job.checkpoint_uri,
        model_uri=job.model_uri,
        create_time=timestamp_of(job.created_at),
        start_time=timestamp_of(job.started_at),
        end_time=timestamp_of(job.ended_at),
        update_time=timestamp_of(job.updated_at),
        allowed_actions=TRAINING_JOB.action_values(job.state),  # type: ignore[arg-type]
        run_spec_json=job.run_spec.model_dump_json(),
        queue_position=job.queue_position,
        wait_reason=wait_reason(job),
        priority=job.priority,
        time_limit_seconds=job.time_limit_s,
    )


def wait_reason(job: JobRecord) -> str:
    """Why a queued job waits: the scheduler's reason at the head, the jobs ahead behind it."""
    if job.queue_position <= 0:
        return ""
    if job.queue_position == 1:
        return job.wait_reason or "next to start"
    ahead = job.queue_position - 1
    return f"{ahead} job{'s' if ahead > 1 else ''} ahead"


def metric_message(row: MetricRow) -> common_pb2.MetricPoint:
    return common_pb2.MetricPoint(
        name=row.name, step=row.step, value=row.value, time=timestamp_of(row.recorded_at)
    )
