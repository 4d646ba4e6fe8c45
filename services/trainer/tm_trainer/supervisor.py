"""The trainer's background work: schedule queued jobs on Ray, record what running jobs report,
and reconcile the jobs table with Ray (on start and then periodically).

One task does all three in turn, so recording and reconciling never race each other. It is the
only writer of progress, metrics, checkpoints and results; each event is applied together with
the job's stream cursor in one transaction, so a restart neither loses nor double-records.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from trademaster.service.events import EventBus, EventEnvelope, split_event_id
from trademaster.service.tracing import child_span, current_trace_carrier
from trademaster.training.job_tracing import ENV_CARRIER
from trademaster.training.jobrunner_events import (
    CHECKPOINT_SAVED,
    JOB_KIND,
    JOB_STATE_CHANGED,
    TRAINING_FINISHED,
    TRAINING_PROGRESS,
    control_key,
    job_topic,
)
from trademaster.training.ray_job import REDIS_URL_ENV, RUN_RECORD_FILE, JobSpec

from tm_trainer.config import TrainerSettings
from tm_trainer.ray_cluster import TERMINAL_RAY_STATUSES, ClusterUnavailable, RayCluster
from tm_trainer.store import (
    CANCELLED,
    CANCELLING,
    FAILED,
    ON_CLUSTER_STATES,
    PAUSED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    EventEffects,
    JobRecord,
    JobStore,
    stream_id_key,
)

_LOGGER = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
"""Submissions of one job before the trainer gives up resubmitting after crashes."""
_FINAL_EVENT_STATES = {SUCCEEDED, FAILED, CANCELLED}


def uri_to_path(uri: str) -> Path:
    """``file:///a/b`` → ``/a/b`` (the local artifact store)."""
    if uri.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(uri).path))
    return Path(uri)


