"""PostgreSQL storage of deployments (schema ``trainer``, table ``deployments``).

State changes are guarded updates whose sources come from the one transition table
(:data:`trademaster.service.lifecycle.DEPLOYMENT`), so servicer and supervisor can race: the
loser gets ``None``. The runner's reports are applied with their stream cursor in one update,
so a report is never counted twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg_pool
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from trademaster.service.lifecycle import DEPLOYMENT
from trademaster.service.paging import decode_page_token, encode_page_token


@dataclass(frozen=True)
class DeploymentRecord:
    id: uuid.UUID
    owner: str
    model_id: str
    model_version: int
    model_uri: str
    account_id: str
    instruments: list[str]
    bar_source: str
    bar_interval_seconds: int
    mode: str
    limits: dict[str, str]
    state: str
    flatten_on_stop: bool
    start_stream_id: str
    stream_cursor: str
    last_bar_ns: int | None
    bars_processed: int
    orders_submitted: int
    report_cursor: str
    failure_reason: str
    attempt: int
    ray_submission_id: str
    registry_deployment_id: str
    request_id: str | None
    created_at: datetime
    updated_at: datetime


_COLUMNS = frozenset(DeploymentRecord.__dataclass_fields__)


def _record(row: Mapping[str, Any]) -> DeploymentRecord:
    return DeploymentRecord(**{k: v for k, v in row.items() if k in _COLUMNS})


def _value(column: str, value: Any) -> Any:
    return Jsonb(value) if column == "limits" else value


class DeploymentStore:
    """Deployments of the trainer service."""

    def __init__(self, pool: psycopg_pool.AsyncConnectionPool) -> None:
        self._pool = pool

    async def create(self, fields: dict[str, Any]) -> tuple[DeploymentRecord, bool]:
        """Insert a QUEUED deployment; a repeated ``request_id`` of the owner returns the
        first one (created False)."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = conn.cursor(row_factory=dict_row)
            if fields.get("request_id"):
                await cur.execute(
                    "SELECT * FROM deployments WHERE owner = %s AND request_id = %s",
                    (fields["owner"], fields["request_id"]),
                )
                existing = await cur.fetchone()
                if existing is not None:
                    return _record(existing), False
            row = {**fields, "state": DEPLOYMENT.initial.value}
            query = sql.SQL("INSERT INTO deployments ({}) VALUES ({}) RETURNING *").format(
                sql.SQL(", ").join(map(sql.Identifier, row)),
                sql.SQL(", ").join(sql.Placeholder() * len(row)),
            )
            await cur.execute(query, [_value(k, v) for k, v in row.items()])
            created = await cur.fetchone()
            assert created is not None
            return _record(created), True

    async def get(self, ident: uuid.UUID, owner: str | None = None) -> DeploymentRecord | None:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            if owner is None:
                await cur.execute("SELECT * FROM deployments WHERE id = %s", (ident,))
            else:
                await cur.execute(
                    "SELECT * FROM deployments WHERE id = %s AND owner = %s", (ident, owner)
                )
            row = await cur.fetchone()
        return None if row is None else _record(row)

    async def list_deployments(
        self, owner: str | None, page_size: int, page_token: str = "", account_id: str = ""
    ) -> tuple[list[DeploymentRecord], str]:
        """Deployments newest first; ``owner`` None means every owner."""
        clauses: list[str] = ["TRUE"]
        params: list[Any] = []
        if owner is not None:
            clauses.append("owner = %s")
            params.append(owner)
        if account_id:
            clauses.append("account_id = %s")
            params.append(account_id)
        if page_token:
            params.extend(decode_page_token(page_token, datetime.fromisoformat, uuid.UUID))
            clauses.append("(created_at, id) < (%s, %s)")
        params.append(page_size + 1)
        query = (
            f"SELECT * FROM deployments WHERE {' AND '.join(clauses)} "
            "ORDER BY created_at DESC, id DESC LIMIT %s"
        )
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(query.encode(), params)
            rows = [_record(r) for r in await cur.fetchall()]
        if len(rows) <= page_size:
            return rows, ""
        rows = rows[:page_size]
        return rows, encode_page_token(rows[-1].created_at.isoformat(), rows[-1].id)

    async def in_states(self, states: Sequence[str]) -> list[DeploymentRecord]:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                "SELECT * FROM deployments WHERE state = ANY(%s) ORDER BY created_at",
                (list(states),),
            )
            return [_record(r) for r in await cur.fetchall()]

    async def update(
        self,
        ident: uuid.UUID,
        *,
        new_state: str | None = None,
        expected: Sequence[str] | None = None,
        **fields: Any,
    ) -> DeploymentRecord | None:
        """Set ``fields`` (and move to ``new_state`` if given) when the deployment is in one of
        ``expected`` (default with a move: every legal source); None when it is not."""
        sets = dict(fields)
        guard = list(expected) if expected is not None else None
        if new_state is not None:
            guard = DEPLOYMENT.sources(new_state, expected)
            sets["state"] = new_state
        assignments: list[sql.Composable] = [
            sql.SQL("{} = %s").format(sql.Identifier(k)) for k in sets
        ]
        assignments.append(sql.SQL("updated_at = now()"))
        params: list[Any] = [_value(k, v) for k, v in sets.items()]
        where: sql.Composable = sql.SQL("id = %s")
        params.append(ident)
        if guard is not None:
            where = sql.SQL("id = %s AND state = ANY(%s)")
            params.append(guard)
        query = sql.SQL("UPDATE deployments SET {} WHERE {} RETURNING *").format(
            sql.SQL(", ").join(assignments), where
        )
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(query, params)
            row = await cur.fetchone()
        return None if row is None else _record(row)

    async def record_bar(
        self, ident: uuid.UUID, previous: str, report_cursor: str, body: Mapping[str, Any]
    ) -> DeploymentRecord | None:
        """Apply one processed-bar report (with the report cursor, so never twice) and store
        its equity sample in the same transaction; None when the cursor did not match."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                """
                UPDATE deployments SET
                    stream_cursor = %s, last_bar_ns = %s, bars_processed = bars_processed + 1,
                    orders_submitted = orders_submitted + %s, report_cursor = %s,
                    updated_at = now()
                WHERE id = %s AND report_cursor = %s
                RETURNING *
                """,
                (
                    str(body["stream_id"]),
                    int(body["bar_time_ns"]),
                    # A bar is recorded once; its orders (replayed ones too) count here.
                    len(body.get("orders", [])),
                    report_cursor,
                    ident,
                    previous,
                ),
            )
            row = await cur.fetchone()
            equity = _equity(body.get("equity"))
            if row is not None and equity is not None:
                # A bar re-run after a crash keeps its first sample.
                await cur.execute(
                    "INSERT INTO deployment_equity (deployment_id, bar_time_ns, equity, "
                    "bars_processed, orders_submitted) VALUES (%s, %s, %s, %s, %s) "
                    "ON CONFLICT (deployment_id, bar_time_ns) DO NOTHING",
                    (
                        ident,
                        int(body["bar_time_ns"]),
                        equity,
                        row["bars_processed"],
                        row["orders_submitted"],
                    ),
                )
        return None if row is None else _record(row)

    async def equity(
        self, ident: uuid.UUID, limit: int, after_ns: int | None = None
    ) -> list[EquityRow]:
        """Stored equity samples of a deployment, oldest bar first, after ``after_ns``."""
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                "SELECT bar_time_ns, equity, bars_processed, orders_submitted "
                "FROM deployment_equity WHERE deployment_id = %s AND bar_time_ns > %s "
                "ORDER BY bar_time_ns LIMIT %s",
                (ident, after_ns if after_ns is not None else -(2**63), limit),
            )
            return [EquityRow(**r) for r in await cur.fetchall()]


@dataclass(frozen=True)
class EquityRow:
    """One stored live equity sample (see migration 0008)."""

    bar_time_ns: int
    equity: Decimal
    bars_processed: int
    orders_submitted: int


def _equity(raw: Any) -> Decimal | None:
    """The reported equity, or None when absent or not a finite decimal (older runners)."""
    try:
        value = Decimal(str(raw)) if raw not in (None, "") else None
    except ArithmeticError:
        return None
    return value if value is not None and value.is_finite() else None
