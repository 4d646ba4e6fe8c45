"""The action audit: one append-only, hash-chained row per mutating REST call, authorization
denial and authentication failure, recorded by :class:`AuditMiddleware` after the response and
written behind it in batches (a crash loses at most the rows not yet written).

Each row's ``hash`` is SHA-256 over the previous row's hash and the row's own fields (canonical
JSON), so an edited, inserted or deleted row breaks the chain from there on
(:meth:`ActionAudit.verify`). Rows are appended under a transaction-scoped advisory lock: the
chain has one order even with concurrent requests.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from trademaster.service.auth import Principal
from trademaster.service.authz import ROUTES

from tm_gateway.edge import route_key

_LOGGER = logging.getLogger(__name__)

GENESIS = "0" * 64
PRINCIPAL_KEY = "tm.principal"
"""Scope key under which the auth dependency leaves the verified caller for the audit."""
_MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LOCK_ID = 0x746D_6175_6469_74  # "tmaudit": serializes appends to the chain
_FIELDS = (
    "at", "actor_id", "actor_kind", "roles", "method", "route", "resource", "action",
    "resource_ids", "status", "outcome", "request_id", "trace_id", "client_addr", "user_agent",
)  # fmt: skip


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    actor_id: str
    actor_kind: str
    roles: list[str]
    method: str
    route: str
    resource: str
    action: str
    resource_ids: dict[str, str]
    status: int
    outcome: str
    request_id: str
    trace_id: str
    client_addr: str
    user_agent: str


def outcome_of(status: int) -> str:
    if status < 400:
        return "ok"
    named = {401: "unauthenticated", 403: "denied", 404: "not_found"}
    return named.get(status, "error" if status >= 500 else "rejected")


def row_hash(prev_hash: str, row: AuditRow) -> str:
    fields = asdict(row)
    fields["at"] = row.at.astimezone(UTC).isoformat(timespec="microseconds")
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}|{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    verified: bool
    rows: int
    broken_at: int | None


class ActionAudit:
    """Appends to and reads ``identity.action_audit``.

    Rows are queued by :meth:`record` and written by one background task, many rows per
    commit, so a request never waits for the audit's commit; readers :meth:`flush` first. A
    failed write is retried (rows stay queued, in order) until ``max_pending`` rows wait."""

    def __init__(self, pool: AsyncConnectionPool, *, batch: int = 500, max_pending: int = 100_000):
        self._pool = pool
        self._batch = batch
        self._max_pending = max_pending
        self._pending: deque[AuditRow] = deque()
        self._writer: asyncio.Task[None] | None = None

    def record(self, row: AuditRow) -> None:
        if len(self._pending) >= self._max_pending:
            _LOGGER.error("audit.dropped route=%s pending=%d", row.route, len(self._pending))
            return
        self._pending.append(row)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="action-audit")

    async def flush(self) -> None:
        """Wait until every recorded row is written (or the writer gave up for now)."""
        while self._pending and self._writer is not None:
            await asyncio.shield(self._writer)
            if self._pending and self._writer.done():
                self._writer = asyncio.create_task(self._drain(), name="action-audit")

    async def _drain(self) -> None:
        failures = 0
        while self._pending and failures < 3:
            rows = list(itertools.islice(self._pending, self._batch))
            try:
                await self.append(rows)
            except Exception as error:  # the database is down: keep the rows, retry
                failures += 1
                _LOGGER.error("audit.write_failed rows=%d error=%r", len(rows), error)
                await asyncio.sleep(0.5 * failures)
                continue
            for _ in rows:
                self._pending.popleft()

    async def append(self, rows: list[AuditRow]) -> None:
        """Chain and insert ``rows`` in one transaction, in order."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
            await cur.execute("SELECT hash FROM identity.action_audit ORDER BY id DESC LIMIT 1")
            last = await cur.fetchone()
            prev = last["hash"] if last else GENESIS
            params = []
            for row in rows:
                values = [getattr(row, f) for f in _FIELDS]
                values[_FIELDS.index("resource_ids")] = Jsonb(row.resource_ids)
                digest = row_hash(prev, row)
                params.append((*values, prev, digest))
                prev = digest
            await cur.executemany(
                f"INSERT INTO identity.action_audit ({', '.join(_FIELDS)}, prev_hash, hash) "
                f"VALUES ({', '.join(['%s'] * len(_FIELDS))}, %s, %s)",
                params,
            )

    async def search(
        self, filters: dict[str, str], start: datetime | None, end: datetime | None,
        limit: int, before_id: int | None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """Rows newest first; ``filters`` are exact matches on audit columns."""
        await self.flush()
        clauses, params = ["TRUE"], []
        for column, value in filters.items():
            if column not in _FIELDS:
                raise ValueError(f"cannot filter on {column!r}")
            clauses.append(f"{column} = %s")
            params.append(value)
        for op, moment in ((">=", start), ("<", end)):
            if moment is not None:
                clauses.append(f"at {op} %s")
                params.append(moment)  # type: ignore[arg-type]
        if before_id is not None:
            clauses.append("id < %s")
            params.append(before_id)  # type: ignore[arg-type]
        query = (
            f"SELECT id, {', '.join(_FIELDS)}, hash FROM identity.action_audit "
            f"WHERE {' AND '.join(clauses)} ORDER BY id DESC LIMIT %s"
        )
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, (*params, limit))  # type: ignore[arg-type]
            return list(await cur.fetchall())

    async def verify(self) -> ChainCheck:
        """Recompute the chain from the first row; the first row that does not match."""
        await self.flush()
        prev, count = GENESIS, 0
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT id, {', '.join(_FIELDS)}, prev_hash, hash "
                f"FROM identity.action_audit ORDER BY id"
            )
            async for record in cur:
                row = AuditRow(**{f: record[f] for f in _FIELDS})
                if record["prev_hash"] != prev or row_hash(prev, row) != record["hash"]:
                    return ChainCheck(False, count, int(record["id"]))
                prev, count = record["hash"], count + 1
        return ChainCheck(True, count, None)


def audit_row(scope: Scope, status: int) -> AuditRow | None:
    """The row for a finished request, or None when it is not audited (reads that passed)."""
    method = scope["method"]
    path: str = scope.get("path", "")
    if not path.startswith("/api/") or (method not in _MUTATING and status not in (401, 403)):
        return None
    key = route_key(Request(scope))
    resource, action = ROUTES.get(key, ("", ""))
    principal: Principal | None = scope.get(PRINCIPAL_KEY)
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
    client = scope.get("client") or ("", 0)
    span = trace.get_current_span().get_span_context()
    return AuditRow(
        at=datetime.now(UTC),
        actor_id=principal.subject if principal else "",
        actor_kind=principal.kind if principal else "anonymous",
        roles=sorted(r.value for r in principal.roles) if principal else [],
        method=method, route=key, resource=str(resource), action=str(action),
        resource_ids={k: str(v) for k, v in (scope.get("path_params") or {}).items()},
        status=status, outcome=outcome_of(status),
        request_id=str((scope.get("state") or {}).get("request_id", "")),
        trace_id=f"{span.trace_id:032x}" if span.is_valid else "",
        client_addr=str(client[0]), user_agent=headers.get("user-agent", "")[:300],
    )  # fmt: skip


class AuditMiddleware:
    """Records each audited request once its response is sent (the write never delays or
    fails the request)."""

    def __init__(self, app: ASGIApp, *, audit: ActionAudit) -> None:
        self._app = app
        self._audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, send_status)
        finally:
            row = audit_row(scope, status)
            if row is not None:
                self._audit.record(row)
