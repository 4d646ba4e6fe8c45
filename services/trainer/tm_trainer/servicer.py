"""TrainerService: validate and authorize requests, then store state changes; the supervisor
does the cluster work in the background."""

from __future__ import annotations

import asyncio
import copy
import logging
import secrets
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import redis.asyncio as aioredis
from google.protobuf import struct_pb2, timestamp_pb2
from trademaster.api.common.v1 import common_pb2
from trademaster.api.strategy.v1 import strategy_pb2, strategy_pb2_grpc
from trademaster.api.trainer.v1 import trainer_pb2, trainer_pb2_grpc
from trademaster.config.strategy import validate_strategy_config
from trademaster.service.auth import Principal, current_principal
from trademaster.service.authz import Action, Grant, Resource, authorize
from trademaster.service.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unavailable,
)
from trademaster.service.ids import parse_uuid
from trademaster.service.structs import struct_to_dict
from trademaster.training.jobrunner_events import control_key

from tm_trainer.config import TrainerSettings
from tm_trainer.ray_cluster import ClusterUnavailable, RayCluster
from tm_trainer.store import (
    CANCELLED,
    CANCELLING,
    PAUSED,
    QUEUED,
    RUNNING,
    JobRecord,
    JobStore,
    MetricRow,
    NewJob,
    TooManyActiveJobs,
)
from tm_trainer.supervisor import JobEvents, JobSupervisor

_LOGGER = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
DEFAULT_METRICS_PAGE_SIZE = 1000
MAX_METRICS_PAGE_SIZE = 10_000
MAX_REQUEST_ID_LENGTH = 128
STRATEGY_TIMEOUT_S = 10.0
_STATE_PREFIX = "TRAINING_JOB_STATE_"
Violations = list[tuple[str, str]]


def state_enum(state: str) -> int:
    return trainer_pb2.TrainingJobState.Value(f"{_STATE_PREFIX}{state}")


def state_name(value: int) -> str:
    return trainer_pb2.TrainingJobState.Name(value).removeprefix(_STATE_PREFIX)


