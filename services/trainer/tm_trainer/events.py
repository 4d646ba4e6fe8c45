"""Public events of training jobs: published by the trainer only, after the change is stored."""

from __future__ import annotations

import trademaster.service.payloads as payloads
from trademaster.service.events import EventBus
from trademaster.service.lifecycle import JobState
from trademaster.service.topics import JOB_KIND_TRAINING, training_job_topic

from tm_trainer.store import JobRecord


class JobEvents:
    """Announces stored changes of a job on its public topic ``training_job/<id>``."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus

    async def publish(self, job: JobRecord, payload: payloads.Payload) -> None:
        type_, body = payload
        await self._bus.publish(training_job_topic(str(job.id)), job.owner, type_, body)

    async def state_changed(self, job: JobRecord, old: str, new: str, reason: str = "") -> None:
        await self.publish(
            job, payloads.job_state_changed(str(job.id), JOB_KIND_TRAINING, old, new, reason)
        )

    async def finished(self, job: JobRecord, old: str, state: str, reason: str = "") -> None:
        """The state change, then what the job ended with (as stored)."""
        await self.state_changed(job, old, state, reason)
        await self.publish(
            job,
            payloads.training_finished(
                str(job.id),
                state,
                final_metrics=job.final_metrics,
                model_uri=job.model_uri,
                failure_reason=(job.failure_reason or reason) if state == JobState.FAILED else "",
            ),
        )
