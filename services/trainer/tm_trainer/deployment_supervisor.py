"""The trainer's deployment supervisor: submit queued deployments' runners to Ray, record what
the runners report (last processed bar, orders), and settle runners Ray has ended (a crashed
runner is resubmitted in place and resumes after its last recorded bar).

One task does all of it in turn, so recording and settling never race each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
import trademaster.service.payloads as payloads
from redis.exceptions import RedisError
from trademaster.runner.deployment import (
    BAR_PROCESSED,
    FAILED,
    STOPPED,
    TOKEN_ENV,
    DeploymentSpec,
)
from trademaster.runner.training import REDIS_URL_ENV
from trademaster.service.auth import issue_token
from trademaster.service.events import EventBus, split_event_id
from trademaster.service.lifecycle import JobState
from trademaster.service.topics import control_key, deployment_topic

from tm_trainer.config import TrainerSettings
from tm_trainer.deployment_store import DeploymentRecord, DeploymentStore
from tm_trainer.ray_cluster import TERMINAL_RAY_STATUSES, ClusterUnavailable, RayCluster

_LOGGER = logging.getLogger(__name__)

DEPLOYMENT_MODULE = "trademaster.runner.deployment"
MAX_ATTEMPTS = 20
"""Runner submissions of one deployment before it is failed (crash loops end)."""
RUNNER_SCOPES = ("order:submit", "order:cancel", "order:read", "account:read", "instrument:read")
"""All a runner's token may do at the risk service, on its owner's accounts only."""
QUEUED, RUNNING, PAUSED, CANCELLING, CANCELLED, FAILED_STATE = (
    s.value
    for s in (
        JobState.QUEUED,
        JobState.RUNNING,
        JobState.PAUSED,
        JobState.CANCELLING,
        JobState.CANCELLED,
        JobState.FAILED,
    )
)
LIVE_STATES = (RUNNING, PAUSED, CANCELLING)


class DeploymentSupervisor:
    """Scheduler, report recorder and reconciler of deployments (see module doc)."""

    def __init__(
        self,
        settings: TrainerSettings,
        store: DeploymentStore,
        cluster: RayCluster,
        redis: aioredis.Redis,
        reports: EventBus,
        events: EventBus | None = None,
    ) -> None:
        """``events`` is the public event bus: each recorded bar is announced on it
        (``deployment_progress`` on ``deployment/<id>``, owner-scoped)."""
        self.settings = settings
        self.events = events
        self.store = store
        self.cluster = cluster
        self.redis = redis
        self.reports = reports
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="deployment-supervisor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.settings.scheduler_interval_s)
                self._wake.clear()
            except asyncio.CancelledError:
                raise
            except (ClusterUnavailable, RedisError, OSError) as error:
                _LOGGER.warning("deployments.supervisor_retry error=%s", error)
                await asyncio.sleep(self.settings.scheduler_interval_s)
            except Exception:
                # The loop must outlive one bad deployment or a transient database error.
                _LOGGER.exception("deployments.supervisor_error")
                await asyncio.sleep(self.settings.scheduler_interval_s)

    async def tick(self) -> None:
        """One round: record reports, settle ended runners, submit queued ones."""
        for dep in await self.store.in_states(LIVE_STATES):
            await self.record(dep)
        for dep in await self.store.in_states(LIVE_STATES):
            await self.settle(dep)
        for dep in await self.store.in_states([QUEUED]):
            await self.submit(dep)

    # -- recording -------------------------------------------------------------------------------

    async def record(self, dep: DeploymentRecord) -> None:
        """Apply the runner's reports after the stored cursor, in order."""
        topic = deployment_topic(str(dep.id))
        cursor = dep.report_cursor
        for event in await self.reports.read([topic], {topic: cursor}, count=500):
            stream_id = split_event_id(event.event_id)[1]
            if event.type == BAR_PROCESSED:
                recorded = await self.store.record_bar(dep.id, cursor, stream_id, event.payload)
                if recorded is not None:
                    await self._progress(recorded, event.payload)
            elif event.type == STOPPED:
                await self._end(dep.id, CANCELLED, "", stream_id)
            elif event.type == FAILED:
                reason = str(event.payload.get("failure_reason", ""))[:2000]
                await self._end(dep.id, FAILED_STATE, reason, stream_id)
            else:
                await self.store.update(dep.id, report_cursor=stream_id)
            cursor = stream_id

    async def _progress(self, dep: DeploymentRecord, body: dict[str, Any]) -> None:
        """Announce a recorded bar (once: only the report that moved the cursor gets here)."""
        if self.events is None:
            return
        type_, payload = payloads.deployment_progress(
            str(dep.id),
            dep.bars_processed,
            dep.orders_submitted,
            str(body.get("equity") or ""),
            dep.last_bar_ns,
            dep.state,
        )
        await self.events.publish(deployment_topic(str(dep.id)), dep.owner, type_, payload)

    async def _end(self, ident: uuid.UUID, state: str, reason: str, cursor: str) -> None:
        ended = await self.store.update(
            ident, new_state=state, failure_reason=reason, report_cursor=cursor
        )
        if ended is None:  # already ended: keep the report from being applied again
            await self.store.update(ident, report_cursor=cursor)
        else:
            await self.redis.delete(control_key(deployment_topic(str(ident))))
            _LOGGER.info("deployments.ended deployment.id=%s state=%s", ident, state)

    # -- settling --------------------------------------------------------------------------------

    async def settle(self, dep: DeploymentRecord) -> None:
        """A runner Ray no longer runs: stopped as asked, or resubmitted after a crash."""
        if not dep.ray_submission_id:
            return
        status = await asyncio.to_thread(self.cluster.status, dep.ray_submission_id)
        if status is not None and status not in TERMINAL_RAY_STATUSES:
            if dep.state == CANCELLING and _age_s(dep) > self.settings.cancel_grace_s:
                await asyncio.to_thread(self.cluster.stop, dep.ray_submission_id)
            return
        await self.record(dep)
        current = await self.store.get(dep.id)
        if current is None or current.state not in LIVE_STATES:
            return
        if current.state == CANCELLING:
            await self._end(dep.id, CANCELLED, "", current.report_cursor)
            return
        if current.attempt >= MAX_ATTEMPTS:
            reason = f"runner ended {current.attempt} times ({status or 'vanished'}); gave up"
            await self._end(dep.id, FAILED_STATE, reason, current.report_cursor)
            return
        _LOGGER.warning(
            "deployments.runner_restarted deployment.id=%s ray=%s status=%s",
            dep.id,
            dep.ray_submission_id,
            status,
        )
        await self.submit(current)

    # -- submitting ------------------------------------------------------------------------------

    def spec_of(self, dep: DeploymentRecord, attempt: int) -> DeploymentSpec:
        return DeploymentSpec(
            deployment_id=str(dep.id),
            owner_id=dep.owner,
            attempt=attempt,
            account_id=dep.account_id,
            instruments=list(dep.instruments),
            model_id=dep.model_id,
            model_version=dep.model_version,
            model_uri=dep.model_uri,
            artifact_dir=str(self.settings.artifact_dir.absolute()),
            risk_addr=str(self.settings.risk_addr),
            bar_stream=dep.bar_source,
            start_stream_id=dep.start_stream_id,
            resume_cursor=dep.stream_cursor,
            limits=dict(dep.limits),
            stream_prefix=self.settings.report_stream_prefix,
            heartbeat_timeout_s=self.settings.deployment_heartbeat_timeout_s,
        )

    async def submit(self, dep: DeploymentRecord) -> bool:
        """Submit the next runner attempt (QUEUED → RUNNING, or in place after a crash)."""
        attempt = dep.attempt + 1
        submission_id = f"tm-deploy-{dep.id}-{attempt}"
        spec = self.spec_of(dep, attempt)
        spec_path = self.settings.artifact_dir.absolute() / "deployments" / str(dep.id)
        spec_path = spec_path / f"spec-{attempt}.json"
        await asyncio.to_thread(_write_text, spec_path, spec.model_dump_json(indent=2))
        expected = [dep.state]
        moved = await self.store.update(
            dep.id,
            new_state=RUNNING if dep.state == QUEUED else None,
            expected=expected,
            attempt=attempt,
            ray_submission_id=submission_id,
        )
        if moved is None:
            return False
        token, _ = issue_token(
            self.settings.jwt_keys(),
            dep.owner,
            (),
            ttl_s=self.settings.deployment_token_ttl_s,
            kind="service",
            scopes=RUNNER_SCOPES,
        )
        env = {REDIS_URL_ENV: self.settings.redis_url, TOKEN_ENV: token, "PYTHONUNBUFFERED": "1"}
        await asyncio.to_thread(
            self.cluster.submit,
            submission_id,
            str(spec_path),
            num_cpus=self.settings.deployment_cpus,
            num_gpus=0.0,
            env_vars=env,
            python=self.settings.job_python,
            module=DEPLOYMENT_MODULE,
        )
        _LOGGER.info(
            "deployments.runner_submitted deployment.id=%s ray=%s resume=%s",
            dep.id,
            submission_id,
            spec.resume_cursor or spec.start_stream_id,
        )
        return True


def _age_s(dep: DeploymentRecord) -> float:
    return time.time() - dep.updated_at.timestamp()


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
