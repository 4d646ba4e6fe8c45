"""One writer of public state: the runner reports privately, the trainer stores each report and
only then publishes. A client that re-reads the job after any public event sees that state (or a
later one): 0 mismatches over full runs, including a cancel of a running job."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from trademaster.api.trainer.v1 import trainer_pb2
from trademaster.service.events import EventBus, EventEnvelope
from trademaster.service.lifecycle import TRAINING_JOB, JobState
from trademaster.service.topics import (
    CHECKPOINT_SAVED,
    JOB_STATE_CHANGED,
    TRAINING_FINISHED,
    TRAINING_PROGRESS,
    training_job_topic,
)

from .conftest import State, TrainerHarness

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _reachable(start: str) -> set[str]:
    seen, todo = {start}, [JobState(start)]
    while todo:
        for nxt in TRAINING_JOB.transitions[todo.pop()]:
            if nxt.value not in seen:
                seen.add(nxt.value)
                todo.append(nxt)
    return seen


def _state(job: trainer_pb2.TrainingJob) -> str:
    return trainer_pb2.TrainingJobState.Name(job.state).removeprefix("TRAINING_JOB_STATE_")


def _mismatch(event: EventEnvelope, job: trainer_pb2.TrainingJob) -> str | None:
    """Why the re-read job contradicts ``event``, or None when it agrees."""
    p: dict[str, Any] = event.payload
    stored = _state(job)
    if event.type == JOB_STATE_CHANGED and stored not in _reachable(p["new_state"]):
        return f"event says {p['new_state']}, store has {stored}"
    if event.type == TRAINING_FINISHED and stored != p["state"]:
        return f"finished {p['state']}, store has {stored}"
    if event.type == TRAINING_PROGRESS and job.progress.step < int(p["step"]):
        return f"progress {p['step']}, store has {job.progress.step}"
    if event.type == CHECKPOINT_SAVED and not job.checkpoint_uri:
        return "checkpoint event, store has none"
    return None


async def _watch(
    harness: TrainerHarness, owner: str, job_id: str, on_event: Any = None
) -> tuple[list[EventEnvelope], list[str]]:
    """Follow the job's public topic to its final event; re-read the job after every event."""
    bus = EventBus(harness.settings.redis_url, stream_prefix=harness.settings.event_stream_prefix)
    topic = training_job_topic(job_id)
    cursor: dict[str, str] = {topic: "0-0"}
    seen: list[EventEnvelope] = []
    mismatches: list[str] = []
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            for event in await bus.read([topic], after=cursor, block_ms=500):
                cursor[topic] = event.event_id.rpartition("@")[2]
                seen.append(event)
                job = await harness.get(owner, job_id)
                why = _mismatch(event, job)
                if why is not None:
                    mismatches.append(f"{event.type}: {why}")
                if on_event is not None:
                    await on_event(event)
                if event.type == TRAINING_FINISHED:
                    return seen, mismatches
        raise AssertionError(f"no training_finished on {topic}; saw {[e.type for e in seen]}")
    finally:
        await bus.close()


async def test_every_public_event_is_already_stored(trainer: TrainerHarness) -> None:
    owner = "one-writer"
    job = await trainer.create(owner, seed=3)

    seen, mismatches = await _watch(trainer, owner, job.job_id)

    assert mismatches == []
    types = [e.type for e in seen]
    assert types.count(TRAINING_PROGRESS) >= 8
    assert CHECKPOINT_SAVED in types
    assert [e.payload["new_state"] for e in seen if e.type == JOB_STATE_CHANGED] == [
        "QUEUED",
        "RUNNING",
        "SUCCEEDED",
    ]
    assert seen[-1].payload["state"] == "SUCCEEDED" and seen[-1].payload["model_uri"]
    reports = EventBus(
        trainer.settings.redis_url, stream_prefix=trainer.settings.report_stream_prefix
    )
    try:
        private = await reports.read([training_job_topic(job.job_id)], after=None, count=1_000)
    finally:
        await reports.close()
    assert {e.type for e in private} >= {TRAINING_PROGRESS, TRAINING_FINISHED}


async def test_a_cancel_while_running_is_stored_before_it_is_announced(
    trainer: TrainerHarness,
) -> None:
    owner = "one-writer-cancel"
    job = await trainer.create(owner, seed=4, total_steps=200_000)
    cancelled = asyncio.Event()

    async def cancel_on_first_progress(event: EventEnvelope) -> None:
        if event.type == TRAINING_PROGRESS and event.payload["step"] > 0 and not cancelled.is_set():
            cancelled.set()
            await trainer.trainer.CancelTrainingJob(
                trainer_pb2.CancelTrainingJobRequest(job_id=job.job_id),
                metadata=trainer.auth(owner),
                timeout=10,
            )

    seen, mismatches = await _watch(trainer, owner, job.job_id, cancel_on_first_progress)

    assert mismatches == []
    states = [e.payload["new_state"] for e in seen if e.type == JOB_STATE_CHANGED]
    assert states[-2:] == ["CANCELLING", "CANCELLED"]
    final = await trainer.get(owner, job.job_id)
    assert final.state == State.CANCELLED
