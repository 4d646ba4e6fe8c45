"""Queue and usage queries of the trainer's jobs table: why the head job waits, who uses what.

Kept apart from :mod:`tm_trainer.store` (the job lifecycle); same table, same one writer.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg_pool
from psycopg.rows import dict_row
from trademaster.service.lifecycle import JobState

from tm_trainer.store import ACTIVE_STATES, ON_CLUSTER_STATES

_QUEUED = JobState.QUEUED.value


class QueueStore:
    """Wait reasons and per-owner use of the cluster."""

    def __init__(self, pool: psycopg_pool.AsyncConnectionPool) -> None:
        self._pool = pool

    async def set_wait_reason(self, job_id: uuid.UUID, reason: str) -> None:
        """Say why the head job ``job_id`` waits (the others wait for the jobs ahead)."""
        async with self._pool.connection() as conn:
            await conn.execute(
                "UPDATE training_jobs SET wait_reason = CASE WHEN id = %s THEN %s ELSE '' END "
                "WHERE state = %s AND wait_reason <> CASE WHEN id = %s THEN %s ELSE '' END",
                (job_id, reason, _QUEUED, job_id, reason),
            )

    async def usage_by_owner(self) -> list[dict[str, Any]]:
        """Per owner with active jobs: running/queued/active counts and reserved CPUs/GPUs."""
        on_cluster = list(ON_CLUSTER_STATES)
        async with self._pool.connection() as conn:
            cur = await conn.cursor(row_factory=dict_row).execute(
                """
                SELECT owner,
                  count(*) FILTER (WHERE state = ANY(%s)) AS running_jobs,
                  count(*) FILTER (WHERE state = %s) AS queued_jobs,
                  count(*) AS active_jobs,
                  coalesce(sum((assigned_resources ->> 'num_cpus')::float8)
                           FILTER (WHERE state = ANY(%s)), 0) AS cpus_in_use,
                  coalesce(sum((assigned_resources ->> 'num_gpus')::float8)
                           FILTER (WHERE state = ANY(%s)), 0) AS gpus_in_use
                FROM training_jobs WHERE state = ANY(%s)
                GROUP BY owner ORDER BY cpus_in_use DESC, active_jobs DESC, owner
                """,
                (on_cluster, _QUEUED, on_cluster, on_cluster, list(ACTIVE_STATES)),
            )
            return list(await cur.fetchall())
