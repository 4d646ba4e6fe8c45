"""HTTP routes for training jobs and the training cluster; each mirrors one TrainerService RPC."""

import json
import logging
from datetime import datetime
from typing import Annotated, Any, Literal

import grpc
from fastapi import APIRouter, Depends, Query, status
from google.protobuf import json_format
from pydantic import BaseModel, ConfigDict, Field
from trademaster.api.common.v1 import common_pb2
from trademaster.api.trainer.v1 import trainer_pb2, trainer_pb2_grpc
from trademaster.service.structs import dict_to_struct
from trademaster.service.topics import training_job_topic

from tm_gateway.api_models import JobActionName, action_names
from tm_gateway.backends import Backends
from tm_gateway.convert import CallerDependency, CallerLike, time_of
from tm_gateway.http_errors import ApiError

_LOGGER = logging.getLogger(__name__)


JobStateName = Literal[
    "QUEUED", "RUNNING", "PAUSED", "SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED"
]
_STATE_PREFIX = "TRAINING_JOB_STATE_"
TAG = "training jobs"


class ResourcesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    num_cpus: int = Field(default=0, ge=0, le=1024, description="CPUs; 0 = service default.")
    num_gpus: int = Field(default=0, ge=0, le=64, description="GPUs; 0 = CPU only.")
    gpu_required: bool = Field(
        default=False, description="Wait for a GPU instead of falling back to CPU."
    )


class TrainingJobCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strategy_id: str = Field(min_length=1, max_length=200)
    strategy_version: int = Field(default=0, ge=0, description="0 = the latest version.")
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="Merged over the strategy config (same shape as the config).",
        examples=[{"agent_params": {"learning_rate": 0.001}, "training": {"seed": 7}}],
    )
    resources: ResourcesBody | None = Field(default=None, description="Unset = service default.")
    seed: int = Field(default=0, ge=0, description="0 lets the server choose and record one.")
    total_steps: int = Field(default=0, ge=0, description="0 = the value in the config.")
    request_id: str = Field(
        default="", max_length=128, description="Idempotency key: a retry returns the first job."
    )
    priority: int = Field(
        default=0,
        ge=-10,
        le=10,
        description="Higher runs first; above 0 needs the admin or risk_officer role (403).",
    )
    time_limit_seconds: float = Field(
        default=0,
        ge=0,
        description="Longest a run may last; 0 = the caller's quota. Over the quota: 429.",
    )


class ProgressOut(BaseModel):
    step: int
    total_steps: int
    fraction: float = Field(description="step / total_steps in [0, 1].")
    episodic_return: float
    sps: float = Field(description="Environment steps per second, recent window.")


class RunRecordOut(BaseModel):
    seed: int
    config_hash: str
    dataset_hash: str
    library_versions: dict[str, str]
    git_revision: str
    resource_usage: dict[str, float] = Field(
        default_factory=dict,
        description="Peak/mean CPU % (100 = one core), resident MiB and, only when a GPU was "
        "used, GPU utilisation % and MiB of the final attempt (e.g. cpu_percent_peak).",
    )


class TrainingJobOut(BaseModel):
    id: str
    owner_id: str
    strategy_id: str
    strategy_version: int
    state: JobStateName
    failure_reason: str
    progress: ProgressOut
    overrides: dict[str, Any]
    requested_resources: ResourcesBody | None
    assigned_resources: ResourcesBody | None = Field(description="Null while queued.")
    device: str = Field(description='"cpu" or "cuda"; empty while queued.')
    final_metrics: dict[str, float]
    run_record: RunRecordOut | None
    checkpoint_uri: str
    model_uri: str
    created_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    updated_at: datetime | None
    events_topic: str = Field(
        description="Topic to subscribe to on WS /api/v1/events for live progress."
    )
    allowed_actions: list[JobActionName] = Field(
        default_factory=list,
        description="Controls the trainer accepts in the current state (pause/resume/cancel).",
    )
    run_spec: dict[str, Any] = Field(
        default_factory=dict,
        description="The resolved run: strategy config with defaults, seed, data, split.",
    )
    queue_position: int = Field(
        default=0, description="1-based place in the queue (priority, then age); 0 = not queued."
    )
    wait_reason: str = Field(
        default="",
        description='Why a queued job waits: "waiting for 2 CPUs (1 of 4 free)", "1 job ahead".',
    )
    priority: int = Field(default=0, description="Scheduling priority; higher runs first.")
    time_limit_seconds: float = Field(
        default=0, description="Longest one run may last before it ends FAILED; 0 = no limit."
    )


class TrainingJobList(BaseModel):
    jobs: list[TrainingJobOut]
    next_page_token: str = Field(description="Pass as page_token for the next page; empty at end.")


class MetricPointOut(BaseModel):
    name: str = Field(examples=["charts/episodic_return"])
    step: int
    value: float
    time: datetime | None


