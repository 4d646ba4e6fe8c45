"""The one writer: every change to the risk schema goes through one queue and group commit.

Work items queued while a transaction is in flight are committed together in the next one (one
round trip per batch with psycopg pipeline mode), in queue order, on a connection the writer
keeps (no pool checkout per batch; statements stay prepared). Within a batch, a *snapshot*
statement (``snapshot``: it sets a row's columns from a full copy, e.g. an order's status) that a
later one of the same kind and key supersedes is dropped, and runs of the same SQL go out as one
``executemany``: an order's ACCEPTED and FILLED updates, or many fills' balance updates, cost
one statement. Audit entries get their
gapless sequence and hash-chain link here, so the chain order is the commit order. A batch
that fails is retried item by item in separate transactions, so one bad item fails alone; its
caller sees the exception (fail closed: an order whose decision is not stored is refused).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from tm_risk.audit import GENESIS, canonical, entry_hash

_LOGGER = logging.getLogger(__name__)

MAX_BATCH = 512
_AUDIT_INSERT = (
    "INSERT INTO risk.audit (seq, entry_id, kind, at_ns, account_id, instrument_id, "
    "client_order_id, decision, dry_run, reasons, body, prev_hash, entry_hash) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)

Statement = tuple[str, Sequence[Any]]
"""One SQL statement and its parameters."""

_SNAPSHOT_KEYS: dict[str, Callable[[Sequence[Any]], tuple[Any, ...]]] = {}


def snapshot(sql: str, key: Callable[[Sequence[Any]], tuple[Any, ...]]) -> str:
    """Register ``sql`` as a snapshot statement whose row is named by ``key(params)``: within a
    batch only the last statement per key is executed (the earlier ones write older copies of
    the same columns of the same row)."""
    _SNAPSHOT_KEYS[sql] = key
    return sql


def compact(statements: list[Statement]) -> list[tuple[str, list[Sequence[Any]]]]:
    """Drop superseded snapshot statements, then group runs of the same SQL (order kept)."""
    seen: set[tuple[str, tuple[Any, ...]]] = set()
    kept: list[Statement] = []
    for sql, params in reversed(statements):
        key_of = _SNAPSHOT_KEYS.get(sql)
        if key_of is not None:
            key = (sql, key_of(params))
            if key in seen:
                continue
            seen.add(key)
        kept.append((sql, params))
    runs: list[tuple[str, list[Sequence[Any]]]] = []
    for sql, params in reversed(kept):
        if runs and runs[-1][0] == sql:
            runs[-1][1].append(params)
        else:
            runs.append((sql, [params]))
    return runs


@dataclass
class AuditEntry:
    """One audit record to append; ``body`` gets ``seq``, ``entry_id``, ``kind``, ``at_ns``."""

    kind: str
    body: dict[str, Any]
    account_id: uuid.UUID | None = None
    instrument_id: str | None = None
    client_order_id: str | None = None
    decision: str | None = None
    dry_run: bool | None = None
    reasons: list[str] = field(default_factory=list)
    entry_id: uuid.UUID = field(default_factory=uuid.uuid4)
    at_ns: int = field(default_factory=time.time_ns)


@dataclass(frozen=True)
class Appended:
    """Where an audit entry landed in the chain."""

    seq: int
    prev_hash: str
    entry_hash: str


@dataclass
class _Work:
    audit: list[AuditEntry]
    statements: list[Statement]
    future: asyncio.Future[list[Appended]]


class Writer:
    """Serializes and group-commits writes; owns the head of the audit chain."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool
        self._queue: asyncio.Queue[_Work] = asyncio.Queue()
        self._seq = 0
        self._head = GENESIS
        self._task: asyncio.Task[None] | None = None
        self._conn: AsyncConnection[Any] | None = None
        self.batches = 0
        self.items = 0

    async def start(self) -> None:
        """Load the chain head and start the writer task."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT seq, entry_hash FROM risk.audit ORDER BY seq DESC LIMIT 1"
            )
            row = await cur.fetchone()
        if row is not None:
            self._seq, self._head = int(row[0]), str(row[1])
        self._task = asyncio.create_task(self._run(), name="risk-writer")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._release()

    async def _connection(self) -> AsyncConnection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = await self._pool.getconn()
        return self._conn

    async def _release(self) -> None:
        """Give the connection back (the pool checks and replaces a broken one)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await self._pool.putconn(conn)

    def submit(
        self, statements: list[Statement], audit: list[AuditEntry] | None = None
    ) -> asyncio.Future[list[Appended]]:
        """Queue writes; the future resolves after their transaction committed."""
        future: asyncio.Future[list[Appended]] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Work(audit or [], statements, future))
        return future

    async def write(
        self, statements: list[Statement], audit: list[AuditEntry] | None = None
    ) -> list[Appended]:
        return await self.submit(statements, audit)

    async def flushed(self) -> None:
        """Wait until every write queued before this call is committed (writes commit in queue
        order), so a database read afterwards sees them: read-your-writes for the API."""
        await self.submit([])

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                results = await self._commit(batch)
            except Exception as error:  # noqa: BLE001 - isolate the failing item below
                _LOGGER.warning("writer.batch_failed items=%d error=%r", len(batch), error)
                for work in batch:
                    await self._commit_alone(work)
                continue
            for work, result in zip(batch, results, strict=True):
                if not work.future.done():
                    work.future.set_result(result)

    async def _commit_alone(self, work: _Work) -> None:
        try:
            result = (await self._commit([work]))[0]
        except Exception as error:  # noqa: BLE001 - handed to the caller
            _LOGGER.error("writer.item_failed error=%r", error)
            if not work.future.done():
                work.future.set_exception(error)
            return
        if not work.future.done():
            work.future.set_result(result)

    async def _commit(self, batch: list[_Work]) -> list[list[Appended]]:
        seq, head = self._seq, self._head
        rows: list[tuple[Any, ...]] = []
        results: list[list[Appended]] = []
        for work in batch:
            appended = []
            for entry in work.audit:
                seq += 1
                entry.body.update(
                    seq=seq, entry_id=str(entry.entry_id), kind=entry.kind, at_ns=entry.at_ns
                )
                text = canonical(entry.body)
                digest = entry_hash(head, text)
                rows.append(
                    (
                        seq,
                        entry.entry_id,
                        entry.kind,
                        entry.at_ns,
                        entry.account_id,
                        entry.instrument_id,
                        entry.client_order_id,
                        entry.decision,
                        entry.dry_run,
                        entry.reasons,
                        text,
                        head,
                        digest,
                    )
                )
                appended.append(Appended(seq, head, digest))
                head = digest
            results.append(appended)
        statements = [s for work in batch for s in work.statements]
        conn = await self._connection()
        try:
            async with conn.transaction(), conn.pipeline():
                cur = conn.cursor()
                if rows:
                    await cur.executemany(_AUDIT_INSERT, rows)
                for sql, params in compact(statements):
                    if len(params) == 1:
                        await cur.execute(sql, params[0])  # type: ignore[arg-type]
                    else:
                        await cur.executemany(sql, params)  # type: ignore[arg-type]
        except Exception:
            await self._release()
            raise
        self._seq, self._head = seq, head
        self.batches += 1
        self.items += len(batch)
        return results
