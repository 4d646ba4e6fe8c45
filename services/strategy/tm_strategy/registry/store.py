"""PostgreSQL persistence of registered models, versions, tags and aliases (schema ``strategy``).

Every change writes its history row (``registry.history``) in the same transaction, so the
append-only history is exactly what happened. ``owner`` arguments scope reads and writes to one
owner; None reaches every owner's models.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from trademaster.service.paging import decode_page_token, encode_page_token

from tm_strategy.registry.history import append_history
from tm_strategy.registry.records import (
    EventKind,
    ModelNameTaken,
    ModelRecord,
    NewVersion,
    TooManyTags,
    VersionProtected,
    VersionRecord,
)

_LOGGER = logging.getLogger(__name__)

_MODEL_COLUMNS = "id, owner, name, description, latest_version, created_at, updated_at"
_VERSION_COLUMNS = (
    "v.model_id, v.version, v.owner, v.description, v.training_job_id, v.strategy_id, "
    "v.strategy_version, v.dataset_id, v.dataset_content_hash, v.model_uri, v.run_spec, "
    "v.run_record, v.metrics, v.tags, v.ever_deployed, v.created_at, "
    "COALESCE((SELECT array_agg(a.alias ORDER BY a.alias) FROM strategy.model_aliases a "
    "WHERE a.model_id = v.model_id AND a.version = v.version), '{}') AS aliases"
)
_SCOPE = "(%s::text IS NULL OR owner = %s)"


def _version(row: dict[str, Any]) -> VersionRecord:
    return VersionRecord(**{**row, "aliases": tuple(row["aliases"])})


class RegistryStore:
    """Reads and writes ``registered_models``, ``model_versions`` and ``model_aliases``."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def create_model(
        self, owner: str, name: str, description: str, request_id: str = ""
    ) -> ModelRecord:
        """A new model; a repeated ``request_id`` of the same owner returns the first one.

        Raises:
            ModelNameTaken: the owner already has a model named ``name``.
        """
        if request_id:
            existing = await self._model_by_request(owner, request_id)
            if existing is not None:
                return existing
        model_id = uuid.uuid4()
        try:
            async with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                await cur.execute(
                    "INSERT INTO strategy.registered_models (id, owner, name, description, "
                    "request_id) VALUES (%s, %s, %s, %s, %s)",
                    (model_id, owner, name, description, request_id or None),
                )
                await append_history(cur, model_id, EventKind.MODEL_CREATED, owner)
        except pg_errors.UniqueViolation as exc:
            if request_id and "request" in str(exc.diag.constraint_name):
                existing = await self._model_by_request(owner, request_id)
                if existing is not None:
                    return existing
            raise ModelNameTaken(f"a registered model named {name!r} already exists") from exc
        _LOGGER.info("registry.model_created model.id=%s owner=%s", model_id, owner)
        created = await self.get_model(model_id, owner)
        assert created is not None
        return created

    async def _model_by_request(self, owner: str, request_id: str) -> ModelRecord | None:
        async with self._pool.connection() as conn, conn.cursor() as cur:
            await cur.execute(
                "SELECT id FROM strategy.registered_models WHERE owner = %s AND request_id = %s",
                (owner, request_id),
            )
            row = await cur.fetchone()
        return None if row is None else await self.get_model(row[0], owner)

    async def get_model(self, model_id: uuid.UUID, owner: str | None) -> ModelRecord | None:
        """The model with its aliases, or None when absent or out of ``owner``'s reach."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_MODEL_COLUMNS} FROM strategy.registered_models "
                f"WHERE id = %s AND {_SCOPE}",
                (model_id, owner, owner),
            )
            row = await cur.fetchone()
            if row is None:
                return None
            await cur.execute(
                "SELECT alias, version FROM strategy.model_aliases WHERE model_id = %s",
                (model_id,),
            )
            aliases = {r["alias"]: r["version"] for r in await cur.fetchall()}
        return ModelRecord(**row, aliases=aliases)

    async def list_models(
        self,
        owner: str | None,
        page_size: int,
        page_token: str = "",
        shared_with: str | None = None,
    ) -> tuple[list[ModelRecord], str]:
        """One page of ``owner``'s models (None: any owner's; with ``shared_with`` only those
        shared with that user), with aliases, newest first, and the next token."""
        params: list[Any] = [owner, owner]
        where = "(%s::text IS NULL OR m.owner = %s)"
        if shared_with is not None:
            where += (
                " AND m.id IN (SELECT resource_id FROM strategy.model_shares WHERE user_id = %s)"
            )
            params.append(shared_with)
        if page_token:
            after_time, after_id = decode_page_token(page_token, datetime.fromisoformat, uuid.UUID)
            where += " AND (m.created_at, m.id) < (%s, %s)"
            params += [after_time, after_id]
        columns = ", ".join(f"m.{c.strip()}" for c in _MODEL_COLUMNS.split(","))
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {columns}, COALESCE((SELECT jsonb_object_agg(a.alias, a.version) "
                f"FROM strategy.model_aliases a WHERE a.model_id = m.id), '{{}}') AS aliases "
                f"FROM strategy.registered_models m WHERE {where} "
                f"ORDER BY m.created_at DESC, m.id DESC LIMIT %s",
                [*params, page_size + 1],
            )
            rows = await cur.fetchall()
        records = [ModelRecord(**row) for row in rows[:page_size]]
        last = records[-1] if len(rows) > page_size else None
        token = "" if last is None else encode_page_token(last.created_at.isoformat(), last.id)
        return records, token

    async def create_version(
        self, model_id: uuid.UUID, owner: str | None, new: NewVersion, actor: str
    ) -> VersionRecord | None:
        """The next version of the model; the live version of the same training job if one
        exists (idempotent). None when the model is out of reach."""
        async with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            await cur.execute(
                f"SELECT owner, latest_version FROM strategy.registered_models "
                f"WHERE id = %s AND {_SCOPE} FOR UPDATE",
                (model_id, owner, owner),
            )
            model = await cur.fetchone()
            if model is None:
                return None
            await cur.execute(
                "SELECT version FROM strategy.model_versions "
                "WHERE model_id = %s AND training_job_id = %s AND deleted_at IS NULL",
                (model_id, new.training_job_id),
            )
            existing = await cur.fetchone()
            if existing is None:
                number = model[1] + 1
                await self._insert_version(cur, model_id, number, model[0], new)
                await append_history(cur, model_id, EventKind.VERSION_CREATED, actor, number)
                for key, value in sorted(new.tags.items()):
                    await append_history(
                        cur, model_id, EventKind.TAG_SET, actor, number, tag=(key, value)
                    )
            else:
                number = existing[0]
        if existing is None:
            _LOGGER.info("registry.version_created model.id=%s version=%d", model_id, number)
        return await self.get_version(model_id, number, owner)

    @staticmethod
    async def _insert_version(
        cur: Any, model_id: uuid.UUID, number: int, owner: str, new: NewVersion
    ) -> None:
        await cur.execute(
            "INSERT INTO strategy.model_versions (model_id, version, owner, description, "
            "training_job_id, strategy_id, strategy_version, dataset_id, dataset_content_hash, "
            "model_uri, run_spec, run_record, metrics, tags) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                model_id,
                number,
                owner,
                new.description,
                new.training_job_id,
                new.strategy_id,
                new.strategy_version,
                new.dataset_id,
                new.dataset_content_hash,
                new.model_uri,
                Jsonb(new.run_spec),
                Jsonb(new.run_record),
                Jsonb(new.metrics),
                Jsonb(new.tags),
            ),
        )
        await cur.execute(
            "UPDATE strategy.registered_models SET latest_version = %s, updated_at = now() "
            "WHERE id = %s",
            (number, model_id),
        )

    async def get_version(
        self, model_id: uuid.UUID, version: int, owner: str | None
    ) -> VersionRecord | None:
        """A live (not deleted) version, or None."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_VERSION_COLUMNS} FROM strategy.model_versions v "
                f"WHERE v.model_id = %s AND v.version = %s AND v.deleted_at IS NULL "
                f"AND (%s::text IS NULL OR v.owner = %s)",
                (model_id, version, owner, owner),
            )
            row = await cur.fetchone()
        return None if row is None else _version(row)

    async def list_versions(
        self,
        owner: str | None,
        page_size: int,
        page_token: str = "",
        *,
        model_id: uuid.UUID | None = None,
        filters: dict[str, str] | None = None,
    ) -> tuple[list[VersionRecord], str]:
        """One page of live versions, newest first; ``filters`` match lineage columns
        (``training_job_id``, ``strategy_id``, ``dataset_id``) exactly."""
        where = ["v.deleted_at IS NULL", "(%s::text IS NULL OR v.owner = %s)"]
        params: list[Any] = [owner, owner]
        if model_id is not None:
            where.append("v.model_id = %s")
            params.append(model_id)
        for column, value in sorted((filters or {}).items()):
            if column not in ("training_job_id", "strategy_id", "dataset_id"):
                raise ValueError(f"cannot filter versions by {column!r}")
            if value:
                where.append(f"v.{column} = %s")
                params.append(value)
        if page_token:
            after = decode_page_token(page_token, datetime.fromisoformat, uuid.UUID, int)
            where.append("(v.created_at, v.model_id, v.version) < (%s, %s, %s)")
            params += list(after)
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_VERSION_COLUMNS} FROM strategy.model_versions v "
                f"WHERE {' AND '.join(where)} "
                f"ORDER BY v.created_at DESC, v.model_id DESC, v.version DESC LIMIT %s",
                [*params, page_size + 1],
            )
            rows = await cur.fetchall()
        records = [_version(r) for r in rows[:page_size]]
        last = records[-1] if len(rows) > page_size else None
        token = (
            ""
            if last is None
            else encode_page_token(last.created_at.isoformat(), last.model_id, last.version)
        )
        return records, token

    async def update_tags(
        self,
        model_id: uuid.UUID,
        version: int,
        owner: str | None,
        set_tags: dict[str, str],
        remove_keys: list[str],
        actor: str,
        max_tags: int,
    ) -> VersionRecord | None:
        """Apply tag changes; only real changes reach the history. None when out of reach.

        Raises:
            TooManyTags: the version would carry more than ``max_tags`` tags (nothing written).
        """
        async with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            await cur.execute(
                f"SELECT tags FROM strategy.model_versions WHERE model_id = %s AND version = %s "
                f"AND deleted_at IS NULL AND {_SCOPE} FOR UPDATE",
                (model_id, version, owner, owner),
            )
            row = await cur.fetchone()
            if row is None:
                return None
            tags: dict[str, str] = dict(row[0])
            after = {k: v for k, v in tags.items() if k not in remove_keys} | set_tags
            if len(after) > max_tags:
                raise TooManyTags(
                    f"a version carries at most {max_tags} tags, would be {len(after)}"
                )
            for key in sorted(set(remove_keys)):
                if tags.pop(key, None) is not None:
                    await append_history(
                        cur, model_id, EventKind.TAG_REMOVED, actor, version, tag=(key, "")
                    )
            for key, value in sorted(set_tags.items()):
                if tags.get(key) != value:
                    tags[key] = value
                    await append_history(
                        cur, model_id, EventKind.TAG_SET, actor, version, tag=(key, value)
                    )
            await cur.execute(
                "UPDATE strategy.model_versions SET tags = %s WHERE model_id = %s AND version = %s",
                (Jsonb(tags), model_id, version),
            )
        return await self.get_version(model_id, version, owner)

    async def delete_version(
        self, model_id: uuid.UUID, version: int, owner: str | None, actor: str
    ) -> bool:
        """Mark a version deleted; False when out of reach.

        Raises:
            VersionProtected: it is or was deployed, or an alias names it.
        """
        async with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            if not await lock_model(cur, model_id, owner):
                return False
            await cur.execute(
                "SELECT ever_deployed, (SELECT array_agg(alias ORDER BY alias) "
                "FROM strategy.model_aliases a WHERE a.model_id = v.model_id "
                "AND a.version = v.version) FROM strategy.model_versions v "
                "WHERE model_id = %s AND version = %s AND deleted_at IS NULL FOR UPDATE",
                (model_id, version),
            )
            row = await cur.fetchone()
            if row is None:
                return False
            ever_deployed, aliases = row
            if ever_deployed:
                raise VersionProtected(
                    f"version {version} of model {model_id} is or was deployed; deployed "
                    f"versions are kept for the audit",
                    reason="MODEL_VERSION_DEPLOYED",
                )
            if aliases:
                raise VersionProtected(
                    f"version {version} of model {model_id} is named by alias(es) "
                    f"{', '.join(aliases)}; move or delete them first",
                    reason="MODEL_VERSION_HAS_ALIAS",
                )
            await cur.execute(
                "UPDATE strategy.model_versions SET deleted_at = now() "
                "WHERE model_id = %s AND version = %s",
                (model_id, version),
            )
            await append_history(cur, model_id, EventKind.VERSION_DELETED, actor, version)
            await touch_model(cur, model_id)
        _LOGGER.info("registry.version_deleted model.id=%s version=%d", model_id, version)
        return True


async def lock_model(cur: Any, model_id: uuid.UUID, owner: str | None) -> bool:
    """Serialize changes of one model (aliases, deletions) on its row; False when out of reach."""
    await cur.execute(
        f"SELECT 1 FROM strategy.registered_models WHERE id = %s AND {_SCOPE} FOR UPDATE",
        (model_id, owner, owner),
    )
    return await cur.fetchone() is not None


async def touch_model(cur: Any, model_id: uuid.UUID) -> None:
    await cur.execute(
        "UPDATE strategy.registered_models SET updated_at = now() WHERE id = %s", (model_id,)
    )