class JobEvents:
    """Announces state changes the service itself makes, on the job's event stream."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus

    async def state_changed(self, job: JobRecord, old: str, new: str, reason: str = "") -> None:
        await self._bus.publish(
            job_topic(str(job.id)),
            job.owner,
            JOB_STATE_CHANGED,
            {
                "job_id": str(job.id),
                "job_kind": JOB_KIND,
                "old_state": old,
                "new_state": new,
                "reason": reason,
            },
        )

    async def finished(self, job: JobRecord, old: str, state: str, reason: str = "") -> None:
        await self.state_changed(job, old, state, reason)
        await self._bus.publish(
            job_topic(str(job.id)),
            job.owner,
            TRAINING_FINISHED,
            {
                "job_id": str(job.id),
                "state": state,
                "final_metrics": {},
                "model_uri": "",
                "failure_reason": reason if state == FAILED else "",
            },
        )


class JobSupervisor:
    """Scheduler, event recorder and reconciler of training jobs (see module doc)."""

    def __init__(
        self,
        settings: TrainerSettings,
        store: JobStore,
        cluster: RayCluster,
        bus: EventBus,
        redis: aioredis.Redis,
    ) -> None:
        self.settings = settings
        self.store = store
        self.cluster = cluster
        self.bus = bus
        self.redis = redis
        self.events = JobEvents(bus)
        self.artifact_dir = settings.artifact_dir.absolute()
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

    async def consume_once(
        self, block_ms: int | None, jobs: Sequence[JobRecord] | None = None
    ) -> int:
        """Read and apply the next events of the running jobs; returns how many were applied."""
        if jobs is None:
            jobs = await self.store.in_states(ON_CLUSTER_STATES)
        if not jobs:
            if block_ms:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), block_ms / 1000)
            return 0
        by_topic = {job_topic(str(job.id)): job for job in jobs}
        cursors = {topic: job.event_cursor for topic, job in by_topic.items()}
        events = await self.bus.read(list(cursors), after=cursors, block_ms=block_ms, count=500)
        applied = 0
        for event in events:
            job = by_topic[event.topic]
            if await self._apply(job, event):
                applied += 1
        return applied

    async def drain(self, job: JobRecord) -> None:
        """Apply every event the job's stream still holds (its Ray job has ended)."""
        while True:
            current = await self.store.get(job.id)
            if current is None or not await self.consume_once(None, [current]):
                return

    async def _apply(self, job: JobRecord, event: EventEnvelope) -> bool:
        _, stream_id = split_event_id(event.event_id)
        effects = self._effects(job, event)
        applied = await self.store.apply_event(job.id, stream_id, effects)
        if applied and effects.transition is not None:
            await self._clear_control(job.id)
            _LOGGER.info(
                "trainer.job_reported job.id=%s event=%s state=%s",
                job.id,
                event.type,
                effects.transition[1],
            )
        return applied

    def _effects(self, job: JobRecord, event: EventEnvelope) -> EventEffects:
        payload: dict[str, Any] = event.payload
        effects = EventEffects()
        if event.type == TRAINING_PROGRESS:
            step = int(payload.get("step", 0))
            metrics = {str(k): float(v) for k, v in payload.get("metrics", {}).items()}
            effects.metrics, effects.metrics_step, effects.progress_step = metrics, step, step
            effects.episodic_return = metrics.get("charts/episodic_return")
            effects.sps = metrics.get("charts/SPS")
        elif event.type == CHECKPOINT_SAVED:
            effects.checkpoint_uri = str(payload.get("checkpoint_uri", ""))
        elif event.type == JOB_STATE_CHANGED:
            if payload.get("old_state") == RUNNING and payload.get("new_state") == PAUSED:
                effects.transition = ([RUNNING], PAUSED)
        elif event.type == TRAINING_FINISHED:
            state = str(payload.get("state", ""))
            if state == SUCCEEDED:
                effects.transition = ([RUNNING, CANCELLING], SUCCEEDED)
                effects.fields = {
                    "final_metrics": {
                        str(k): float(v) for k, v in payload.get("final_metrics", {}).items()
                    },
                    "model_uri": str(payload.get("model_uri", "")),
                    "run_record": self._read_run_record(job.id),
                    "progress_step": job.total_steps,
                }
            elif state == FAILED:
                new = CANCELLED if job.state == CANCELLING else FAILED
                effects.transition = ([job.state], new)
                if new == FAILED:
                    effects.fields = {"failure_reason": str(payload.get("failure_reason", ""))}
            elif state == CANCELLED:
                effects.transition = ([RUNNING, CANCELLING], CANCELLED)
        return effects

    def _read_run_record(self, job_id: uuid.UUID) -> dict[str, Any] | None:
        path = self.artifact_dir / str(job_id) / RUN_RECORD_FILE
        try:
            return dict(json.loads(path.read_text()))
        except (OSError, ValueError) as error:
            _LOGGER.warning("trainer.run_record_unreadable job.id=%s error=%s", job_id, error)
            return None

    async def _clear_control(self, job_id: uuid.UUID) -> None:
        await self.redis.delete(control_key(str(job_id)))

    # -- reconciling -----------------------------------------------------------------------------

    async def check_cluster_jobs(self) -> None:
        """Compare RUNNING/CANCELLING jobs with their Ray jobs and settle those Ray has ended."""
        for job in await self.store.in_states(ON_CLUSTER_STATES):
            if not job.ray_submission_id:
                continue
            status = await asyncio.to_thread(self.cluster.status, job.ray_submission_id)
            if status is not None and status not in TERMINAL_RAY_STATUSES:
                if (
                    job.state == CANCELLING
                    and _age_s(job.updated_at) > self.settings.cancel_grace_s
                ):
                    await asyncio.to_thread(self.cluster.stop, job.ray_submission_id)
                continue
            await self.drain(job)
            current = await self.store.get(job.id)
            if current is None or current.state not in ON_CLUSTER_STATES:
                continue
            await self._settle_ended(current, status)

    async def _settle_ended(self, job: JobRecord, ray_status: str | None) -> None:
        """The Ray job ended without a final event: finish, pause or resubmit the job."""
        ended = f"Ray job {job.ray_submission_id} ended ({ray_status or 'vanished'})"
        if job.state == CANCELLING:
            done = await self.store.transition(job.id, [CANCELLING], CANCELLED)
            if done is not None:
                await self._clear_control(job.id)
                await self.events.finished(done, CANCELLING, CANCELLED, "cancelled on request")
            return
        pause_requested = await self.redis.get(control_key(str(job.id))) == "pause"
        if job.checkpoint_uri and pause_requested:
            done = await self.store.transition(job.id, [RUNNING], PAUSED)
            if done is not None:
                await self._clear_control(job.id)
                await self.events.state_changed(done, RUNNING, PAUSED, ended)
            return
        if job.checkpoint_uri and job.attempt < MAX_ATTEMPTS:
            done = await self.store.transition(job.id, [RUNNING], QUEUED)
            if done is not None:
                _LOGGER.warning("trainer.job_requeued job.id=%s reason=%s", job.id, ended)
                await self.events.state_changed(
                    done, RUNNING, QUEUED, f"{ended}; resuming from {job.checkpoint_uri}"
                )
            return
        reason = f"{ended} without reporting a result and no checkpoint to resume from"
        if job.checkpoint_uri:
            reason = f"{ended}; gave up after {job.attempt} attempts"
        done = await self.store.transition(job.id, [RUNNING], FAILED, failure_reason=reason)
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
                    job.id, [QUEUED], FAILED, failure_reason=reason
                )
                if failed is not None:
                    await self.events.finished(failed, QUEUED, FAILED, reason)
                continue
            if cpus > capacity.cpus - used_cpus + 1e-9 or gpus > capacity.gpus - used_gpus + 1e-9:
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
            config=job.config,
            dataset_path=job.dataset_path,
            seed=job.seed,
            total_steps=job.total_steps,
            run_dir=str(run_dir),
            device=device,
            resume_from=str(uri_to_path(job.checkpoint_uri)) if job.checkpoint_uri else None,
            stream_prefix=self.settings.event_stream_prefix,
            train_fraction=0.7,
            valid_fraction=0.15,
        )
        spec_path = run_dir / f"spec-{attempt}.json"
        await asyncio.to_thread(_write_text, spec_path, spec.model_dump_json(indent=2))
        # Events of earlier attempts are settled; the new attempt's stream starts after them.
        last = await self.bus.cursors([job_topic(str(job.id))], "$")
        claimed = await self.store.transition(
            job.id,
            [QUEUED],
            RUNNING,
            attempt=attempt,
            ray_submission_id=submission_id,
            assigned_resources={"num_cpus": cpus, "num_gpus": gpus},
            device=device,
            started_at=job.started_at or datetime.now(UTC),
            event_cursor=max(last[job_topic(str(job.id))], job.event_cursor, key=stream_id_key),
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
            await self.store.transition(job.id, [RUNNING], QUEUED, attempt=job.attempt)
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


def _age_s(moment: datetime) -> float:
    return (datetime.now(UTC) - moment).total_seconds()


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def trace_env(carrier: dict[str, str]) -> dict[str, str]:
    """The trace context as the job's environment (``TRACEPARENT``, ``TRACESTATE``)."""
    return {ENV_CARRIER[key]: value for key, value in carrier.items() if key in ENV_CARRIER}
