"""Running backtests: schedule each on the worker pool, apply what the runner reports, finish.

The backtest service is the one writer of a backtest's public state. The runner
(:mod:`trademaster.runner.backtest`) reports progress on the private report stream; this module
stores each report and only then publishes the public event on ``backtest/<id>``, so a client
that re-reads the backtest after an event sees that state or a later one.

A worker process that dies (kill -9, OOM) breaks the whole process pool: the pool is replaced,
the backtest it was running ends FAILED with the reason, and those that had not started yet run
on the new pool (once) instead of failing with it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor
from pathlib import Path
from typing import Any

from redis.exceptions import RedisError
from trademaster.backtest.event import BacktestCancelled
from trademaster.runner.backtest import JobSpec, run_job
from trademaster.service import payloads
from trademaster.service.events import EventBus, split_event_id
from trademaster.service.lifecycle import BACKTEST, JobAction, JobState
from trademaster.service.topics import (
    BACKTEST_PROGRESS,
    JOB_KIND_BACKTEST,
    backtest_topic,
    control_key,
)

from tm_backtest.store import FINAL_STATES, BacktestRecord, BacktestStore

_LOGGER = logging.getLogger(__name__)

QUEUED, RUNNING, FAILED, CANCELLING, CANCELLED = (
    s.value
    for s in (
        JobState.QUEUED,
        JobState.RUNNING,
        JobState.FAILED,
        JobState.CANCELLING,
        JobState.CANCELLED,
    )
)
CONTROL_TTL_S = 86_400


class BacktestRuns:
    """Schedules, follows and finishes backtests (see module doc)."""

    def __init__(
        self,
        store: BacktestStore,
        executor: Executor,
        bus: EventBus,
        reports: EventBus,
        redis_client: Any,
        *,
        artifact_dir: Path,
        redis_url: str,
        executor_factory: Callable[[], Executor] | None = None,
    ) -> None:
        self._store = store
        self._executor = executor
        self._executor_factory = executor_factory
        self._bus = bus
        self._reports = reports
        self._redis = redis_client
        self._artifact_dir = artifact_dir.resolve()
        self._redis_url = redis_url
        self._tasks: set[asyncio.Task[None]] = set()

    def schedule(self, record: BacktestRecord) -> None:
        job = JobSpec(
            backtest_id=str(record.id),
            owner_id=record.owner,
            artifact_dir=str(self._artifact_dir),
            redis_url=self._redis_url,
            **record.config["job"],
        )
        task = asyncio.create_task(self._run(record.id, job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def resume_unfinished(self) -> int:
        """Re-queue what a previous process left QUEUED/RUNNING; finish what was CANCELLING.

        Returns how many backtests were queued again.
        """
        queued = 0
        for record in await self._store.unfinished():
            if record.state == CANCELLING:
                await self.publish_state(
                    await self._store.transition(record.id, CANCELLED, expected=[CANCELLING]),
                    CANCELLING,
                )
                continue
            if "job" not in record.config:
                moved = await self._store.transition(
                    record.id,
                    FAILED,
                    failure_reason="created by an older service version; submit it again",
                )
                await self.publish_state(moved, record.state)
                continue
            if record.state == RUNNING:
                moved = await self._store.transition(
                    record.id, QUEUED, expected=[RUNNING], progress=0.0
                )
                await self.publish_state(moved, RUNNING)
                record = moved or record
            _LOGGER.info("backtest.requeued backtest.id=%s", record.id)
            self.schedule(record)
            queued += 1
        return queued

    async def cancel(self, record: BacktestRecord) -> None:
        """Cancel a queued (at once) or running (via CANCELLING) backtest; else nothing."""
        if JobAction.CANCEL not in BACKTEST.actions(record.state):
            return
        topic = backtest_topic(str(record.id))
        await self._redis.set(control_key(topic), "cancel", ex=CONTROL_TTL_S)
        moved = await self._store.transition(record.id, CANCELLED, expected=[QUEUED])
        old = QUEUED
        if moved is None:
            moved = await self._store.transition(record.id, CANCELLING, expected=[RUNNING])
            old = RUNNING
        await self.publish_state(moved, old)

    async def publish_state(self, record: BacktestRecord | None, old: str = "") -> None:
        """Announce a stored state change (and the result summary once final)."""
        if record is None:
            return
        topic = backtest_topic(str(record.id))
        type_, body = payloads.job_state_changed(
            str(record.id), JOB_KIND_BACKTEST, old, record.state, record.failure_reason
        )
        await self._bus.publish(topic, record.owner, type_, body)
        if record.state in FINAL_STATES:
            type_, body = payloads.backtest_finished(
                str(record.id), record.state, record.summary_metrics, record.failure_reason
            )
            await self._bus.publish(topic, record.owner, type_, body)

    async def _follow(self, record_id: uuid.UUID, owner: str, cursor: dict[str, str]) -> None:
        """Apply the runner's progress reports: RUNNING on the first, then the fraction."""
        topic = backtest_topic(str(record_id))
        started = False
        while True:
            try:
                events = await self._reports.read([topic], after=cursor, block_ms=1_000)
            except (RedisError, OSError) as error:
                # Progress is best effort; the result is stored when the worker returns.
                _LOGGER.warning("backtest.follow_failed backtest.id=%s error=%s", record_id, error)
                await asyncio.sleep(1.0)
                continue
            for event in events:
                cursor[topic] = split_event_id(event.event_id)[1]
                if event.type != BACKTEST_PROGRESS:
                    continue
                if not started:
                    started = True
                    moved = await self._store.transition(record_id, RUNNING, expected=[QUEUED])
                    await self.publish_state(moved, QUEUED)
                fraction = float(event.payload["fraction"])
                if await self._store.set_progress(record_id, fraction):
                    type_, body = payloads.backtest_progress(
                        str(record_id), fraction, event.payload.get("resources")
                    )
                    await self._bus.publish(topic, owner, type_, body)

    @property
    def executor(self) -> Executor:
        """The current worker pool (replaced when one of its processes dies)."""
        return self._executor

    async def _execute(self, backtest_id: uuid.UUID, job: JobSpec) -> Any:
        """``run_job`` on the pool; after a worker died, on a new pool if it had not started."""
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            executor = self._executor
            try:
                return await loop.run_in_executor(executor, run_job, job)
            except BrokenExecutor:
                if self._executor_factory is None:
                    raise
                if self._executor is executor:  # the first of its runs to notice replaces it
                    _LOGGER.warning("backtest.pool_broken replacing the worker pool")
                    self._executor = self._executor_factory()
                    executor.shutdown(wait=False, cancel_futures=True)
                record = await self._store.get(backtest_id, None)
                if attempt == 2 or record is None or record.state != QUEUED:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _run(self, backtest_id: uuid.UUID, job: JobSpec) -> None:
        topic = backtest_topic(str(backtest_id))
        follower = asyncio.create_task(
            self._follow(backtest_id, job.owner_id, await self._reports.cursors([topic], "$"))
        )
        try:
            result = await self._execute(backtest_id, job)
        except BacktestCancelled:
            await self._finish(backtest_id, CANCELLED)
            return
        except Exception as error:  # the worker's failure is the backtest's, not the service's
            _LOGGER.warning("backtest.failed backtest.id=%s error=%s", backtest_id, error)
            if await self._redis.exists(control_key(topic)):
                await self._finish(backtest_id, CANCELLED)
            else:
                await self._finish(backtest_id, FAILED, f"{type(error).__name__}: {error}"[:500])
            return
        finally:
            follower.cancel()
        before = await self._store.get(backtest_id, None)
        await self._store.save_result(backtest_id, result)
        final = await self._store.get(backtest_id, None)
        if final is not None and final.state == CANCELLING:
            final = await self._store.transition(backtest_id, CANCELLED, expected=[CANCELLING])
        await self.publish_state(final, before.state if before is not None else "")

    async def _finish(self, backtest_id: uuid.UUID, state: str, failure_reason: str = "") -> None:
        """End the run in ``state``; a run whose cancel was requested ends CANCELLED."""
        before = await self._store.get(backtest_id, None)
        moved = await self._store.transition(backtest_id, state, failure_reason=failure_reason)
        if moved is None:
            moved = await self._store.transition(backtest_id, CANCELLED, expected=[CANCELLING])
        await self.publish_state(moved, before.state if before is not None else "")

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
