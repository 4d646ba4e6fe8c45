"""SQL reads of a compliance report: one account's rows of one time range, in a fixed order.

Every query orders by a unique key so a report generated twice over unchanged rows is the same
(``ORDER BY`` on a time alone would leave ties to the planner). Each read takes ``limit`` rows at
most; the caller asks for one more than it allows to tell a range that is too large.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from tm_risk.records import FillRow, OrderRow, StateRow
from tm_risk.store import _FILL_COLUMNS, _ORDER_COLUMNS, _STATE_COLUMNS

GLOBAL_BODY = '%"scope":"GLOBAL"%'
"""Audit bodies are canonical JSON (no spaces), so this matches entries of the global scope."""
_COVERS = "(account_id = %s OR (account_id IS NULL AND body LIKE %s))"
"""Audit entries of the account, and the global-scope ones that govern every account."""


class ComplianceReader:
    """Reads of the risk schema for ``GetComplianceReport``."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def _rows(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(sql, params)  # type: ignore[arg-type]
            return await cur.fetchall()

    async def orders(
        self, account_id: uuid.UUID, start: datetime, end: datetime, limit: int
    ) -> list[OrderRow]:
        rows = await self._rows(
            f"SELECT {_ORDER_COLUMNS} FROM risk.orders WHERE account_id=%s AND created_at >= %s "
            "AND created_at < %s ORDER BY created_at, client_order_id LIMIT %s",
            (account_id, start, end, limit),
        )
        return [OrderRow(**row) for row in rows]

    async def fills_until(self, account_id: uuid.UUID, end: datetime) -> list[FillRow]:
        """Every fill of the account before ``end`` (the replay needs those before the range)."""
        rows = await self._rows(
            f"SELECT {_FILL_COLUMNS} FROM risk.fills WHERE account_id=%s AND fill_time < %s "
            "ORDER BY fill_time, seq",
            (account_id, end),
        )
        return [FillRow(**row) for row in rows]

    async def decisions(
        self, account_id: uuid.UUID, start_ns: int, end_ns: int, limit: int
    ) -> list[dict[str, Any]]:
        return await self._rows(
            "SELECT seq, entry_id, at_ns, instrument_id, client_order_id, decision, dry_run, "
            "reasons, body, entry_hash FROM risk.audit WHERE kind='decision' AND account_id=%s "
            "AND at_ns >= %s AND at_ns < %s ORDER BY seq LIMIT %s",
            (account_id, start_ns, end_ns, limit),
        )

    async def kill_switch(
        self, account_id: uuid.UUID, start_ns: int, end_ns: int, limit: int
    ) -> list[dict[str, Any]]:
        return await self._rows(
            f"SELECT seq, at_ns, body FROM risk.audit WHERE kind='kill_switch' AND {_COVERS} "
            "AND at_ns >= %s AND at_ns < %s ORDER BY seq LIMIT %s",
            (account_id, GLOBAL_BODY, start_ns, end_ns, limit),
        )

    async def state_changes(
        self, account_id: uuid.UUID, start: datetime, end: datetime, limit: int
    ) -> list[StateRow]:
        rows = await self._rows(
            f"SELECT {_STATE_COLUMNS} FROM risk.state_changes "
            "WHERE ((scope='ACCOUNT' AND scope_id=%s) OR scope='GLOBAL') "
            "AND updated_at >= %s AND updated_at < %s ORDER BY seq LIMIT %s",
            (str(account_id), start, end, limit),
        )
        return [StateRow(**row) for row in rows]

    async def audit_span(
        self, account_id: uuid.UUID, start_ns: int, end_ns: int
    ) -> tuple[int, int] | None:
        """First and last sequence of the audit entries the report covers; None when none."""
        rows = await self._rows(
            f"SELECT min(seq) AS first, max(seq) AS last FROM risk.audit WHERE {_COVERS} "
            "AND at_ns >= %s AND at_ns < %s",
            (account_id, GLOBAL_BODY, start_ns, end_ns),
        )
        first, last = rows[0]["first"], rows[0]["last"]
        return None if first is None else (int(first), int(last))
