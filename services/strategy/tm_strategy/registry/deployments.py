"""Deployment records of model versions: the minimal row that marks a version as deployed.

Recording one sets the version's ``ever_deployed`` (which forbids deleting it) and appends a
DEPLOYMENT_STARTED history entry in the same transaction; ending one appends DEPLOYMENT_ENDED.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from tm_strategy.registry.history import append_history
from tm_strategy.registry.records import DeploymentRecord, EventKind

_LOGGER = logging.getLogger(__name__)

_COLUMNS = "id, owner, model_id, version, account_id, mode, started_at, ended_at"
MODES = ("paper", "live")


class DeploymentStore:
    """Reads and writes ``strategy.model_deployments``."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def record(
        self,
        owner: str,
        model_id: uuid.UUID,
        version: int,
        account_id: str,
        mode: str,
        request_id: str = "",
    ) -> DeploymentRecord | None:
        """A new record for a live version of ``owner``'s model; None when out of reach. A
        repeated ``request_id`` of the same owner returns the first record."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, was {mode!r}")
        if request_id:
            existing = await self._by_request(owner, request_id)
            if existing is not None:
                return existing
        deployment_id = uuid.uuid4()
        try:
            async with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                await cur.execute(
                    "UPDATE strategy.model_versions SET ever_deployed = true WHERE model_id = %s "
                    "AND version = %s AND owner = %s AND deleted_at IS NULL RETURNING 1",
                    (model_id, version, owner),
                )
                if await cur.fetchone() is None:
                    return None
                await cur.execute(
                    "INSERT INTO strategy.model_deployments (id, owner, model_id, version, "
                    "account_id, mode, request_id) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (deployment_id, owner, model_id, version, account_id, mode, request_id or None),
                )
                await append_history(
                    cur,
                    model_id,
                    EventKind.DEPLOYMENT_STARTED,
                    owner,
                    version,
                    deployment=(deployment_id, account_id),
                )
        except pg_errors.UniqueViolation:
            existing = await self._by_request(owner, request_id) if request_id else None
            if existing is None:
                raise
            return existing
        _LOGGER.info(
            "registry.deployment_recorded deployment.id=%s model.id=%s version=%d account.id=%s",
            deployment_id,
            model_id,
            version,
            account_id,
        )
        found = await self.get(deployment_id, owner)
        assert found is not None
        return found

    async def _by_request(self, owner: str, request_id: str) -> DeploymentRecord | None:
        rows = await self._select("owner = %s AND request_id = %s", (owner, request_id))
        return rows[0] if rows else None

    async def get(self, deployment_id: uuid.UUID, owner: str | None) -> DeploymentRecord | None:
        rows = await self._select(
            "id = %s AND (%s::text IS NULL OR owner = %s)", (deployment_id, owner, owner)
        )
        return rows[0] if rows else None

    async def end(
        self, deployment_id: uuid.UUID, owner: str | None, actor: str
    ) -> DeploymentRecord | None:
        """End an active deployment (an ended one is returned unchanged); None when absent."""
        async with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            await cur.execute(
                "UPDATE strategy.model_deployments SET ended_at = now() WHERE id = %s "
                "AND (%s::text IS NULL OR owner = %s) AND ended_at IS NULL "
                "RETURNING model_id, version, account_id",
                (deployment_id, owner, owner),
            )
            row = await cur.fetchone()
            if row is not None:
                await append_history(
                    cur,
                    row[0],
                    EventKind.DEPLOYMENT_ENDED,
                    actor,
                    row[1],
                    deployment=(deployment_id, row[2]),
                )
        return await self.get(deployment_id, owner)

    async def of_version(self, model_id: uuid.UUID, version: int) -> list[DeploymentRecord]:
        return await self._select(
            "model_id = %s AND version = %s ORDER BY started_at", (model_id, version)
        )

    async def by_ids(self, ids: Sequence[uuid.UUID], owner: str | None) -> list[DeploymentRecord]:
        """Records of ``ids`` in the given order, skipping those out of ``owner``'s reach."""
        if not ids:
            return []
        rows = await self._select(
            "id = ANY(%s) AND (%s::text IS NULL OR owner = %s)", (list(ids), owner, owner)
        )
        by_id = {r.id: r for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def _select(self, where: str, params: Sequence[Any]) -> list[DeploymentRecord]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM strategy.model_deployments WHERE {where}", params
            )
            return [DeploymentRecord(**row) for row in await cur.fetchall()]
