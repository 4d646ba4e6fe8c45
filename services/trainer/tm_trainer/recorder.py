"""The one writer of a training job's public state: runner reports in, stored state, then events.

Runners report on a private stream (``tm:reports:training_job/<id>``). The recorder applies each
report together with the job's stream cursor in one transaction (so a restart neither loses nor
double-records) and only then publishes the public event on ``training_job/<id>``: whoever sees
an event and re-reads the job sees that state or a later one.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from trademaster.runner.training import RUN_RECORD_FILE
from trademaster.service import topics
from trademaster.service.events import EventBus, EventEnvelope, split_event_id
from trademaster.service.lifecycle import JobState

from tm_trainer.events import JobEvents
from tm_trainer.store import AppliedReport, EventEffects, JobRecord, JobStore

_LOGGER = logging.getLogger(__name__)

RUNNING, PAUSED, SUCCEEDED, FAILED, CANCELLING, CANCELLED = (
    s.value
    for s in (
        JobState.RUNNING,
        JobState.PAUSED,
        JobState.SUCCEEDED,
        JobState.FAILED,
        JobState.CANCELLING,
        JobState.CANCELLED,
    )
)


class ReportRecorder:
    """Applies runner reports to the jobs table, then publishes what changed."""

    def __init__(
        self,
        store: JobStore,
        reports: EventBus,
        events: JobEvents,
        redis: aioredis.Redis,
        artifact_dir: Path,
    ) -> None:
        self.store = store
        self.reports = reports
        self.events = events
        self.redis = redis
        self.artifact_dir = artifact_dir

    async def consume_once(self, jobs: Sequence[JobRecord], block_ms: int | None) -> int:
        """Read and apply the next reports of ``jobs``; returns how many were applied."""
        if not jobs:
            return 0
        by_topic = {topics.training_job_topic(str(job.id)): job for job in jobs}
        cursors = {topic: job.event_cursor for topic, job in by_topic.items()}
        events = await self.reports.read(list(cursors), after=cursors, block_ms=block_ms, count=500)
        applied = 0
        for event in events:
            if await self._apply(by_topic[event.topic], event):
                applied += 1
        return applied

    async def drain(self, job: JobRecord) -> None:
        """Apply every report the job's stream still holds (its Ray job has ended)."""
        while True:
            current = await self.store.get(job.id)
            if current is None or not await self.consume_once([current], None):
                return

    async def _apply(self, job: JobRecord, event: EventEnvelope) -> bool:
        _, stream_id = split_event_id(event.event_id)
        effects = self._effects(job, event)
        result = await self.store.apply_event(job.id, stream_id, effects)
        if not result.applied:
            return False
        if result.moved is not None:
            await self.redis.delete(topics.control_key(topics.training_job_topic(str(job.id))))
            _LOGGER.info(
                "trainer.job_reported job.id=%s event=%s state=%s",
                job.id,
                event.type,
                result.moved.state,
            )
        await self._publish(job, event, result)
        return True

    async def _publish(self, job: JobRecord, event: EventEnvelope, result: AppliedReport) -> None:
        """The public event of an applied report (state events only when the state moved)."""
        payload: dict[str, Any] = event.payload
        if event.type in (topics.TRAINING_PROGRESS, topics.CHECKPOINT_SAVED):
            await self.events.publish(job, (event.type, payload))
            return
        moved = result.moved
        if moved is None:
            return
        reason = str(payload.get("reason") or payload.get("failure_reason") or "")
        if moved.state in (SUCCEEDED, FAILED, CANCELLED):
            await self.events.finished(moved, result.old_state, moved.state, reason)
        else:
            await self.events.state_changed(moved, result.old_state, moved.state, reason)

    def _effects(self, job: JobRecord, event: EventEnvelope) -> EventEffects:
        payload: dict[str, Any] = event.payload
        effects = EventEffects()
        if event.type == topics.TRAINING_PROGRESS:
            step = int(payload.get("step", 0))
            metrics = {str(k): float(v) for k, v in payload.get("metrics", {}).items()}
            effects.metrics, effects.metrics_step, effects.progress_step = metrics, step, step
            effects.episodic_return = metrics.get("charts/episodic_return")
            effects.sps = metrics.get("charts/SPS")
        elif event.type == topics.CHECKPOINT_SAVED:
            effects.checkpoint_uri = str(payload.get("checkpoint_uri", ""))
        elif event.type == topics.JOB_STATE_CHANGED:
            if payload.get("old_state") == RUNNING and payload.get("new_state") == PAUSED:
                effects.transition = ([RUNNING], PAUSED)
        elif event.type == topics.TRAINING_FINISHED:
            self._finished_effects(job, payload, effects)
        return effects

    def _finished_effects(
        self, job: JobRecord, payload: dict[str, Any], effects: EventEffects
    ) -> None:
        state = str(payload.get("state", ""))
        if state == SUCCEEDED:
            effects.transition = ([RUNNING, CANCELLING], SUCCEEDED)
            effects.fields = {
                "final_metrics": {
                    str(k): float(v) for k, v in payload.get("final_metrics", {}).items()
                },
                "model_uri": str(payload.get("model_uri", "")),
                "run_record": self._read_run_record(job.id),
                "progress_step": job.run_spec.total_steps,
            }
        elif state == FAILED:
            # A run that fails while its cancel is under way ends cancelled.
            effects.transition = ([RUNNING], FAILED)
            effects.fields = {"failure_reason": str(payload.get("failure_reason", ""))}
            if job.state == CANCELLING:
                effects.transition, effects.fields = ([CANCELLING], CANCELLED), {}
        elif state == CANCELLED:
            effects.transition = ([RUNNING, CANCELLING], CANCELLED)

    def _read_run_record(self, job_id: uuid.UUID) -> dict[str, Any] | None:
        path = self.artifact_dir / str(job_id) / RUN_RECORD_FILE
        try:
            return dict(json.loads(path.read_text()))
        except (OSError, ValueError) as error:
            _LOGGER.warning("trainer.run_record_unreadable job.id=%s error=%s", job_id, error)
            return None
