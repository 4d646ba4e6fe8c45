"""The trainer's background work: schedule queued jobs on Ray, record what running jobs report
(:class:`~tm_trainer.recorder.ReportRecorder`), and reconcile the jobs table with Ray (on start
and then periodically).

One task does all three in turn, so recording and reconciling never race each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from trademaster.runner.tracing import ENV_CARRIER
from trademaster.runner.training import REDIS_URL_ENV, JobSpec
from trademaster.service.events import EventBus, stream_id_key
from trademaster.service.lifecycle import JobState
from trademaster.service.topics import control_key, training_job_topic
from trademaster.service.tracing import child_span, current_trace_carrier

from tm_trainer.config import TrainerSettings
from tm_trainer.events import JobEvents
from tm_trainer.queue_store import QueueStore
from tm_trainer.ray_cluster import (
    TERMINAL_RAY_STATUSES,
    ClusterResources,
    ClusterUnavailable,
    RayCluster,
)
from tm_trainer.recorder import ReportRecorder
from tm_trainer.store import ON_CLUSTER_STATES, JobRecord, JobStore

_LOGGER = logging.getLogger(__name__)

QUEUED, RUNNING, PAUSED, FAILED, CANCELLING, CANCELLED = (
    s.value
    for s in (
        JobState.QUEUED,
        JobState.RUNNING,
        JobState.PAUSED,
        JobState.FAILED,
        JobState.CANCELLING,
        JobState.CANCELLED,
    )
)


def uri_to_path(uri: str) -> Path:
    """``file:///a/b`` → ``/a/b`` (the local artifact store)."""
    if uri.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(uri).path))
    return Path(uri)


