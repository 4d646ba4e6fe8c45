"""PostgreSQL persistence for strategies (schema ``strategy``), owner-scoped and versioned."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from trademaster.service.paging import decode_page_token, encode_page_token

_LOGGER = logging.getLogger(__name__)

_COLUMNS = (
    "id, owner, name, description, task, agent, dataset_id, config, version, created_at, updated_at"
)
_SHARED = (
    "EXISTS (SELECT 1 FROM strategy.strategy_shares sh WHERE sh.strategy_id = s.id "
    "AND sh.user_id = %s::text)"
)
"""SQL: the strategy ``s`` is shared with the user given as the parameter (NULL: never)."""
UPDATABLE_FIELDS = frozenset({"name", "description", "task", "agent", "dataset_id", "config"})


class NameTaken(Exception):
    """The owner already has a strategy with this name."""


class VersionConflict(Exception):
    """The row changed since the caller read it (optimistic concurrency)."""

    def __init__(self, strategy_id: uuid.UUID, expected: int, actual: int) -> None:
        super().__init__(
            f"strategy {strategy_id} is at version {actual}, request expected version {expected}"
        )
        self.expected = expected
        self.actual = actual


@dataclass(frozen=True)
class StrategyRecord:
    """One stored strategy; ``version`` grows by one on every update."""

    id: uuid.UUID
    owner: str
    name: str
    description: str
    task: str
    agent: str
    dataset_id: str
    config: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


@dataclass(frozen=True)
class NewStrategy:
    """Fields a caller supplies when creating a strategy."""

    owner: str
    name: str
    description: str
    task: str
    agent: str
    dataset_id: str
    config: dict[str, Any]
    request_id: str = ""


def _record(row: dict[str, Any]) -> StrategyRecord:
    return StrategyRecord(**row)


async def _insert_version(cur: Any, row: dict[str, Any]) -> None:
    await cur.execute(
        "INSERT INTO strategy.strategy_versions (strategy_id, version, name, description, task, "
        "agent, dataset_id, config, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            row["id"],
            row["version"],
            row["name"],
            row["description"],
            row["task"],
            row["agent"],
            row["dataset_id"],
            Jsonb(row["config"]),
            row["updated_at"],
        ),
    )


class StrategyStore:
    """Reads and writes ``strategy.strategies``; every query is scoped to an owner unless
    ``owner`` is None (admins)."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def create(self, new: NewStrategy) -> StrategyRecord:
        """Insert version 1; a repeated ``request_id`` of the same owner returns the first result.

        Raises:
            NameTaken: the owner already has a strategy named ``new.name``.
        """
        if new.request_id:
            existing = await self._by_request_id(new.owner, new.request_id)
            if existing is not None:
                return existing
        try:
            async with (
                self._pool.connection() as conn,
                conn.transaction(),
                conn.cursor(row_factory=dict_row) as cur,
            ):
                await cur.execute(
                    f"INSERT INTO strategy.strategies (id, owner, name, description, task, "
                    f"agent, dataset_id, config, request_id) "
                    f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
                    (
                        uuid.uuid4(),
                        new.owner,
                        new.name,
                        new.description,
                        new.task,
                        new.agent,
                        new.dataset_id,
                        Jsonb(new.config),
                        new.request_id or None,
                    ),
                )
                row = await cur.fetchone()
                assert row is not None
                await _insert_version(cur, row)
        except pg_errors.UniqueViolation as exc:
            if new.request_id and "request" in str(exc.diag.constraint_name):
                existing = await self._by_request_id(new.owner, new.request_id)
                if existing is not None:
                    return existing
            raise NameTaken(f"a strategy named {new.name!r} already exists") from exc
        record = _record(row)
        _LOGGER.info("strategy created strategy.id=%s owner=%s", record.id, record.owner)
        return record

    async def _by_request_id(self, owner: str, request_id: str) -> StrategyRecord | None:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM strategy.strategies WHERE owner = %s AND request_id = %s",
                (owner, request_id),
            )
            row = await cur.fetchone()
        return None if row is None else _record(row)

    async def get(
        self,
        strategy_id: uuid.UUID,
        owner: str | None,
        version: int = 0,
        shared_with: str | None = None,
    ) -> StrategyRecord | None:
        """The strategy (latest, or ``version``), or None when it does not exist, that version
        does not exist, or it belongs to someone other than ``owner`` (None = any owner) and is
        not shared with ``shared_with``."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM strategy.strategies s "
                f"WHERE id = %s AND (%s::text IS NULL OR owner = %s OR {_SHARED})",
                (strategy_id, owner, owner, shared_with),
            )
            row = await cur.fetchone()
            if row is None or version in (0, row["version"]):
                return None if row is None else _record(row)
            await cur.execute(
                "SELECT name, description, task, agent, dataset_id, config, version, updated_at "
                "FROM strategy.strategy_versions WHERE strategy_id = %s AND version = %s",
                (strategy_id, version),
            )
            old = await cur.fetchone()
        return None if old is None else _record({**row, **old})

    async def list(
        self,
        owner: str,
        page_size: int,
        page_token: str = "",
        task: str = "",
        shared_with: str | None = None,
    ) -> tuple[list[StrategyRecord], str]:
        """One page of the owner's strategies, newest first, and the next page token ("" at end);
        with ``shared_with``, those shared with that user instead ('' owner = any owner's).

        Raises:
            PageTokenError: ``page_token`` is not one this store produced.
        """
        if page_size < 1:
            raise ValueError(f"page_size must be >= 1, was {page_size}")
        params: list[Any] = []
        where = "TRUE"
        if owner:
            where += " AND owner = %s"
            params.append(owner)
        if shared_with is not None:
            where += f" AND {_SHARED}"
            params.append(shared_with)
        if task:
            where += " AND task = %s"
            params.append(task)
        if page_token:
            after_time, after_id = decode_page_token(page_token, datetime.fromisoformat, uuid.UUID)
            where += " AND (created_at, id) < (%s, %s)"
            params += [after_time, after_id]
        params.append(page_size + 1)
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM strategy.strategies s WHERE {where} "
                f"ORDER BY created_at DESC, id DESC LIMIT %s",
                params,
            )
            rows = await cur.fetchall()
        records = [_record(r) for r in rows[:page_size]]
        more = len(rows) > page_size
        next_token = (
            encode_page_token(records[-1].created_at.isoformat(), records[-1].id) if more else ""
        )
        return records, next_token

    async def update(
        self,
        strategy_id: uuid.UUID,
        owner: str | None,
        changes: dict[str, Any],
        expected_version: int | None = None,
    ) -> StrategyRecord | None:
        """Apply ``changes`` and bump the version; None when not found for this owner.

        Raises:
            VersionConflict: ``expected_version`` is given and differs from the stored one.
        """
        unknown = set(changes) - UPDATABLE_FIELDS
        if unknown:
            raise ValueError(
                f"fields {sorted(unknown)} cannot be updated, expected a subset of "
                f"{sorted(UPDATABLE_FIELDS)}"
            )
        async with (
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=dict_row) as cur,
        ):
            await cur.execute(
                "SELECT version FROM strategy.strategies "
                "WHERE id = %s AND (%s::text IS NULL OR owner = %s) FOR UPDATE",
                (strategy_id, owner, owner),
            )
            current = await cur.fetchone()
            if current is None:
                return None
            if expected_version is not None and current["version"] != expected_version:
                raise VersionConflict(strategy_id, expected_version, current["version"])
            assignments = ", ".join(f"{name} = %s" for name in changes)
            values = [Jsonb(v) if name == "config" else v for name, v in changes.items()]
            sets = f"{assignments}, " if assignments else ""
            try:
                await cur.execute(
                    f"UPDATE strategy.strategies SET {sets}version = version + 1, "
                    f"updated_at = now() WHERE id = %s RETURNING {_COLUMNS}",
                    [*values, strategy_id],
                )
            except pg_errors.UniqueViolation as exc:
                raise NameTaken(f"a strategy named {changes.get('name')!r} already exists") from exc
            row = await cur.fetchone()
            assert row is not None
            await _insert_version(cur, row)
        _LOGGER.info("strategy updated strategy.id=%s version=%s", strategy_id, row["version"])
        return _record(row)

    async def delete(
        self, strategy_id: uuid.UUID, owner: str | None, expected_version: int | None = None
    ) -> bool:
        """Delete the strategy; False when not found for this owner.

        Raises:
            VersionConflict: ``expected_version`` is given and differs from the stored one.
        """
        async with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            await cur.execute(
                "SELECT version FROM strategy.strategies "
                "WHERE id = %s AND (%s::text IS NULL OR owner = %s) FOR UPDATE",
                (strategy_id, owner, owner),
            )
            current = await cur.fetchone()
            if current is None:
                return False
            if expected_version is not None and current[0] != expected_version:
                raise VersionConflict(strategy_id, expected_version, current[0])
            await cur.execute("DELETE FROM strategy.strategies WHERE id = %s", (strategy_id,))
            deleted = cur.rowcount > 0
        if deleted:
            _LOGGER.info("strategy deleted strategy.id=%s", strategy_id)
        return deleted
