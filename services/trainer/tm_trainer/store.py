"""PostgreSQL storage of training jobs and their metric history (schema ``trainer``).

State changes are guarded updates (``WHERE state = ANY(sources)``) whose sources come from the
one transition table (:data:`trademaster.service.lifecycle.TRAINING_JOB`), so the servicer, the
scheduler and the event recorder can race without breaking the state machine: whoever loses
simply gets ``None`` back, and an edge the table forbids raises ``IllegalTransition``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
import psycopg_pool
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from trademaster.config.run import RunSpec
from trademaster.service.events import stream_id_key
from trademaster.service.lifecycle import TRAINING_JOB, JobState
from trademaster.service.paging import decode_page_token, encode_page_token

_LOGGER = logging.getLogger(__name__)

ACTIVE_STATES: tuple[str, ...] = tuple(sorted(s.value for s in TRAINING_JOB.active))
"""States that count against the per-user limit (a paused job still holds a checkpoint slot)."""
ON_CLUSTER_STATES: tuple[str, ...] = (JobState.RUNNING.value, JobState.CANCELLING.value)


class TooManyActiveJobs(Exception):
    """The owner already has ``limit`` active jobs."""

    def __init__(self, owner: str, active: int, limit: float) -> None:
        super().__init__(f"user {owner!r} has {active} active training jobs, limit is {limit}")
        self.active = active
        self.limit = limit


@dataclass(frozen=True)
class NewJob:
    owner: str
    strategy_id: uuid.UUID
    strategy_version: int
    run_spec: RunSpec
    """The resolved run: the only config, seed and data reference of the job."""
    overrides: dict[str, Any]
    requested_resources: dict[str, Any]
    request_id: str | None
    priority: int = 0
    time_limit_s: float = 0.0
    """Longest one run on the cluster may last; 0 is no limit."""


@dataclass(frozen=True)
class JobRecord:
    id: uuid.UUID
    owner: str
    strategy_id: uuid.UUID
    strategy_version: int
    state: str
    run_spec: RunSpec
    overrides: dict[str, Any]
    requested_resources: dict[str, Any]
    assigned_resources: dict[str, Any] | None
    device: str
    failure_reason: str
    progress_step: int
    episodic_return: float
    sps: float
    final_metrics: dict[str, float]
    run_record: dict[str, Any] | None
    checkpoint_uri: str
    model_uri: str
    attempt: int
    ray_submission_id: str
    event_cursor: str
    created_at: datetime
    updated_at: datetime
    queued_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    request_id: str | None = None
    priority: int = 0
    time_limit_s: float = 0.0
    run_started_at: datetime | None = None
    """Start of the current run on the cluster (the time limit counts from here)."""
    wait_reason: str = ""
    """Why the job at the head of the queue waits, as the scheduler last saw it."""
    queue_position: int = 0
    """1-based place among QUEUED jobs (computed on read); 0 when not queued."""


@dataclass(frozen=True)
class MetricRow:
    step: int
    name: str
    value: float
    recorded_at: datetime


@dataclass
class EventEffects:
    """What one runner report changes; applied with the cursor in one transaction."""

    metrics: dict[str, float] = field(default_factory=dict)
    metrics_step: int = 0
    progress_step: int | None = None
    episodic_return: float | None = None
    sps: float | None = None
    checkpoint_uri: str | None = None
    transition: tuple[Sequence[str] | None, str] | None = None
    """(expected current states or None for any legal source, new state)."""
    fields: dict[str, Any] = field(default_factory=dict)
    """Columns set together with the transition (only when it happens)."""


@dataclass(frozen=True)
class AppliedReport:
    """Outcome of :meth:`JobStore.apply_event`: whether it was new, and the state move it made."""

    applied: bool
    old_state: str
    moved: JobRecord | None = None
    """The job after the transition, when the report moved it."""


_JSON_COLUMNS = frozenset(
    {
        "overrides",
        "requested_resources",
        "assigned_resources",
        "final_metrics",
        "run_record",
    }
)


def _adapt(column: str, value: Any) -> Any:
    return Jsonb(value) if column in _JSON_COLUMNS and value is not None else value


def _record(row: Mapping[str, Any], **extra: Any) -> JobRecord:
    names = JobRecord.__dataclass_fields__
    fields = {k: v for k, v in row.items() if k in names} | extra
    fields["run_spec"] = RunSpec.model_validate(row["run_spec"])
    return JobRecord(**fields)


_QUEUED = JobState.QUEUED.value
_SELECT = f"""
    SELECT j.*, CASE WHEN j.state = '{_QUEUED}' THEN 1 + (
        SELECT count(*) FROM training_jobs q WHERE q.state = '{_QUEUED}'
        AND (q.priority > j.priority OR (q.priority = j.priority
             AND (q.queued_at, q.id) < (j.queued_at, j.id)))
    ) ELSE 0 END AS queue_position
    FROM training_jobs j"""
"""Jobs with their queue position: higher priority first, then the longest waiting."""


class JobStore:
    """Jobs, metrics and event cursors of the trainer service."""

    def __init__(self, pool: psycopg_pool.AsyncConnectionPool) -> None:
        self._pool = pool

    @property
    def pool(self) -> psycopg_pool.AsyncConnectionPool:
        return self._pool

    async def create(self, new: NewJob, *, max_active: float | None) -> tuple[JobRecord, bool]:
        """Insert a QUEUED job; returns (job, created). A repeated ``request_id`` of the same
        owner returns the first job. Raises TooManyActiveJobs over ``max_active`` (None: no
        limit). The per-owner advisory lock makes count-then-insert atomic: two concurrent
        creates of one owner cannot both take the last slot."""
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext('tm-trainer-owner:' || %s))", (new.owner,)
            )
            if new.request_id:
                cur = await conn.cursor(row_factory=dict_row).execute(
                    "SELECT * FROM training_jobs WHERE owner = %s AND request_id = %s",
                    (new.owner, new.request_id),
                )
                existing = await cur.fetchone()
                if existing is not None:
                    return _record(existing), False
            cur = await conn.cursor(row_factory=dict_row).execute(
                "SELECT count(*) AS n FROM training_jobs WHERE owner = %s AND state = ANY(%s)",
                (new.owner, list(ACTIVE_STATES)),
            )
            row = await cur.fetchone()
            active = int(row["n"]) if row else 0
            if max_active is not None and active + 1 > max_active:
                raise TooManyActiveJobs(new.owner, active, max_active)
            cur = await conn.cursor(row_factory=dict_row).execute(
                """
                INSERT INTO training_jobs (
                    id, owner, strategy_id, strategy_version, state, run_spec, overrides,
                    requested_resources, request_id, priority, time_limit_s)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                RETURNING *
                """,
                (
                    uuid.uuid4(),
                    new.owner,
                    new.strategy_id,
                    new.strategy_version,
                    TRAINING_JOB.initial.value,
                    Jsonb(new.run_spec.model_dump(mode="json")),
                    Jsonb(new.overrides),
                    Jsonb(new.requested_resources),
                    new.request_id or None,
                    new.priority,
                    new.time_limit_s,
                ),
            )
            created = await cur.fetchone()
            assert created is not None
            return _record(created), True

    async def get(self, job_id: uuid.UUID, owner: str | None = None) -> JobRecord | None:
        """The job, or None when absent or (with ``owner``) someone else's."""
        async with self._pool.connection() as conn:
            cur = await conn.cursor(row_factory=dict_row).execute(
                f"{_SELECT} WHERE j.id = %s AND (%s::text IS NULL OR j.owner = %s)",
                (job_id, owner, owner),
            )
            row = await cur.fetchone()
        return None if row is None else _record(row)

    async def list_jobs(
        self,
        owner: str | None,
        page_size: int,
        page_token: str = "",
        states: Sequence[str] = (),
        strategy_id: uuid.UUID | None = None,
        *,
        shared_with: str | None = None,
    ) -> tuple[list[JobRecord], str]:
        """Jobs newest first; ``owner`` None means every owner; with ``shared_with``, only
        those shared with that user (``trainer.job_shares``)."""
        clauses: list[str] = ["TRUE"]
        params: list[Any] = []
        if shared_with is not None:
            clauses.append("id IN (SELECT resource_id FROM trainer.job_shares WHERE user_id = %s)")
            params.append(shared_with)
        if owner is not None:
            clauses.append("j.owner = %s")
            params.append(owner)
        if states:
            clauses.append("j.state = ANY(%s)")
            params.append(list(states))
        if strategy_id is not None:
            clauses.append("j.strategy_id = %s")
            params.append(strategy_id)
        if page_token:
            params.extend(decode_page_token(page_token, datetime.fromisoformat, uuid.UUID))
            clauses.append("(j.created_at, j.id) < (%s, %s)")
        params.append(page_size + 1)
        query = (
            f"{_SELECT} WHERE {' AND '.join(clauses)} "
            "ORDER BY j.created_at DESC, j.id DESC LIMIT %s"
        )
        async with self._pool.connection() as conn:
            cur = await conn.cursor(row_factory=dict_row).execute(query.encode(), params)
            rows = [_record(r) for r in await cur.fetchall()]
        if len(rows) <= page_size:
            return rows, ""
        rows = rows[:page_size]
        last = rows[-1]
        return rows, encode_page_token(last.created_at.isoformat(), last.id)

    async def transition(
        self,
        job_id: uuid.UUID,
        new_state: str,
        *,
        expected: Sequence[str] | None = None,
        **fields: Any,
    ) -> JobRecord | None:
        """Move the job to ``new_state`` (and set ``fields``) if it is in one of ``expected``
        (default: every state the table lets reach ``new_state``); None when it is not."""
        async with self._pool.connection() as conn, conn.transaction():
            return await self._transition(conn, job_id, expected, new_state, fields)

    async def _transition(
        self,
        conn: psycopg.AsyncConnection,
        job_id: uuid.UUID,
        expected: Sequence[str] | None,
        new_state: str,
        fields: Mapping[str, Any],
    ) -> JobRecord | None:
        allowed = TRAINING_JOB.sources(new_state, expected)
        sets = ["state = %s", "updated_at = now()"]
        params: list[Any] = [new_state]
        for column, value in fields.items():
            if column not in JobRecord.__dataclass_fields__:
                raise ValueError(f"unknown training_jobs column {column!r}")
            sets.append(f"{column} = %s")
            params.append(_adapt(column, value))
        if new_state in TRAINING_JOB.final:
            sets.append("ended_at = coalesce(ended_at, now())")
        if new_state == JobState.QUEUED:
            sets.append("queued_at = now()")
        if new_state == JobState.RUNNING and "run_started_at" not in fields:
            sets.append("run_started_at = now()")
        if new_state != JobState.QUEUED:
            sets.append("wait_reason = ''")
        params.extend([job_id, allowed])
        cur = await conn.cursor(row_factory=dict_row).execute(
            f"UPDATE training_jobs SET {', '.join(sets)} "  # noqa: S608 - columns checked above
            "WHERE id = %s AND state = ANY(%s) RETURNING *",
            params,
        )
        row = await cur.fetchone()
        return None if row is None else _record(row)

    async def next_queued(self) -> JobRecord | None:
        """The head of the queue: highest priority, then waiting longest."""
        async with self._pool.connection() as conn:
            cur = await conn.cursor(row_factory=dict_row).execute(
                "SELECT * FROM training_jobs WHERE state = %s "
                "ORDER BY priority DESC, queued_at, id LIMIT 1",
                (_QUEUED,),
            )
            row = await cur.fetchone()
        return None if row is None else _record(row, queue_position=1)

    async def in_states(self, states: Sequence[str]) -> list[JobRecord]:
        async with self._pool.connection() as conn:
            cur = await conn.cursor(row_factory=dict_row).execute(
                "SELECT * FROM training_jobs WHERE state = ANY(%s) ORDER BY queued_at, id",
                (list(states),),
            )
            return [_record(r) for r in await cur.fetchall()]

    async def count_by_state(self) -> dict[str, int]:
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT state, count(*) FROM training_jobs GROUP BY state")
            return {str(state): int(n) for state, n in await cur.fetchall()}

    async def apply_event(
        self, job_id: uuid.UUID, stream_id: str, effects: EventEffects
    ) -> AppliedReport:
        """Apply one report's effects and advance the job's cursor to ``stream_id`` atomically.

        Not applied (and nothing changed) when the cursor is already at or past the report, so
        a replayed report is never recorded twice.
        """
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT event_cursor, state FROM training_jobs WHERE id = %s FOR UPDATE",
                (job_id,),
            )
            row = await cur.fetchone()
            if row is None or stream_id_key(stream_id) <= stream_id_key(str(row[0])):
                return AppliedReport(applied=False, old_state=str(row[1]) if row else "")
            old_state = str(row[1])
            if effects.metrics:
                async with conn.cursor() as metric_cursor:
                    await metric_cursor.executemany(
                        "INSERT INTO job_metrics (job_id, step, name, value) "
                        "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                        [
                            (job_id, effects.metrics_step, name, value)
                            for name, value in effects.metrics.items()
                        ],
                    )
            sets = ["event_cursor = %s", "updated_at = now()"]
            params: list[Any] = [stream_id]
            if effects.progress_step is not None:
                sets.append("progress_step = greatest(progress_step, %s)")
                params.append(effects.progress_step)
            if effects.episodic_return is not None:
                sets.append("episodic_return = %s")
                params.append(effects.episodic_return)
            if effects.sps is not None:
                sets.append("sps = %s")
                params.append(effects.sps)
            if effects.checkpoint_uri is not None:
                sets.append("checkpoint_uri = %s")
                params.append(effects.checkpoint_uri)
            params.append(job_id)
            await conn.execute(
                f"UPDATE training_jobs SET {', '.join(sets)} WHERE id = %s",  # noqa: S608
                params,
            )
            moved = None
            if effects.transition is not None:
                expected, new_state = effects.transition
                moved = await self._transition(conn, job_id, expected, new_state, effects.fields)
        return AppliedReport(applied=True, old_state=old_state, moved=moved)

    async def list_metrics(
        self,
        job_id: uuid.UUID,
        names: Sequence[str],
        start_step: int,
        page_size: int,
        page_token: str = "",
    ) -> tuple[list[MetricRow], str]:
        """Metric points by (step, name)."""
        clauses = ["job_id = %s", "step >= %s"]
        params: list[Any] = [job_id, start_step]
        if names:
            clauses.append("name = ANY(%s)")
            params.append(list(names))
        if page_token:
            clauses.append("(step, name) > (%s, %s)")
            params.extend(decode_page_token(page_token, int, str))
        params.append(page_size + 1)
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT step, name, value, recorded_at FROM job_metrics "  # noqa: S608
                f"WHERE {' AND '.join(clauses)} ORDER BY step, name LIMIT %s",
                params,
            )
            rows = [MetricRow(int(s), str(n), float(v), t) for s, n, v, t in await cur.fetchall()]
        if len(rows) <= page_size:
            return rows, ""
        rows = rows[:page_size]
        return rows, encode_page_token(rows[-1].step, rows[-1].name)
