"""Read-only shares of owned resources (training jobs, backtests, registered models), one
mechanism for every service: a ``<schema>.<resource>_shares`` table per resource and the
share-aware ownership checks the servicers run.

The rule (the same as for strategies): the owner (or an admin) shares a resource with a user;
that user *reads* it like its owner would (get, list with ``shared_with_me``, results), and is
told PERMISSION_DENIED (``READ_ONLY_SHARE``) on any change, because they see it anyway. Everyone
else still finds nothing (NOT_FOUND). Shares are checked on every call, so withdrawing one takes
effect at the user's next call.

A service's migration creates the table::

    CREATE TABLE <schema>.<resource>_shares (
        resource_id uuid NOT NULL REFERENCES <schema>.<resources> (id) ON DELETE CASCADE,
        user_id text NOT NULL, created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (resource_id, user_id));
"""

from __future__ import annotations

import builtins
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from google.protobuf.timestamp_pb2 import Timestamp
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from trademaster.api.common.v1 import common_pb2
from trademaster.service.authz import Grant
from trademaster.service.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from trademaster.service.ids import parse_uuid

_LOGGER = logging.getLogger(__name__)

MAX_SHARES = 100
"""Users one resource may be shared with (bounds the share list and each check)."""

T = TypeVar("T")

_NAME = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class ShareRecord:
    resource_id: uuid.UUID
    user_id: str
    created_by: str
    created_at: datetime

    def message(self) -> common_pb2.ResourceShare:
        created = Timestamp()
        created.FromDatetime(self.created_at)
        return common_pb2.ResourceShare(
            resource_id=str(self.resource_id),
            user_id=self.user_id,
            created_by=self.created_by,
            create_time=created,
        )


