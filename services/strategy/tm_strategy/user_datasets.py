"""PostgreSQL rows of users' dataset versions (``strategy.user_datasets``), owner-scoped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

_COLUMNS = (
    "id, owner, name, filename, relative_path, format, size_bytes, content_hash, version, "
    "parent_id, repairs, quality, created_at"
)


@dataclass(frozen=True)
class UserDataset:
    """One stored version; ``quality`` is the report summary (status, errors, warnings...)."""

    id: str
    owner: str
    name: str
    filename: str
    relative_path: str
    format: str
    size_bytes: int
    content_hash: str
    version: str
    parent_id: str
    repairs: list[str]
    quality: dict[str, Any]
    created_at: datetime


class UserDatasetStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def insert(self, row: UserDataset, request_id: str) -> UserDataset:
        """Insert; a repeated ``request_id`` of the same owner returns the first row."""
        try:
            async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(
                    f"INSERT INTO strategy.user_datasets ({_COLUMNS}, request_id) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    f"RETURNING {_COLUMNS}",
                    (
                        row.id,
                        row.owner,
                        row.name,
                        row.filename,
                        row.relative_path,
                        row.format,
                        row.size_bytes,
                        row.content_hash,
                        row.version,
                        row.parent_id,
                        Jsonb(row.repairs),
                        Jsonb(row.quality),
                        row.created_at,
                        request_id or None,
                    ),
                )
                out = await cur.fetchone()
        except pg_errors.UniqueViolation:
            existing = await self.by_request_id(row.owner, request_id)
            if existing is None:
                raise
            return existing
        assert out is not None
        return UserDataset(**out)

    async def by_request_id(self, owner: str, request_id: str) -> UserDataset | None:
        if not request_id:
            return None
        return await self._one("owner = %s AND request_id = %s", (owner, request_id))

    async def get(self, dataset_id: str, owner: str | None) -> UserDataset | None:
        """The row, if ``owner`` owns it (``owner=None``: any owner, for admins)."""
        if owner is None:
            return await self._one("id = %s", (dataset_id,))
        return await self._one("id = %s AND owner = %s", (dataset_id, owner))

    async def list(self, owner: str) -> list[UserDataset]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM strategy.user_datasets WHERE owner = %s "
                "ORDER BY created_at DESC, id",
                (owner,),
            )
            return [UserDataset(**r) for r in await cur.fetchall()]

    async def delete(self, dataset_id: str, owner: str | None) -> UserDataset | None:
        where, args = (
            ("id = %s", (dataset_id,))
            if owner is None
            else ("id = %s AND owner = %s", (dataset_id, owner))
        )
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"DELETE FROM strategy.user_datasets WHERE {where} RETURNING {_COLUMNS}", args
            )
            out = await cur.fetchone()
        return None if out is None else UserDataset(**out)

    async def _one(self, where: str, args: tuple[Any, ...]) -> UserDataset | None:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(f"SELECT {_COLUMNS} FROM strategy.user_datasets WHERE {where}", args)
            out = await cur.fetchone()
        return None if out is None else UserDataset(**out)