def _timestamp(value: Any) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _struct(data: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(data)
    return out


def _resources(data: dict[str, Any] | None) -> common_pb2.Resources | None:
    if data is None:
        return None
    return common_pb2.Resources(
        num_cpus=int(round(float(data.get("num_cpus", 0)))),
        num_gpus=int(round(float(data.get("num_gpus", 0)))),
        gpu_required=bool(data.get("gpu_required", False)),
    )


def _run_record(data: dict[str, Any] | None) -> trainer_pb2.RunRecord | None:
    if not data:
        return None
    return trainer_pb2.RunRecord(
        seed=int(data.get("seed", 0)),
        config_hash=str(data.get("config_hash") or ""),
        dataset_hash=str(data.get("dataset_hash") or ""),
        library_versions={k: str(v) for k, v in (data.get("versions") or {}).items() if v},
        git_revision=str(data.get("git_revision") or ""),
    )


def job_message(job: JobRecord) -> trainer_pb2.TrainingJob:
    total = max(job.total_steps, 1)
    return trainer_pb2.TrainingJob(
        job_id=str(job.id),
        owner_id=job.owner,
        strategy_id=str(job.strategy_id),
        strategy_version=job.strategy_version,
        state=state_enum(job.state),  # type: ignore[arg-type]
        failure_reason=job.failure_reason,
        progress=trainer_pb2.TrainingJobProgress(
            step=job.progress_step,
            total_steps=job.total_steps,
            fraction=min(1.0, job.progress_step / total),
            episodic_return=job.episodic_return,
            sps=job.sps,
        ),
        overrides=_struct(job.overrides),
        requested_resources=_resources(job.requested_resources),
        assigned_resources=_resources(job.assigned_resources),
        device=job.device,
        final_metrics=job.final_metrics,
        run_record=_run_record(job.run_record),
        checkpoint_uri=job.checkpoint_uri,
        model_uri=job.model_uri,
        create_time=_timestamp(job.created_at),
        start_time=_timestamp(job.started_at),
        end_time=_timestamp(job.ended_at),
        update_time=_timestamp(job.updated_at),
    )


def metric_message(row: MetricRow) -> common_pb2.MetricPoint:
    return common_pb2.MetricPoint(
        name=row.name, step=row.step, value=row.value, time=_timestamp(row.recorded_at)
    )


def deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``overrides`` merged into a copy of ``base``: objects merge, other values replace."""
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _page_size(value: int, default: int, maximum: int) -> int:
    if value < 0:
        raise InvalidArgument(
            f"page_size must be >= 0, was {value}", [("page_size", f"must be >= 0, was {value}")]
        )
    return min(value or default, maximum)


def _not_found(job_id: uuid.UUID | str) -> NotFound:
    return NotFound(f"training job {job_id} not found", reason="TRAINING_JOB_NOT_FOUND")


def _bad_transition(job: JobRecord, action: str, allowed: tuple[str, ...]) -> FailedPrecondition:
    return FailedPrecondition(
        f"cannot {action} training job {job.id} in state {job.state}; "
        f"only jobs in {', '.join(allowed)} can be {action}d",
        reason="INVALID_JOB_STATE",
        metadata={"state": job.state},
    )


def _authorization(context: grpc.aio.ServicerContext) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == "authorization":
            return value if isinstance(value, str) else value.decode()
    return ""


class TrainerServicer(trainer_pb2_grpc.TrainerServiceServicer):
    """Owner-scoped training jobs on the Ray cluster."""

    def __init__(
        self,
        settings: TrainerSettings,
        store: JobStore,
        strategies: strategy_pb2_grpc.StrategyServiceStub,
        cluster: RayCluster,
        redis: aioredis.Redis,
        supervisor: JobSupervisor,
        principal: Callable[[], Principal] = current_principal,
    ) -> None:
        self._settings = settings
        self._store = store
        self._strategies = strategies
        self._cluster = cluster
        self._redis = redis
        self._supervisor = supervisor
        self._events: JobEvents = supervisor.events
        self._principal = principal

    def _require(self, resource: Resource, action: Action) -> Grant:
        return authorize(self._principal(), resource, action)

    async def _job(self, job_id: str, principal: Grant) -> JobRecord:
        parsed = parse_uuid(job_id, "job_id")
        job = await self._store.get(parsed, principal.owner_scope)
        if job is None:
            raise _not_found(parsed)
        return job

    # -- create ----------------------------------------------------------------------------------

    async def CreateTrainingJob(
        self, request: trainer_pb2.CreateTrainingJobRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.CreateTrainingJobResponse:
        principal = self._require(Resource.TRAINING_JOB, Action.CREATE)
        strategy_id = parse_uuid(request.strategy_id, "strategy_id")
        violations: Violations = []
        if request.strategy_version < 0:
            violations.append(("strategy_version", f"must be >= 0, was {request.strategy_version}"))
        if request.total_steps < 0:
            violations.append(("total_steps", f"must be >= 0, was {request.total_steps}"))
        if request.seed < 0:
            violations.append(("seed", f"must be >= 0, was {request.seed}"))
        if len(request.request_id) > MAX_REQUEST_ID_LENGTH:
            violations.append(("request_id", f"must be at most {MAX_REQUEST_ID_LENGTH} characters"))
        res = request.resources
        if res.num_cpus < 0:
            violations.append(("resources.num_cpus", f"must be >= 0, was {res.num_cpus}"))
        if res.num_gpus < 0:
            violations.append(("resources.num_gpus", f"must be >= 0, was {res.num_gpus}"))
        if res.gpu_required and res.num_gpus == 0:
            violations.append(("resources.num_gpus", "must be >= 1 when gpu_required is set"))
        _raise_if(violations, "request")

        strategy = await self._fetch_strategy(context, strategy_id, request.strategy_version)
        overrides = struct_to_dict(request.overrides)
        task = strategy_pb2.Task.Name(strategy.task).removeprefix("TASK_").lower()
        config = deep_merge(struct_to_dict(strategy.config), overrides)
        training = config.setdefault("training", {})
        if not isinstance(training, dict):
            raise InvalidArgument(
                "overrides.training must be an object",
                [("overrides.training", f"must be an object, was {type(training).__name__}")],
            )
        if request.total_steps:
            training["total_steps"] = request.total_steps
        seed = request.seed or int(overrides.get("training", {}).get("seed", 0) or 0)
        training["seed"] = seed or secrets.randbelow(2**31 - 1) + 1
        config_violations = [
            (f"overrides.{v.field}" if v.field else "overrides", v.description)
            for v in validate_strategy_config(task, strategy.agent, config)
        ]
        _raise_if(config_violations, "overrides")
        dataset_path, dataset_hash = await self._dataset(context, config, strategy)
        if res.gpu_required:
            await self._require_gpu()
        new = NewJob(
            owner=principal.subject,
            strategy_id=strategy_id,
            strategy_version=strategy.version,
            config=config,
            overrides=overrides,
            seed=int(training["seed"]),
            total_steps=int(training.get("total_steps", 0)) or 100_000,
            dataset_path=dataset_path,
            dataset_hash=dataset_hash,
            requested_resources={
                "num_cpus": res.num_cpus,
                "num_gpus": res.num_gpus,
                "gpu_required": res.gpu_required,
            },
            request_id=request.request_id or None,
        )
        try:
            job, created = await self._store.create(
                new, max_active=self._settings.max_active_jobs_per_user
            )
        except TooManyActiveJobs as error:
            raise ResourceExhausted(
                f"{error}; wait for a job to finish or cancel one",
                reason="TOO_MANY_ACTIVE_JOBS",
                metadata={"limit": str(error.limit)},
            ) from error
        if created:
            _LOGGER.info("trainer.job_created job.id=%s owner=%s", job.id, job.owner)
            await self._events.state_changed(job, "", QUEUED, "created")
            self._supervisor.remember_trace(str(job.id))
            self._supervisor.wake()
        return trainer_pb2.CreateTrainingJobResponse(job=job_message(job))

    async def _fetch_strategy(
        self, context: grpc.aio.ServicerContext, strategy_id: uuid.UUID, version: int
    ) -> strategy_pb2.Strategy:
        """The strategy as the CALLER may see it: their token goes along."""
        metadata = [("authorization", _authorization(context))]
        try:
            reply = await self._strategies.GetStrategy(
                strategy_pb2.GetStrategyRequest(strategy_id=str(strategy_id), version=version),
                metadata=metadata,
                timeout=STRATEGY_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as error:
            raise self._strategy_error(error, f"strategy {strategy_id}") from error
        return reply.strategy

    def _strategy_error(self, error: grpc.aio.AioRpcError, what: str) -> Exception:
        code = error.code()
        if code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
            return NotFound(f"{what} not found", reason="STRATEGY_NOT_FOUND")
        if code == grpc.StatusCode.PERMISSION_DENIED:
            return PermissionDenied(error.details() or f"{what}: permission denied")
        _LOGGER.warning("trainer.strategy_call_failed code=%s details=%s", code, error.details())
        return Unavailable(f"strategy service could not answer for {what}: {code.name}")

    async def _dataset(
        self,
        context: grpc.aio.ServicerContext,
        config: dict[str, Any],
        strategy: strategy_pb2.Strategy,
    ) -> tuple[str, str]:
        dataset_id = str(config.get("dataset_id") or strategy.dataset_id or "")
        if not dataset_id:
            raise FailedPrecondition(
                f"strategy {strategy.strategy_id} names no dataset; set dataset_id",
                reason="DATASET_MISSING",
            )
        try:
            reply = await self._strategies.GetDataset(
                strategy_pb2.GetDatasetRequest(dataset_id=dataset_id),
                metadata=[("authorization", _authorization(context))],
                timeout=STRATEGY_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                raise FailedPrecondition(
                    f"dataset {dataset_id!r} of strategy {strategy.strategy_id} is not in the "
                    "catalog",
                    reason="DATASET_NOT_FOUND",
                ) from error
            raise self._strategy_error(error, f"dataset {dataset_id!r}") from error
        roots = self._settings.dataset_roots()
        relative = Path(reply.dataset.path)
        for root in roots:
            candidate = (root / relative).absolute()
            if candidate.exists():
                return str(candidate), reply.dataset.content_hash
        raise FailedPrecondition(
            f"dataset {dataset_id!r} ({relative}) is not under any trainer data root "
            f"{[str(r) for r in roots]}",
            reason="DATASET_UNREACHABLE",
        )

    async def _require_gpu(self) -> None:
        try:
            capacity = await asyncio.to_thread(self._cluster.resources)
        except ClusterUnavailable as error:
            raise Unavailable(f"cannot check the cluster for GPUs: {error}") from error
        if capacity.gpus <= 0:
            raise FailedPrecondition(
                "the job requires a GPU (resources.gpu_required) but the Ray cluster has none "
                f"({capacity.cpus:g} CPUs, 0 GPUs); drop gpu_required to train on CPU",
                reason="NO_GPU_IN_CLUSTER",
            )

    # -- read ------------------------------------------------------------------------------------

    async def GetTrainingJob(
        self, request: trainer_pb2.GetTrainingJobRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.GetTrainingJobResponse:
        principal = self._require(Resource.TRAINING_JOB, Action.READ)
        job = await self._job(request.job_id, principal)
        return trainer_pb2.GetTrainingJobResponse(job=job_message(job))

    async def ListTrainingJobs(
        self, request: trainer_pb2.ListTrainingJobsRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.ListTrainingJobsResponse:
        principal = self._require(Resource.TRAINING_JOB, Action.READ)
        page_size = _page_size(request.page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        scope = principal.owner_scope
        owner = request.owner_id or scope
        if scope is not None and owner != scope:
            # Other users' jobs are invisible, not forbidden: an empty page leaks nothing.
            return trainer_pb2.ListTrainingJobsResponse()
        bad = [
            s for s in request.states if s == 0 or s not in trainer_pb2.TrainingJobState.values()
        ]
        if bad:
            raise InvalidArgument(
                f"states must be set TrainingJobState values, had {bad}",
                [("states", f"unknown or unspecified state {s}") for s in bad],
            )
        strategy_id = (
            parse_uuid(request.strategy_id, "strategy_id") if request.strategy_id else None
        )
        jobs, token = await self._store.list_jobs(
            owner,
            page_size,
            request.page_token,
            [state_name(s) for s in request.states],
            strategy_id,
        )
        return trainer_pb2.ListTrainingJobsResponse(
            jobs=[job_message(j) for j in jobs], next_page_token=token
        )

    async def ListJobMetrics(
        self, request: trainer_pb2.ListJobMetricsRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.ListJobMetricsResponse:
        principal = self._require(Resource.TRAINING_JOB, Action.READ)
        job = await self._job(request.job_id, principal)
        page_size = _page_size(request.page_size, DEFAULT_METRICS_PAGE_SIZE, MAX_METRICS_PAGE_SIZE)
        rows, token = await self._store.list_metrics(
            job.id, list(request.names), request.start_step, page_size, request.page_token
        )
        return trainer_pb2.ListJobMetricsResponse(
            metrics=[metric_message(r) for r in rows], next_page_token=token
        )

    async def GetClusterStatus(
        self, request: trainer_pb2.GetClusterStatusRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.GetClusterStatusResponse:
        self._require(Resource.CLUSTER, Action.READ)
        counts = await self._store.count_by_state()
        reply = trainer_pb2.GetClusterStatusResponse(
            queued_jobs=counts.get(QUEUED, 0), running_jobs=counts.get(RUNNING, 0)
        )
        try:
            capacity = await asyncio.to_thread(self._cluster.resources)
        except ClusterUnavailable as error:
            _LOGGER.warning("trainer.cluster_unreachable error=%s", error)
            return reply
        used_cpus = used_gpus = 0.0
        for job in await self._store.in_states((RUNNING, CANCELLING)):
            used_cpus += float((job.assigned_resources or {}).get("num_cpus", 0))
            used_gpus += float((job.assigned_resources or {}).get("num_gpus", 0))
        reply.cluster_reachable = True
        reply.cpus_total = capacity.cpus
        reply.gpus_total = capacity.gpus
        reply.cpus_available = max(0.0, capacity.cpus - used_cpus)
        reply.gpus_available = max(0.0, capacity.gpus - used_gpus)
        return reply

    # -- control ---------------------------------------------------------------------------------

    async def PauseTrainingJob(
        self, request: trainer_pb2.PauseTrainingJobRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.PauseTrainingJobResponse:
        principal = self._require(Resource.TRAINING_JOB, Action.CONTROL)
        job = await self._job(request.job_id, principal)
        if job.state == QUEUED:
            paused = await self._store.transition(job.id, [QUEUED], PAUSED)
            if paused is not None:
                await self._events.state_changed(paused, QUEUED, PAUSED, "paused on request")
                return trainer_pb2.PauseTrainingJobResponse(job=job_message(paused))
            job = await self._job(request.job_id, principal)
        if job.state == RUNNING:
            # The job checkpoints at its next iteration boundary and reports PAUSED.
            await self._redis.set(control_key(str(job.id)), "pause")
            return trainer_pb2.PauseTrainingJobResponse(job=job_message(job))
        if job.state == PAUSED:
            return trainer_pb2.PauseTrainingJobResponse(job=job_message(job))
        raise _bad_transition(job, "pause", (QUEUED, RUNNING))

    async def ResumeTrainingJob(
        self, request: trainer_pb2.ResumeTrainingJobRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.ResumeTrainingJobResponse:
        principal = self._require(Resource.TRAINING_JOB, Action.CONTROL)
        job = await self._job(request.job_id, principal)
        if job.state == PAUSED:
            await self._redis.delete(control_key(str(job.id)))
            resumed = await self._store.transition(job.id, [PAUSED], QUEUED)
            if resumed is not None:
                await self._events.state_changed(resumed, PAUSED, QUEUED, "resumed on request")
                self._supervisor.wake()
                return trainer_pb2.ResumeTrainingJobResponse(job=job_message(resumed))
            job = await self._job(request.job_id, principal)
        raise _bad_transition(job, "resume", (PAUSED,))

    async def CancelTrainingJob(
        self, request: trainer_pb2.CancelTrainingJobRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.CancelTrainingJobResponse:
        principal = self._require(Resource.TRAINING_JOB, Action.CANCEL)
        job = await self._job(request.job_id, principal)
        if job.state in (QUEUED, PAUSED):
            done = await self._store.transition(job.id, [job.state], CANCELLED)
            if done is not None:
                await self._redis.delete(control_key(str(job.id)))
                await self._events.finished(done, job.state, CANCELLED, "cancelled on request")
                return trainer_pb2.CancelTrainingJobResponse(job=job_message(done))
            job = await self._job(request.job_id, principal)
        if job.state == RUNNING:
            await self._redis.set(control_key(str(job.id)), "cancel")
            cancelling = await self._store.transition(job.id, [RUNNING], CANCELLING)
            if cancelling is not None:
                await self._events.state_changed(
                    cancelling, RUNNING, CANCELLING, "cancel requested"
                )
                try:
                    await asyncio.to_thread(self._cluster.stop, job.ray_submission_id)
                except ClusterUnavailable as error:
                    # The supervisor asks Ray again after cancel_grace_s.
                    _LOGGER.warning("trainer.stop_failed job.id=%s error=%s", job.id, error)
                self._supervisor.wake()
                return trainer_pb2.CancelTrainingJobResponse(job=job_message(cancelling))
            job = await self._job(request.job_id, principal)
        # Cancelling, already final, or changed under us: cancel is idempotent.
        return trainer_pb2.CancelTrainingJobResponse(job=job_message(job))


def _raise_if(violations: Violations, what: str) -> None:
    if violations:
        fields = ", ".join(field for field, _ in violations)
        raise InvalidArgument(
            f"{what} is invalid: {fields}", violations, reason="INVALID_" + what.upper()
        )
