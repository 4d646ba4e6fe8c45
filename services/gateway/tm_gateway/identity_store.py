"""PostgreSQL persistence for users and service tokens (schema ``identity``)."""

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

_LOGGER = logging.getLogger(__name__)

_USER_COLUMNS = "id, username, password_hash, roles, created_at, disabled"
_TOKEN_COLUMNS = (  # column names  # nosec B105
    "id, name, roles, scopes, jti, creator_id, created_at, expires_at, revoked, revoked_at"
)


class UsernameTaken(Exception):
    """A user with this username already exists."""


@dataclass(frozen=True)
class UserRecord:
    id: uuid.UUID
    username: str
    password_hash: str
    roles: list[str]
    created_at: datetime
    disabled: bool


@dataclass(frozen=True)
class ServiceTokenRecord:
    id: uuid.UUID
    name: str
    roles: list[str]
    scopes: list[str]
    jti: str
    creator_id: str
    created_at: datetime
    expires_at: datetime
    revoked: bool
    revoked_at: datetime | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor_id: str
    action: str
    target_id: str
    detail: dict[str, Any]


class IdentityStore:
    """Users and service tokens; with the action audit, the only writers of schema ``identity``."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def _one(self, sql: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(sql, params)
            return await cur.fetchone()

    async def _all(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(sql, params)
            return await cur.fetchall()

    async def create_user(self, username: str, password_hash: str, roles: list[str]) -> UserRecord:
        """Insert a user; raises UsernameTaken when the username exists."""
        try:
            row = await self._one(
                f"INSERT INTO identity.users (id, username, password_hash, roles) "
                f"VALUES (%s, %s, %s, %s) RETURNING {_USER_COLUMNS}",
                (uuid.uuid4(), username, password_hash, roles),
            )
        except pg_errors.UniqueViolation as exc:
            raise UsernameTaken(f"username {username!r} is already taken") from exc
        assert row is not None
        _LOGGER.info("user created user.username=%s roles=%s", username, roles)
        return UserRecord(**row)

    async def user_by_username(self, username: str) -> UserRecord | None:
        row = await self._one(
            f"SELECT {_USER_COLUMNS} FROM identity.users WHERE username = %s", (username,)
        )
        return None if row is None else UserRecord(**row)

    async def user_by_id(self, user_id: uuid.UUID) -> UserRecord | None:
        row = await self._one(
            f"SELECT {_USER_COLUMNS} FROM identity.users WHERE id = %s", (user_id,)
        )
        return None if row is None else UserRecord(**row)

    async def list_users(self, limit: int, offset: int = 0) -> list[UserRecord]:
        """Users in creation order."""
        rows = await self._all(
            f"SELECT {_USER_COLUMNS} FROM identity.users ORDER BY created_at, id "
            f"LIMIT %s OFFSET %s",
            (limit, offset),
        )
        return [UserRecord(**r) for r in rows]

    async def set_roles(self, user_id: uuid.UUID, roles: list[str]) -> UserRecord | None:
        row = await self._one(
            f"UPDATE identity.users SET roles = %s WHERE id = %s RETURNING {_USER_COLUMNS}",
            (roles, user_id),
        )
        return None if row is None else UserRecord(**row)

    async def set_disabled(self, user_id: uuid.UUID, disabled: bool) -> UserRecord | None:
        row = await self._one(
            f"UPDATE identity.users SET disabled = %s WHERE id = %s RETURNING {_USER_COLUMNS}",
            (disabled, user_id),
        )
        return None if row is None else UserRecord(**row)

    async def set_password_hash(self, user_id: uuid.UUID, password_hash: str) -> UserRecord | None:
        row = await self._one(
            f"UPDATE identity.users SET password_hash = %s WHERE id = %s RETURNING {_USER_COLUMNS}",
            (password_hash, user_id),
        )
        return None if row is None else UserRecord(**row)

    async def audit(
        self, actor_id: str, action: str, target_id: str, detail: dict[str, Any]
    ) -> None:
        await self._one(
            "INSERT INTO identity.audit_log (actor_id, action, target_id, detail) "
            "VALUES (%s, %s, %s, %s) RETURNING id",
            (actor_id, action, target_id, Jsonb(detail)),
        )

    async def audit_entries(self, limit: int, offset: int = 0) -> list[AuditEntry]:
        """Newest first."""
        rows = await self._all(
            "SELECT id, at, actor_id, action, target_id, detail FROM identity.audit_log "
            "ORDER BY at DESC, id DESC LIMIT %s OFFSET %s",
            (limit, offset),
        )
        return [AuditEntry(**r) for r in rows]

    async def any_admin_exists(self) -> bool:
        row = await self._one(
            "SELECT 1 AS one FROM identity.users WHERE 'admin' = ANY(roles) LIMIT 1", ()
        )
        return row is not None

    async def create_service_token(
        self,
        name: str,
        roles: list[str],
        jti: str,
        expires_at: datetime,
        creator_id: str = "",
        scopes: list[str] | None = None,
    ) -> ServiceTokenRecord:
        row = await self._one(
            "INSERT INTO identity.service_tokens "
            "(id, name, roles, scopes, jti, expires_at, creator_id) "
            f"VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {_TOKEN_COLUMNS}",
            (uuid.uuid4(), name, roles, scopes or [], jti, expires_at, creator_id),
        )
        assert row is not None
        _LOGGER.info("service token created token.name=%s token.jti=%s", name, jti)
        return ServiceTokenRecord(**row)

    async def list_service_tokens(
        self, limit: int, offset: int = 0, show_inactive: bool = False
    ) -> list[ServiceTokenRecord]:
        """Tokens in creation order; only active ones unless ``show_inactive``."""
        rows = await self._all(
            f"SELECT {_TOKEN_COLUMNS} FROM identity.service_tokens "
            f"WHERE %s OR (NOT revoked AND expires_at > now()) "
            f"ORDER BY created_at, id LIMIT %s OFFSET %s",
            (show_inactive, limit, offset),
        )
        return [ServiceTokenRecord(**r) for r in rows]

    async def revoke_service_token(self, token_id: uuid.UUID) -> ServiceTokenRecord | None:
        """Mark the token revoked (idempotent); None when no such token."""
        row = await self._one(
            f"UPDATE identity.service_tokens SET revoked = true, "
            f"revoked_at = coalesce(revoked_at, now()) WHERE id = %s RETURNING {_TOKEN_COLUMNS}",
            (token_id,),
        )
        if row is not None:
            _LOGGER.info("service token revoked token.id=%s", token_id)
        return None if row is None else ServiceTokenRecord(**row)

    async def is_jti_revoked(self, jti: str) -> bool:
        row = await self._one("SELECT revoked FROM identity.service_tokens WHERE jti = %s", (jti,))
        return bool(row and row["revoked"])

    async def ping(self) -> None:
        """Round-trip to the database (readiness)."""
        await self._one("SELECT 1 AS one", ())
