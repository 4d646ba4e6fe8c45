"""TrainerService: authorize, validate (:mod:`tm_trainer.validate`), resolve the run
(:mod:`tm_trainer.resolve`), store state changes and answer reads (:mod:`tm_trainer.convert`);
the supervisor does the cluster work in the background."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import grpc
import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool
from trademaster.api.strategy.v1 import strategy_pb2_grpc
from trademaster.api.trainer.v1 import trainer_pb2, trainer_pb2_grpc
from trademaster.service.auth import Principal, current_principal
from trademaster.service.authz import Action, Grant, Resource, authorize
from trademaster.service.errors import (
    Aborted,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Unavailable,
    raise_if_invalid,
)
from trademaster.service.ids import parse_uuid
from trademaster.service.lifecycle import TRAINING_JOB, JobAction, JobState
from trademaster.service.sharing import ShareTable
from trademaster.service.topics import control_key, training_job_topic

from tm_trainer.admission import PRIORITY_ROLES, admit, too_many_jobs
from tm_trainer.config import TrainerSettings
from tm_trainer.convert import job_message, metric_message, state_name
from tm_trainer.events import JobEvents
from tm_trainer.queue_store import QueueStore
from tm_trainer.ray_cluster import ClusterUnavailable, RayCluster
from tm_trainer.resolve import RunResolver
from tm_trainer.store import JobRecord, JobStore, NewJob, TooManyActiveJobs
from tm_trainer.supervisor import JobSupervisor
from tm_trainer.validate import (
    DEFAULT_METRICS_PAGE_SIZE,
    DEFAULT_PAGE_SIZE,
    MAX_METRICS_PAGE_SIZE,
    MAX_PAGE_SIZE,
    checked_page_size,
    create_violations,
    not_found,
)

_LOGGER = logging.getLogger(__name__)


def job_shares(pool: AsyncConnectionPool) -> ShareTable:
    """Read-only shares of training jobs (``trainer.job_shares``)."""
    return ShareTable(
        pool,
        shares="trainer.job_shares",
        resources="trainer.training_jobs",
        noun="training job",
        not_found=not_found,
    )


QUEUED, RUNNING, PAUSED, CANCELLING, CANCELLED = (
    JobState.QUEUED.value,
    JobState.RUNNING.value,
    JobState.PAUSED.value,
    JobState.CANCELLING.value,
    JobState.CANCELLED.value,
)


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
        shares: ShareTable | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._queue = QueueStore(store.pool)
        self._resolver = RunResolver(strategies)
        self._cluster = cluster
        self._redis = redis
        self._supervisor = supervisor
        self._events: JobEvents = supervisor.events
        self._principal = principal
        self._shares = shares

    def _require(self, resource: Resource, action: Action) -> Grant:
        return authorize(self._principal(), resource, action)

    async def _job(self, job_id: str, principal: Grant, *, read: bool = False) -> JobRecord:
        """The job in the caller's reach; for reads also one shared with them. A change of a job
        shared with the caller is PERMISSION_DENIED (READ_ONLY_SHARE), else NOT_FOUND."""
        parsed = parse_uuid(job_id, "job_id")
        if self._shares is None:
            job = await self._store.get(parsed, principal.owner_scope)
        elif read:
            job = await self._shares.readable(
                parsed, principal, lambda scope: self._store.get(parsed, scope)
            )
        else:
            job = await self._store.get(parsed, principal.owner_scope)
            if job is None:
                raise await self._shares.absent_for_writer(parsed, principal)
        if job is None:
            raise not_found(parsed)
        return job

    # -- create ----------------------------------------------------------------------------------

    async def CreateTrainingJob(
        self, request: trainer_pb2.CreateTrainingJobRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.CreateTrainingJobResponse:
        principal = self._require(Resource.TRAINING_JOB, Action.CREATE)
        strategy_id = parse_uuid(request.strategy_id, "strategy_id")
        raise_if_invalid(create_violations(request), "request")
        admission = admit(self._settings, principal.principal, request)
        run = await self._resolver.resolve(strategy_id, request, context)
        res = request.resources
        if res.gpu_required:
            await self._require_gpu()
        new = NewJob(
            owner=principal.subject,
            strategy_id=run.strategy_id,
            strategy_version=run.strategy_version,
            run_spec=run.run_spec,
            overrides=run.overrides,
            requested_resources={
                "num_cpus": res.num_cpus,
                "num_gpus": res.num_gpus,
                "gpu_required": res.gpu_required,
            },
            request_id=request.request_id or None,
            priority=admission.priority,
            time_limit_s=admission.time_limit_s,
        )
        try:
            job, created = await self._store.create(new, max_active=admission.jobs.limit)
        except TooManyActiveJobs as error:
            raise too_many_jobs(admission.jobs, error.active) from error
        job = await self._store.get(job.id) or job  # with its queue position
        if created:
            _LOGGER.info("trainer.job_created job.id=%s owner=%s", job.id, job.owner)
            await self._events.state_changed(job, "", QUEUED, "created")
            self._supervisor.remember_trace(str(job.id))
            self._supervisor.wake()
        return trainer_pb2.CreateTrainingJobResponse(job=job_message(job))

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
        job = await self._job(request.job_id, principal, read=True)
        return trainer_pb2.GetTrainingJobResponse(job=job_message(job))

    async def ListTrainingJobs(
        self, request: trainer_pb2.ListTrainingJobsRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.ListTrainingJobsResponse:
        principal = self._require(Resource.TRAINING_JOB, Action.READ)
        page_size = checked_page_size(request.page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        scope = principal.owner_scope
        owner = request.owner_id or scope
        shared_with = None
        if request.shared_with_me:
            # Shared with the caller, from any owner (or the one named).
            owner, shared_with = request.owner_id or None, principal.subject
        elif scope is not None and owner != scope:
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
            shared_with=shared_with,
        )
        return trainer_pb2.ListTrainingJobsResponse(
            jobs=[job_message(j) for j in jobs], next_page_token=token
        )

    async def ListJobMetrics(
        self, request: trainer_pb2.ListJobMetricsRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.ListJobMetricsResponse:
        principal = self._require(Resource.TRAINING_JOB, Action.READ)
        job = await self._job(request.job_id, principal, read=True)
        page_size = checked_page_size(
            request.page_size, DEFAULT_METRICS_PAGE_SIZE, MAX_METRICS_PAGE_SIZE
        )
        rows, token = await self._store.list_metrics(
            job.id, list(request.names), request.start_step, page_size, request.page_token
        )
        return trainer_pb2.ListJobMetricsResponse(
            metrics=[metric_message(r) for r in rows], next_page_token=token
        )

    async def GetClusterStatus(
        self, request: trainer_pb2.GetClusterStatusRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.GetClusterStatusResponse:
        grant = self._require(Resource.CLUSTER, Action.READ)
        counts = await self._store.count_by_state()
        reply = trainer_pb2.GetClusterStatusResponse(
            queued_jobs=counts.get(QUEUED, 0), running_jobs=counts.get(RUNNING, 0)
        )
        sees_all = grant.principal.has_any(*PRIORITY_ROLES)
        for usage in await self._queue.usage_by_owner():
            if sees_all or usage["owner"] == grant.subject:
                reply.users.add(owner_id=usage.pop("owner"), **usage)
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

    # -- read-only shares --------------------------------------------------------------------

    def _share_table(self) -> ShareTable:
        if self._shares is None:
            raise NotFound("sharing is not enabled on this server", reason="DISABLED")
        return self._shares

    async def ShareTrainingJob(
        self, request: trainer_pb2.ShareTrainingJobRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.ShareTrainingJobResponse:
        grant = self._require(Resource.TRAINING_JOB, Action.SHARE)
        share = await self._share_table().share_rpc(
            grant, request.job_id, "job_id", request.user_id
        )
        return trainer_pb2.ShareTrainingJobResponse(share=share.message())

    async def UnshareTrainingJob(
        self, request: trainer_pb2.UnshareTrainingJobRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.UnshareTrainingJobResponse:
        grant = self._require(Resource.TRAINING_JOB, Action.SHARE)
        await self._share_table().unshare_rpc(grant, request.job_id, "job_id", request.user_id)
        return trainer_pb2.UnshareTrainingJobResponse()

    async def ListTrainingJobShares(
        self, request: trainer_pb2.ListTrainingJobSharesRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.ListTrainingJobSharesResponse:
        grant = self._require(Resource.TRAINING_JOB, Action.SHARE)
        shares = await self._share_table().list_rpc(grant, request.job_id, "job_id")
        return trainer_pb2.ListTrainingJobSharesResponse(shares=[s.message() for s in shares])

    # -- control ---------------------------------------------------------------------------------

    async def PauseTrainingJob(
        self, request: trainer_pb2.PauseTrainingJobRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.PauseTrainingJobResponse:
        principal = self._require(Resource.TRAINING_JOB, Action.CONTROL)
        job = await self._job(request.job_id, principal)
        if job.state == PAUSED:
            return trainer_pb2.PauseTrainingJobResponse(job=job_message(job))
        TRAINING_JOB.require(job.state, JobAction.PAUSE, job.id)
        if job.state == QUEUED:
            paused = await self._store.transition(job.id, PAUSED, expected=[QUEUED])
            if paused is not None:
                await self._events.state_changed(paused, QUEUED, PAUSED, "paused on request")
                return trainer_pb2.PauseTrainingJobResponse(job=job_message(paused))
            job = await self._job(request.job_id, principal)
        if job.state == RUNNING:
            # The job checkpoints at its next iteration boundary and reports PAUSED.
            await self._redis.set(control_key(training_job_topic(str(job.id))), "pause")
            return trainer_pb2.PauseTrainingJobResponse(job=job_message(job))
        if job.state == PAUSED:
            return trainer_pb2.PauseTrainingJobResponse(job=job_message(job))
        TRAINING_JOB.require(job.state, JobAction.PAUSE, job.id)
        raise AssertionError("unreachable: PAUSE is allowed only in QUEUED and RUNNING")

    async def ResumeTrainingJob(
        self, request: trainer_pb2.ResumeTrainingJobRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.ResumeTrainingJobResponse:
        principal = self._require(Resource.TRAINING_JOB, Action.CONTROL)
        job = await self._job(request.job_id, principal)
        TRAINING_JOB.require(job.state, JobAction.RESUME, job.id)
        await self._redis.delete(control_key(training_job_topic(str(job.id))))
        resumed = await self._store.transition(job.id, QUEUED, expected=[PAUSED])
        if resumed is None:
            job = await self._job(request.job_id, principal)
            TRAINING_JOB.require(job.state, JobAction.RESUME, job.id)
            raise Aborted(f"training job {job.id} changed state concurrently; retry")
        await self._events.state_changed(resumed, PAUSED, QUEUED, "resumed on request")
        self._supervisor.wake()
        return trainer_pb2.ResumeTrainingJobResponse(job=job_message(resumed))

    async def CancelTrainingJob(
        self, request: trainer_pb2.CancelTrainingJobRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.CancelTrainingJobResponse:
        principal = self._require(Resource.TRAINING_JOB, Action.CANCEL)
        job = await self._job(request.job_id, principal)
        if job.state in (QUEUED, PAUSED):
            done = await self._store.transition(job.id, CANCELLED, expected=[job.state])
            if done is not None:
                await self._redis.delete(control_key(training_job_topic(str(job.id))))
                await self._events.finished(done, job.state, CANCELLED, "cancelled on request")
                return trainer_pb2.CancelTrainingJobResponse(job=job_message(done))
            job = await self._job(request.job_id, principal)
        if job.state == RUNNING:
            await self._redis.set(control_key(training_job_topic(str(job.id))), "cancel")
            cancelling = await self._store.transition(job.id, CANCELLING, expected=[RUNNING])
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
