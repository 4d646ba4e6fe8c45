"""Aliases of registered models (``champion``, ``challenger``): one per name, moved freely;
every move is appended to the history in the same transaction."""

from __future__ import annotations

import uuid

from psycopg_pool import AsyncConnectionPool

from tm_strategy.registry.history import append_history
from tm_strategy.registry.records import EventKind
from tm_strategy.registry.store import lock_model, touch_model


class AliasStore:
    """Writes ``strategy.model_aliases`` (reads come with the model and version records)."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def set_alias(
        self, model_id: uuid.UUID, alias: str, version: int, owner: str | None, actor: str
    ) -> bool:
        """Point ``alias`` at a live version; False when the model or version is out of reach."""
        async with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            if not await lock_model(cur, model_id, owner):
                return False
            await cur.execute(
                "SELECT 1 FROM strategy.model_versions "
                "WHERE model_id = %s AND version = %s AND deleted_at IS NULL",
                (model_id, version),
            )
            if await cur.fetchone() is None:
                return False
            await cur.execute(
                "INSERT INTO strategy.model_aliases (model_id, alias, version) "
                "VALUES (%s, %s, %s) ON CONFLICT (model_id, alias) DO UPDATE "
                "SET version = EXCLUDED.version, updated_at = now() "
                "WHERE strategy.model_aliases.version <> EXCLUDED.version RETURNING 1",
                (model_id, alias, version),
            )
            if await cur.fetchone() is not None:
                await append_history(
                    cur, model_id, EventKind.ALIAS_SET, actor, version, alias=alias
                )
                await touch_model(cur, model_id)
        return True

    async def delete_alias(
        self, model_id: uuid.UUID, alias: str, owner: str | None, actor: str
    ) -> bool:
        """Remove ``alias``; False only when the model is out of reach."""
        async with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            if not await lock_model(cur, model_id, owner):
                return False
            await cur.execute(
                "DELETE FROM strategy.model_aliases WHERE model_id = %s AND alias = %s "
                "RETURNING version",
                (model_id, alias),
            )
            row = await cur.fetchone()
            if row is not None:
                await append_history(
                    cur, model_id, EventKind.ALIAS_REMOVED, actor, row[0], alias=alias
                )
                await touch_model(cur, model_id)
        return True
