"""The registry's append-only history: one writer helper and the point-in-time questions.

``strategy.model_history`` refuses UPDATE, DELETE and TRUNCATE (trigger), so "which version
had alias X at T" and "what was deployed on account A at T" are answered from facts that
cannot be rewritten later.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from tm_strategy.registry.records import EventKind, HistoryRecord

_COLUMNS = (
    "seq, model_id, version, kind, alias, tag_key, tag_value, deployment_id, account_id, actor, at"
)


async def append_history(
    cur: Any,
    model_id: uuid.UUID,
    kind: EventKind,
    actor: str,
    version: int = 0,
    *,
    alias: str = "",
    tag: tuple[str, str] = ("", ""),
    deployment: tuple[uuid.UUID, str] | None = None,
) -> None:
    """Append one entry inside the caller's transaction (the change and its entry commit
    together); ``deployment`` is ``(deployment_id, account_id)``."""
    deployment_id, account_id = deployment if deployment is not None else (None, "")
    await cur.execute(
        "INSERT INTO strategy.model_history (model_id, version, kind, alias, tag_key, tag_value, "
        "deployment_id, account_id, actor) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (model_id, version, kind.value, alias, tag[0], tag[1], deployment_id, account_id, actor),
    )


def _record(row: dict[str, Any]) -> HistoryRecord:
    return HistoryRecord(**{**row, "kind": EventKind(row["kind"])})


class RegistryHistory:
    """Read-only queries over ``strategy.model_history``."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def page(
        self, model_id: uuid.UUID, page_size: int, after_seq: int = 0
    ) -> tuple[list[HistoryRecord], int]:
        """Entries of one model after ``after_seq``, oldest first; the last seq if more remain
        (else 0)."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM strategy.model_history WHERE model_id = %s AND seq > %s "
                f"ORDER BY seq LIMIT %s",
                (model_id, after_seq, page_size + 1),
            )
            rows = await cur.fetchall()
        records = [_record(r) for r in rows[:page_size]]
        return records, records[-1].seq if len(rows) > page_size else 0

    async def alias_at(
        self, model_id: uuid.UUID, alias: str, as_of: datetime | None
    ) -> HistoryRecord | None:
        """The ALIAS_SET entry in force at ``as_of`` (None = now), or None when the alias named
        no version then (never set, or removed since)."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM strategy.model_history "
                f"WHERE model_id = %s AND alias = %s AND kind IN (%s, %s) "
                f"AND (%s::timestamptz IS NULL OR at <= %s) ORDER BY seq DESC LIMIT 1",
                (
                    model_id,
                    alias,
                    EventKind.ALIAS_SET.value,
                    EventKind.ALIAS_REMOVED.value,
                    as_of,
                    as_of,
                ),
            )
            row = await cur.fetchone()
        if row is None or row["kind"] != EventKind.ALIAS_SET.value:
            return None
        return _record(row)

    async def deployments_active_at(
        self, account_id: str, as_of: datetime | None
    ) -> list[uuid.UUID]:
        """Deployments on ``account_id`` started and not yet ended at ``as_of`` (None = now),
        oldest start first."""
        async with self._pool.connection() as conn, conn.cursor() as cur:
            await cur.execute(
                "SELECT deployment_id FROM ("
                "  SELECT DISTINCT ON (deployment_id) deployment_id, kind, "
                "         min(seq) OVER (PARTITION BY deployment_id) AS first_seq "
                "  FROM strategy.model_history "
                "  WHERE account_id = %s AND kind IN (%s, %s) "
                "    AND (%s::timestamptz IS NULL OR at <= %s) "
                "  ORDER BY deployment_id, seq DESC"
                ") latest WHERE kind = %s ORDER BY first_seq",
                (
                    account_id,
                    EventKind.DEPLOYMENT_STARTED.value,
                    EventKind.DEPLOYMENT_ENDED.value,
                    as_of,
                    as_of,
                    EventKind.DEPLOYMENT_STARTED.value,
                ),
            )
            return [row[0] for row in await cur.fetchall()]
