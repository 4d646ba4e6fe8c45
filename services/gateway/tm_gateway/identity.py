"""Identity: password login, users and service tokens. Shared by HTTP, gRPC and the CLI."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import jwt
from trademaster.service.auth import Role, issue_token
from trademaster.service.errors import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unauthenticated,
)
from trademaster.service.ids import parse_uuid
from trademaster.service.revocation import RevokedTokens

from tm_gateway.identity_store import IdentityStore, ServiceTokenRecord, UsernameTaken, UserRecord
from tm_gateway.login_throttle import LoginThrottle
from tm_gateway.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password

_LOGGER = logging.getLogger(__name__)

USERNAME_PATTERN = re.compile(r"^[a-z0-9_.-]{3,64}$")
MAX_PASSWORD_LENGTH = 1024
MAX_TOKEN_NAME_LENGTH = 64
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
INVALID_CREDENTIALS = "INVALID_CREDENTIALS"


@dataclass(frozen=True)
class LoginResult:
    access_token: str
    expires_at: datetime
    user: UserRecord


def parse_roles(values: Iterable[str], field: str = "roles") -> list[Role]:
    """Role names → Role, rejecting unknown ones and an empty set."""
    roles: list[Role] = []
    for value in values:
        try:
            roles.append(Role(value))
        except ValueError:
            raise InvalidArgument(
                f"unknown role {value!r}",
                [(field, f"must be among {[r.value for r in Role]}, was {value!r}")],
            ) from None
    if not roles:
        raise InvalidArgument(
            f"{field} must not be empty", [(field, "must name at least one role")]
        )
    return sorted(set(roles))


def page_bounds(page_size: int, page_token: str) -> tuple[int, int]:
    """(limit, offset) for an offset page token; identity tables are small and rarely written."""
    if page_size < 0:
        raise InvalidArgument(
            f"page_size must be >= 0, was {page_size}",
            [("page_size", f"must be >= 0, was {page_size}")],
        )
    limit = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    if not page_token:
        return limit, 0
    if not page_token.startswith("o") or not page_token[1:].isdigit():
        raise InvalidArgument(
            f"page_token {page_token!r} is not a token returned by a List call",
            [("page_token", "must be a next_page_token returned by a List call")],
            reason="INVALID_PAGE_TOKEN",
        )
    return limit, int(page_token[1:])


def next_token(offset: int, limit: int, returned: int) -> str:
    return f"o{offset + limit}" if returned == limit else ""


class IdentityService:
    """Verifies passwords, issues JWTs signed with the shared secret, manages users and tokens."""

    def __init__(
        self,
        store: IdentityStore,
        *,
        jwt_secret: str,
        jwt_issuer: str,
        token_ttl_s: float = 3600.0,
        throttle: LoginThrottle | None = None,
        revocations: RevokedTokens | None = None,
    ) -> None:
        self._store = store
        self._revocations = revocations
        self._secret = jwt_secret
        self._issuer = jwt_issuer
        self._ttl_s = token_ttl_s
        self._throttle = throttle or LoginThrottle()

    @property
    def store(self) -> IdentityStore:
        return self._store

    async def login(self, username: str, password: str) -> LoginResult:
        """A short-lived access token; the same error for unknown users and wrong passwords."""
        wait_s = self._throttle.retry_after_s(username)
        if wait_s > 0:
            raise ResourceExhausted(
                f"too many failed logins, retry in {wait_s:.0f} s",
                reason="TOO_MANY_LOGIN_ATTEMPTS",
                metadata={"retry_after_s": f"{wait_s:.0f}"},
            )
        user = await self._store.user_by_username(username) if username else None
        ok = verify_password(user.password_hash if user else None, password)
        if not ok or user is None or user.disabled:
            self._throttle.record_failure(username)
            _LOGGER.info("login.failed user.username=%s", username)
            raise Unauthenticated("invalid username or password", reason=INVALID_CREDENTIALS)
        self._throttle.record_success(username)
        token, expires_at = issue_token(
            self._secret,
            str(user.id),
            user.roles,
            ttl_s=self._ttl_s,
            kind="user",
            issuer=self._issuer,
        )
        _LOGGER.info("login.ok user.id=%s", user.id)
        return LoginResult(token, expires_at, user)

    async def create_user(self, username: str, password: str, roles: Iterable[str]) -> UserRecord:
        violations = []
        if not USERNAME_PATTERN.match(username):
            violations.append(
                ("username", f"must be 3 to 64 characters of [a-z0-9_.-], was {username!r}")
            )
        if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
            violations.append(
                (
                    "password",
                    f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters, "
                    f"was {len(password)}",
                )
            )
        if violations:
            raise InvalidArgument(
                "user is invalid: " + ", ".join(f for f, _ in violations), violations
            )
        role_values = [r.value for r in parse_roles(roles)]
        try:
            return await self._store.create_user(username, hash_password(password), role_values)
        except UsernameTaken as exc:
            raise AlreadyExists(str(exc), reason="USERNAME_TAKEN") from exc

    async def get_user(self, user_id: str) -> UserRecord:
        user = await self._store.user_by_id(parse_uuid(user_id, "user_id"))
        if user is None:
            raise NotFound(f"user {user_id} not found", reason="USER_NOT_FOUND")
        return user

    async def list_users(
        self, page_size: int = 0, page_token: str = ""
    ) -> tuple[list[UserRecord], str]:
        limit, offset = page_bounds(page_size, page_token)
        users = await self._store.list_users(limit, offset)
        return users, next_token(offset, limit, len(users))

    async def update_user_roles(self, user_id: str, roles: Iterable[str]) -> UserRecord:
        role_values = [r.value for r in parse_roles(roles)]
        user = await self._store.set_roles(parse_uuid(user_id, "user_id"), role_values)
        if user is None:
            raise NotFound(f"user {user_id} not found", reason="USER_NOT_FOUND")
        return user

    async def create_service_token(
        self, name: str, roles: Iterable[str], ttl_s: float, creator_id: str = ""
    ) -> tuple[ServiceTokenRecord, str]:
        """A long-lived JWT for another team's service; the secret is returned only here."""
        if not name.strip() or len(name) > MAX_TOKEN_NAME_LENGTH:
            raise InvalidArgument(
                f"name must be 1 to {MAX_TOKEN_NAME_LENGTH} characters, was {name!r}",
                [("name", f"must be 1 to {MAX_TOKEN_NAME_LENGTH} characters, was {name!r}")],
            )
        if ttl_s <= 0:
            raise InvalidArgument(
                f"ttl must be > 0 s, was {ttl_s}", [("ttl", f"must be > 0 s, was {ttl_s}")]
            )
        parsed = parse_roles(roles)
        if Role.ADMIN in parsed:
            raise InvalidArgument(
                "service tokens cannot carry the admin role",
                [("roles", "must not include 'admin'")],
            )
        token, expires_at = issue_token(
            self._secret,
            f"service:{name}",
            parsed,
            ttl_s=ttl_s,
            kind="service",
            issuer=self._issuer,
        )
        jti = str(jwt.decode(token, options={"verify_signature": False})["jti"])
        record = await self._store.create_service_token(
            name, [r.value for r in parsed], jti, expires_at, creator_id
        )
        return record, token

    async def list_service_tokens(
        self, page_size: int = 0, page_token: str = "", show_inactive: bool = False
    ) -> tuple[list[ServiceTokenRecord], str]:
        limit, offset = page_bounds(page_size, page_token)
        tokens = await self._store.list_service_tokens(limit, offset, show_inactive)
        return tokens, next_token(offset, limit, len(tokens))

    async def revoke_service_token(self, token_id: str) -> ServiceTokenRecord:
        record = await self._store.revoke_service_token(parse_uuid(token_id, "token_id"))
        if record is None:
            raise NotFound(f"service token {token_id} not found", reason="TOKEN_NOT_FOUND")
        if self._revocations is not None:
            await self._revocations.revoke(record.jti, record.expires_at)
        return record

    async def close(self) -> None:
        """Release the revocation-list client (the pool belongs to the caller)."""
        if self._revocations is not None:
            await self._revocations.close()

    async def is_token_revoked(self, jti: str) -> bool:
        return await self._store.is_jti_revoked(jti)

    async def bootstrap_admin(self, username: str, password: str) -> bool:
        """Create the first admin unless an admin exists; True when one was created."""
        if await self._store.any_admin_exists():
            return False
        try:
            await self.create_user(username, password, [Role.ADMIN.value])
        except AlreadyExists:
            # A replica starting at the same moment won the race; that admin is as good.
            return False
        _LOGGER.info("identity.admin_bootstrapped user.username=%s", username)
        return True