class JobSupervisor:
    """Scheduler, event recorder and reconciler of training jobs (see module doc)."""

    def __init__(
        self,
        settings: TrainerSettings,
        store: JobStore,
        cluster: RayCluster,
        bus: EventBus,
        redis: aioredis.Redis,
        reports: EventBus,
    ) -> None:
        self.settings = settings
        self.store = store
        self.queue = QueueStore(store.pool)
        self.cluster = cluster
        self.redis = redis
        self.events = JobEvents(bus)
        self.reports = reports
        self.artifact_dir = settings.artifact_dir.absolute()
        self.recorder = ReportRecorder(store, reports, self.events, redis, self.artifact_dir)
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        # Trace context of the request that queued each job, continued by its Ray job.
        self._traces: dict[str, dict[str, str]] = {}

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Reconcile with Ray once, then run the loop in the background."""
        try:
            await self.check_cluster_jobs()
        except ClusterUnavailable as error:
            _LOGGER.warning("trainer.reconcile_deferred error=%s", error)
        self._task = asyncio.create_task(self._run(), name="trainer-supervisor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Run the scheduler now (a job was queued)."""
        self._wake.set()

    def remember_trace(self, job_id: str) -> None:
        """Keep the current trace context for ``job_id``'s next submission (in memory only:
        a job submitted after a trainer restart starts a new trace)."""
        carrier = current_trace_carrier()
        if carrier:
            self._traces[job_id] = carrier

    async def _run(self) -> None:
        next_tick = 0.0
        while True:
            try:
                await self.consume_once(self.settings.event_block_ms)
                if time.monotonic() >= next_tick or self._wake.is_set():
                    self._wake.clear()
                    await self.check_cluster_jobs()
                    await self.schedule()
                    next_tick = time.monotonic() + self.settings.scheduler_interval_s
            except asyncio.CancelledError:
                raise
            except (ClusterUnavailable, RedisError, OSError) as error:
                _LOGGER.warning("trainer.supervisor_retry error=%s", error)
                await asyncio.sleep(self.settings.scheduler_interval_s)
            except Exception:
                # The loop must outlive one bad job or a transient database error.
                _LOGGER.exception("trainer.supervisor_error")
                await asyncio.sleep(self.settings.scheduler_interval_s)

    # -- recording -------------------------------------------------------------------------------

    async def consume_once(self, block_ms: int | None) -> int:
        """Apply the next reports of the jobs on the cluster (or wait for a wake-up)."""
        jobs = await self.store.in_states(ON_CLUSTER_STATES)
        if not jobs:
            if block_ms:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), block_ms / 1000)
            return 0
        return await self.recorder.consume_once(jobs, block_ms)

    async def _clear_control(self, job_id: object) -> None:
        await self.redis.delete(control_key(training_job_topic(str(job_id))))

    # -- reconciling -----------------------------------------------------------------------------

    async def check_cluster_jobs(self) -> None:
        """Compare RUNNING/CANCELLING jobs with their Ray jobs and settle those Ray has ended."""
        for job in await self.store.in_states(ON_CLUSTER_STATES):
            if not job.ray_submission_id:
                continue
            status = await asyncio.to_thread(self.cluster.status, job.ray_submission_id)
            if status is not None and status not in TERMINAL_RAY_STATUSES:
                if await self._over_time_limit(job):
                    continue
                if (
                    job.state == CANCELLING
                    and _age_s(job.updated_at) > self.settings.cancel_grace_s
                ):
                    await asyncio.to_thread(self.cluster.stop, job.ray_submission_id)
                continue
            await self.recorder.drain(job)
            current = await self.store.get(job.id)
            if current is None or current.state not in ON_CLUSTER_STATES:
                continue
            await self._settle_ended(current, status)

    async def _over_time_limit(self, job: JobRecord) -> bool:
        """End a RUNNING job FAILED ("time limit") once its run outlasts its limit."""
        if job.state != RUNNING or job.time_limit_s <= 0 or job.run_started_at is None:
            return False
        ran = _age_s(job.run_started_at)
        if ran <= job.time_limit_s:
            return False
        reason = f"time limit: ran {ran:.0f}s, limit {job.time_limit_s:g}s"
        done = await self.store.transition(
            job.id, FAILED, expected=[RUNNING], failure_reason=reason
        )
        if done is None:
            return False
        _LOGGER.warning("trainer.job_time_limit job.id=%s ran_s=%.1f", job.id, ran)
        # The runner also stops on its own at its next check of the flag (if Ray stop fails).
        await self.redis.set(control_key(training_job_topic(str(job.id))), "cancel", ex=3600)
        await self.events.finished(done, RUNNING, FAILED, reason)
        try:
            await asyncio.to_thread(self.cluster.stop, job.ray_submission_id)
        except ClusterUnavailable as error:
            # The job is FAILED either way; the runner ends at its next check of the flag.
            _LOGGER.warning("trainer.stop_failed job.id=%s error=%s", job.id, error)
        return True

    async def _settle_ended(self, job: JobRecord, ray_status: str | None) -> None:
        """The Ray job ended without a final event: finish, pause or resubmit the job."""
        ended = f"Ray job {job.ray_submission_id} ended ({ray_status or 'vanished'})"
        if job.state == CANCELLING:
            done = await self.store.transition(job.id, CANCELLED, expected=[CANCELLING])
            if done is not None:
                await self._clear_control(job.id)
                await self.events.finished(done, CANCELLING, CANCELLED, "cancelled on request")
            return
        pause_requested = (
            await self.redis.get(control_key(training_job_topic(str(job.id)))) == "pause"
        )
        if job.checkpoint_uri and pause_requested:
            done = await self.store.transition(job.id, PAUSED, expected=[RUNNING])
            if done is not None:
                await self._clear_control(job.id)
                await self.events.state_changed(done, RUNNING, PAUSED, ended)
            return
        if job.checkpoint_uri and job.attempt < self.settings.max_attempts:
            done = await self.store.transition(job.id, QUEUED, expected=[RUNNING])
            if done is not None:
                _LOGGER.warning("trainer.job_requeued job.id=%s reason=%s", job.id, ended)
                await self.events.state_changed(
                    done, RUNNING, QUEUED, f"{ended}; resuming from {job.checkpoint_uri}"
                )
            return
        reason = f"{ended} without reporting a result and no checkpoint to resume from"
        if job.checkpoint_uri:
            reason = f"{ended}; gave up after {job.attempt} attempts"
        done = await self.store.transition(
            job.id, FAILED, expected=[RUNNING], failure_reason=reason
        )
        if done is not None:
            await self._clear_control(job.id)
            await self.events.finished(done, RUNNING, FAILED, reason)

    # -- scheduling ------------------------------------------------------------------------------

    async def schedule(self) -> int:
        """Start queued jobs, oldest first, while the cluster has room; returns how many."""
        started = 0
        capacity = None
        while True:
            job = await self.store.next_queued()
            if job is None:
                return started
            if capacity is None:
                capacity = await asyncio.to_thread(self.cluster.resources)
            on_cluster = await self.store.in_states(ON_CLUSTER_STATES)
            used_cpus = sum(
                float((j.assigned_resources or {}).get("num_cpus", 0)) for j in on_cluster
            )
            used_gpus = sum(
                float((j.assigned_resources or {}).get("num_gpus", 0)) for j in on_cluster
            )
            wanted = job.requested_resources
            cpus = float(wanted.get("num_cpus") or self.settings.cpus_per_job)
            gpus = float(wanted.get("num_gpus") or 0) if capacity.gpus > 0 else 0.0
            if wanted.get("gpu_required") and capacity.gpus <= 0:
                reason = "the job requires a GPU and the Ray cluster has none"
                failed = await self.store.transition(
                    job.id, FAILED, expected=[QUEUED], failure_reason=reason
                )
                if failed is not None:
                    await self.events.finished(failed, QUEUED, FAILED, reason)
                continue
            free_cpus, free_gpus = capacity.cpus - used_cpus, capacity.gpus - used_gpus
            if cpus > free_cpus + 1e-9 or gpus > free_gpus + 1e-9:
                await self.queue.set_wait_reason(
                    job.id, queue_wait_reason(cpus, gpus, free_cpus, free_gpus, capacity)
                )
                return started
            if await self._submit(job, cpus, gpus):
                started += 1

    async def _submit(self, job: JobRecord, cpus: float, gpus: float) -> bool:
        attempt = job.attempt + 1
        submission_id = f"tm-train-{job.id}-{attempt}"
        run_dir = self.artifact_dir / str(job.id)
        device: Literal["cpu", "cuda"] = "cuda" if gpus > 0 else "cpu"
        spec = JobSpec(
            job_id=str(job.id),
            owner_id=job.owner,
            attempt=attempt,
            run=job.run_spec,
            run_dir=str(run_dir),
            device=device,
            resume_from=str(uri_to_path(job.checkpoint_uri)) if job.checkpoint_uri else None,
            stream_prefix=self.settings.report_stream_prefix,
        )
        spec_path = run_dir / f"spec-{attempt}.json"
        await asyncio.to_thread(_write_text, spec_path, spec.model_dump_json(indent=2))
        # Reports of earlier attempts are settled; the new attempt's start after them.
        topic = training_job_topic(str(job.id))
        last = await self.reports.cursors([topic], "$")
        claimed = await self.store.transition(
            job.id,
            RUNNING,
            expected=[QUEUED],
            attempt=attempt,
            ray_submission_id=submission_id,
            assigned_resources={"num_cpus": cpus, "num_gpus": gpus},
            device=device,
            started_at=job.started_at or datetime.now(UTC),
            event_cursor=max(last[topic], job.event_cursor, key=stream_id_key),
        )
        if claimed is None:
            return False
        await self._clear_control(job.id)
        env_vars = {REDIS_URL_ENV: self.settings.redis_url, "PYTHONUNBUFFERED": "1"}
        try:
            with child_span("trainer.submit_job", self._traces.pop(str(job.id), {})):
                env_vars.update(trace_env(current_trace_carrier()))
                await asyncio.to_thread(
                    self.cluster.submit,
                    submission_id,
                    str(spec_path),
                    num_cpus=cpus,
                    num_gpus=gpus,
                    env_vars=env_vars,
                    python=self.settings.job_python,
                )
        except ClusterUnavailable as error:
            _LOGGER.warning("trainer.submit_failed job.id=%s error=%s", job.id, error)
            await self.store.transition(job.id, QUEUED, expected=[RUNNING], attempt=job.attempt)
            raise
        _LOGGER.info(
            "trainer.job_submitted job.id=%s ray.submission_id=%s device=%s resume=%s",
            job.id,
            submission_id,
            device,
            spec.resume_from,
        )
        await self.events.state_changed(claimed, QUEUED, RUNNING, f"submitted as {submission_id}")
        return True


def queue_wait_reason(
    cpus: float, gpus: float, free_cpus: float, free_gpus: float, capacity: ClusterResources
) -> str:
    """E.g. ``waiting for 2 CPUs (1 of 4 free)``; a job larger than the cluster says so."""
    if cpus > free_cpus + 1e-9:
        want, free, total, unit = cpus, free_cpus, capacity.cpus, "CPU"
    else:
        want, free, total, unit = gpus, free_gpus, capacity.gpus, "GPU"
    units = f"{want:g} {unit}{'s' if want != 1 else ''}"
    if want > total + 1e-9:
        return f"waiting for {units}: more than the cluster has ({total:g})"
    return f"waiting for {units} ({max(free, 0.0):g} of {total:g} free)"


def _age_s(moment: datetime) -> float:
    return (datetime.now(UTC) - moment).total_seconds()


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def trace_env(carrier: dict[str, str]) -> dict[str, str]:
    """The trace context as the job's environment (``TRACEPARENT``, ``TRACESTATE``)."""
    return {ENV_CARRIER[key]: value for key, value in carrier.items() if key in ENV_CARRIER}