class MetricList(BaseModel):
    metrics: list[MetricPointOut] = Field(description="Ordered by step, then name.")
    next_page_token: str


class ClusterUserOut(BaseModel):
    owner_id: str
    running_jobs: int
    queued_jobs: int
    active_jobs: int = Field(description="Jobs counting against the concurrent-job quota.")
    cpus_in_use: float
    gpus_in_use: float


class ClusterOut(BaseModel):
    cpus_total: float
    cpus_available: float
    gpus_total: float
    gpus_available: float
    queued_jobs: int
    running_jobs: int
    cluster_reachable: bool
    users: list[ClusterUserOut] = Field(
        default_factory=list,
        description="Use by user, most CPUs first; admins and risk officers see everyone, "
        "others only themselves.",
    )


def _resources(message: Any, field: str) -> ResourcesBody | None:
    if not message.HasField(field):
        return None
    r = getattr(message, field)
    return ResourcesBody(num_cpus=r.num_cpus, num_gpus=r.num_gpus, gpu_required=r.gpu_required)


def job_out(job: trainer_pb2.TrainingJob) -> TrainingJobOut:
    p = job.progress
    rr = job.run_record
    return TrainingJobOut(
        id=job.job_id,
        owner_id=job.owner_id,
        strategy_id=job.strategy_id,
        strategy_version=job.strategy_version,
        state=trainer_pb2.TrainingJobState.Name(job.state).removeprefix(_STATE_PREFIX),  # type: ignore[arg-type]
        failure_reason=job.failure_reason,
        progress=ProgressOut(
            step=p.step,
            total_steps=p.total_steps,
            fraction=p.fraction,
            episodic_return=p.episodic_return,
            sps=p.sps,
        ),
        overrides=json_format.MessageToDict(job.overrides),
        requested_resources=_resources(job, "requested_resources"),
        assigned_resources=_resources(job, "assigned_resources"),
        device=job.device,
        final_metrics=dict(job.final_metrics),
        run_record=(
            RunRecordOut(
                seed=rr.seed,
                config_hash=rr.config_hash,
                dataset_hash=rr.dataset_hash,
                library_versions=dict(rr.library_versions),
                git_revision=rr.git_revision,
                resource_usage=dict(rr.resource_usage),
            )
            if job.HasField("run_record")
            else None
        ),
        checkpoint_uri=job.checkpoint_uri,
        model_uri=job.model_uri,
        created_at=time_of(job, "create_time"),
        started_at=time_of(job, "start_time"),
        ended_at=time_of(job, "end_time"),
        updated_at=time_of(job, "update_time"),
        events_topic=training_job_topic(job.job_id),
        allowed_actions=action_names(job.allowed_actions),
        run_spec=json.loads(job.run_spec_json) if job.run_spec_json else {},
        queue_position=job.queue_position,
        wait_reason=job.wait_reason,
        priority=job.priority,
        time_limit_seconds=job.time_limit_seconds,
    )