class ShareTable:
    """Creates, lists, withdraws and checks the shares of one kind of owned resource.

    ``owner`` arguments are the caller's owner scope (``Grant.owner_scope``; None = any owner,
    for admins): a caller who does not own the resource finds nothing to share, list or withdraw.
    """

    def __init__(
        self,
        pool: AsyncConnectionPool,
        *,
        shares: str,
        resources: str,
        noun: str,
        not_found: Callable[[uuid.UUID], Exception],
    ) -> None:
        """``shares``/``resources``: schema-qualified table names (``trainer.job_shares``);
        ``noun`` names the resource in messages; ``not_found`` is the service's own NOT_FOUND."""
        if not (_NAME.match(shares) and _NAME.match(resources)):
            raise ValueError(f"table names must be schema.table, were {shares!r}, {resources!r}")
        self._pool = pool
        self._shares = shares
        self._resources = resources
        self.noun = noun
        self._not_found = not_found
        self._owned = (
            f"SELECT 1 FROM {resources} WHERE id = %s AND (%s::text IS NULL OR owner = %s)"
        )

    async def share(
        self, resource_id: uuid.UUID, owner: str | None, user_id: str, created_by: str
    ) -> ShareRecord | None:
        """The (new or existing) share; None when ``owner`` has no such resource.

        Raises:
            FailedPrecondition: ``TOO_MANY_SHARES`` past :data:`MAX_SHARES`.
        """
        async with (
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=dict_row) as cur,
        ):
            # FOR UPDATE: concurrent shares of one resource count against the cap one at a time.
            await cur.execute(self._owned + " FOR UPDATE", (resource_id, owner, owner))
            if await cur.fetchone() is None:
                return None
            await cur.execute(
                f"SELECT count(*) AS n FROM {self._shares} WHERE resource_id = %s", (resource_id,)
            )
            counted = await cur.fetchone()
            await cur.execute(
                f"SELECT * FROM {self._shares} WHERE resource_id = %s AND user_id = %s",
                (resource_id, user_id),
            )
            row = await cur.fetchone()
            if row is None:
                if counted is not None and counted["n"] >= MAX_SHARES:
                    raise FailedPrecondition(
                        f"the {self.noun} is shared with {MAX_SHARES} users already",
                        reason="TOO_MANY_SHARES",
                        metadata={"max": str(MAX_SHARES)},
                    )
                await cur.execute(
                    f"INSERT INTO {self._shares} (resource_id, user_id, created_by) "
                    "VALUES (%s, %s, %s) ON CONFLICT (resource_id, user_id) DO UPDATE "
                    "SET user_id = EXCLUDED.user_id RETURNING *",
                    (resource_id, user_id, created_by),
                )
                row = await cur.fetchone()
        assert row is not None
        _LOGGER.info("shared %s id=%s user.id=%s", self.noun, resource_id, user_id)
        return ShareRecord(**row)

    async def unshare(self, resource_id: uuid.UUID, owner: str | None, user_id: str) -> bool:
        """Withdraw a share; False when the resource is not the owner's or has no such share."""
        async with self._pool.connection() as conn, conn.cursor() as cur:
            await cur.execute(
                f"DELETE FROM {self._shares} WHERE resource_id = %s AND user_id = %s "
                f"AND EXISTS ({self._owned})",
                (resource_id, user_id, resource_id, owner, owner),
            )
            removed = cur.rowcount > 0
        if removed:
            _LOGGER.info("unshared %s id=%s user.id=%s", self.noun, resource_id, user_id)
        return removed

    async def list(self, resource_id: uuid.UUID, owner: str | None) -> list[ShareRecord] | None:
        """The resource's shares, oldest first; None when ``owner`` has no such resource."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(self._owned, (resource_id, owner, owner))
            if await cur.fetchone() is None:
                return None
            await cur.execute(
                f"SELECT * FROM {self._shares} WHERE resource_id = %s ORDER BY created_at, user_id",
                (resource_id,),
            )
            rows = await cur.fetchall()
        return [ShareRecord(**r) for r in rows]

    async def is_shared(self, resource_id: uuid.UUID, user_id: str) -> bool:
        async with self._pool.connection() as conn, conn.cursor() as cur:
            await cur.execute(
                f"SELECT 1 FROM {self._shares} WHERE resource_id = %s AND user_id = %s",
                (resource_id, user_id),
            )
            return await cur.fetchone() is not None

    # -- the checks servicers run ----------------------------------------------------------------

    async def readable(
        self,
        resource_id: uuid.UUID,
        grant: Grant,
        fetch: Callable[[str | None], Awaitable[T | None]],
    ) -> T | None:
        """``fetch(owner_scope)`` for a read: under the grant's own scope first, then under every
        owner's when the resource is shared with the caller (owners pay no extra query)."""
        found = await fetch(grant.owner_scope)
        shared = found is None and grant.owner_scope is not None
        if shared and await self.is_shared(resource_id, grant.subject):
            return await fetch(None)
        return found

    async def read_scope(self, resource_id: uuid.UUID, grant: Grant) -> str | None:
        """The owner scope a *read* of ``resource_id`` runs under: the grant's own, or every
        owner's (None) when the resource is shared with the caller."""
        scope = grant.owner_scope
        if scope is not None and await self.is_shared(resource_id, grant.subject):
            return None
        return scope

    async def absent_for_writer(
        self, resource_id: uuid.UUID, grant: Grant, otherwise: Exception | None = None
    ) -> Exception:
        """What a change of a resource out of ``grant``'s reach answers: PERMISSION_DENIED
        (``READ_ONLY_SHARE``) when it is shared with the caller (they see it anyway), else
        ``otherwise`` or the service's NOT_FOUND."""
        if grant.owner_scope is not None and await self.is_shared(resource_id, grant.subject):
            return PermissionDenied(
                f"{self.noun} {resource_id} is shared with you read-only",
                reason="READ_ONLY_SHARE",
                metadata={"resource_id": str(resource_id)},
            )
        return otherwise if otherwise is not None else self._not_found(resource_id)

    # -- the three share RPCs, minus their messages ------------------------------------------

    async def share_rpc(
        self, grant: Grant, resource_id: str, field: str, user_id: str
    ) -> ShareRecord:
        parsed = parse_uuid(resource_id, field)
        target = str(parse_uuid(user_id, "user_id"))
        if target == grant.subject:
            raise InvalidArgument(
                "user_id must name another user, was the caller",
                [("user_id", "must name another user, was the caller")],
            )
        share = await self.share(parsed, grant.owner_scope, target, grant.subject)
        if share is None:
            raise await self.absent_for_writer(parsed, grant)
        return share

    async def unshare_rpc(self, grant: Grant, resource_id: str, field: str, user_id: str) -> None:
        parsed = parse_uuid(resource_id, field)
        target = str(parse_uuid(user_id, "user_id"))
        if await self.unshare(parsed, grant.owner_scope, target):
            return
        if await self.list(parsed, grant.owner_scope) is None:
            raise await self.absent_for_writer(parsed, grant)
        raise NotFound(
            f"{self.noun} {parsed} is not shared with user {target}", reason="SHARE_NOT_FOUND"
        )

    async def list_rpc(
        self, grant: Grant, resource_id: str, field: str
    ) -> builtins.list[ShareRecord]:
        parsed = parse_uuid(resource_id, field)
        shares = await self.list(parsed, grant.owner_scope)
        if shares is None:
            raise await self.absent_for_writer(parsed, grant)
        return shares