def jobs_router(backends: Backends, caller: CallerDependency) -> APIRouter:
    """Routes under ``/training-jobs`` and ``/cluster``; ``caller`` is the app's auth dependency."""
    router = APIRouter(tags=[TAG])
    CallerDep = Annotated[CallerLike, Depends(caller)]

    def trainer() -> trainer_pb2_grpc.TrainerServiceStub:
        channel = backends.channel("trainer")
        if channel is None:
            raise ApiError(
                grpc.StatusCode.UNAVAILABLE,
                "the trainer service is not configured (set TM_GATEWAY_TRAINER_ADDR)",
                reason="BACKEND_NOT_CONFIGURED",
            )
        return trainer_pb2_grpc.TrainerServiceStub(channel)

    @router.post(
        "/training-jobs", response_model=TrainingJobOut, status_code=status.HTTP_201_CREATED
    )
    async def create_training_job(body: TrainingJobCreate, who: CallerDep) -> TrainingJobOut:
        """Queue a training job for a strategy version; returns at once (usually QUEUED).
        Follow it on WS `/api/v1/events` with the job's `events_topic`."""
        request = trainer_pb2.CreateTrainingJobRequest(
            strategy_id=body.strategy_id,
            strategy_version=body.strategy_version,
            overrides=dict_to_struct(body.overrides),
            seed=body.seed,
            total_steps=body.total_steps,
            request_id=body.request_id,
            priority=body.priority,
            time_limit_seconds=body.time_limit_seconds,
        )
        if body.resources is not None:
            request.resources.CopyFrom(common_pb2.Resources(**body.resources.model_dump()))
        stub = trainer()
        reply = await backends.call(stub.CreateTrainingJob, request, who.token)
        return job_out(reply.job)

    @router.get("/training-jobs", response_model=TrainingJobList)
    async def list_training_jobs(
        who: CallerDep,
        page_size: Annotated[int, Query(ge=0, le=500)] = 0,
        page_token: str = "",
        state: Annotated[list[JobStateName] | None, Query()] = None,
        strategy_id: str = "",
        owner_id: str = "",
        shared_with_me: Annotated[
            bool, Query(description="Only those others shared with the caller (read-only).")
        ] = False,
    ) -> TrainingJobList:
        """Training jobs visible to the caller, newest first; `state` may repeat."""
        stub = trainer()
        reply = await backends.call(
            stub.ListTrainingJobs,
            trainer_pb2.ListTrainingJobsRequest(
                page_size=page_size,
                page_token=page_token,
                states=[trainer_pb2.TrainingJobState.Value(_STATE_PREFIX + s) for s in state or []],
                strategy_id=strategy_id,
                owner_id=owner_id,
                shared_with_me=shared_with_me,
            ),
            who.token,
        )
        return TrainingJobList(
            jobs=[job_out(j) for j in reply.jobs], next_page_token=reply.next_page_token
        )

    @router.get("/training-jobs/{job_id}", response_model=TrainingJobOut)
    async def get_training_job(job_id: str, who: CallerDep) -> TrainingJobOut:
        """One training job."""
        stub = trainer()
        reply = await backends.call(
            stub.GetTrainingJob, trainer_pb2.GetTrainingJobRequest(job_id=job_id), who.token
        )
        return job_out(reply.job)

    @router.post("/training-jobs/{job_id}:pause", response_model=TrainingJobOut)
    async def pause_training_job(job_id: str, who: CallerDep) -> TrainingJobOut:
        """Checkpoint a queued or running job and release its resources."""
        stub = trainer()
        reply = await backends.call(
            stub.PauseTrainingJob, trainer_pb2.PauseTrainingJobRequest(job_id=job_id), who.token
        )
        return job_out(reply.job)

    @router.post("/training-jobs/{job_id}:resume", response_model=TrainingJobOut)
    async def resume_training_job(job_id: str, who: CallerDep) -> TrainingJobOut:
        """Requeue a paused job to continue from its last checkpoint."""
        stub = trainer()
        reply = await backends.call(
            stub.ResumeTrainingJob, trainer_pb2.ResumeTrainingJobRequest(job_id=job_id), who.token
        )
        return job_out(reply.job)

    @router.post("/training-jobs/{job_id}:cancel", response_model=TrainingJobOut)
    async def cancel_training_job(job_id: str, who: CallerDep) -> TrainingJobOut:
        """Cancel a job; cancelling a finished or cancelled job is not an error."""
        stub = trainer()
        reply = await backends.call(
            stub.CancelTrainingJob, trainer_pb2.CancelTrainingJobRequest(job_id=job_id), who.token
        )
        return job_out(reply.job)

    @router.get("/training-jobs/{job_id}/metrics", response_model=MetricList)
    async def list_job_metrics(
        job_id: str,
        who: CallerDep,
        name: Annotated[list[str] | None, Query(description="Metric names; may repeat.")] = None,
        start_step: Annotated[int, Query(ge=0)] = 0,
        page_size: Annotated[int, Query(ge=0, le=10_000)] = 0,
        page_token: str = "",
    ) -> MetricList:
        """Recorded metric points of a job in step order."""
        stub = trainer()
        reply = await backends.call(
            stub.ListJobMetrics,
            trainer_pb2.ListJobMetricsRequest(
                job_id=job_id,
                names=name or [],
                start_step=start_step,
                page_size=page_size,
                page_token=page_token,
            ),
            who.token,
        )
        return MetricList(
            metrics=[
                MetricPointOut(name=m.name, step=m.step, value=m.value, time=time_of(m, "time"))
                for m in reply.metrics
            ],
            next_page_token=reply.next_page_token,
        )

    @router.get("/cluster", response_model=ClusterOut)
    async def cluster_status(who: CallerDep) -> ClusterOut:
        """Capacity and load of the training cluster."""
        stub = trainer()
        reply = await backends.call(
            stub.GetClusterStatus, trainer_pb2.GetClusterStatusRequest(), who.token
        )
        return ClusterOut(
            cpus_total=reply.cpus_total,
            cpus_available=reply.cpus_available,
            gpus_total=reply.gpus_total,
            gpus_available=reply.gpus_available,
            queued_jobs=reply.queued_jobs,
            running_jobs=reply.running_jobs,
            cluster_reachable=reply.cluster_reachable,
            users=[
                ClusterUserOut(
                    owner_id=u.owner_id,
                    running_jobs=u.running_jobs,
                    queued_jobs=u.queued_jobs,
                    active_jobs=u.active_jobs,
                    cpus_in_use=u.cpus_in_use,
                    gpus_in_use=u.gpus_in_use,
                )
                for u in reply.users
            ],
        )

    return router
