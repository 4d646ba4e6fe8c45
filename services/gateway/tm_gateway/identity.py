"""Identity: password login, users and service tokens. Shared by HTTP, gRPC and the CLI."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from trademaster.service.auth import Principal, Role, issue_token
from trademaster.service.authz import SCOPES
from trademaster.service.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unauthenticated,
)
from trademaster.service.ids import parse_uuid
from trademaster.service.revocation import RevocationUnavailable, RevokedTokens
from trademaster.service.signing_keys import KeyRing

from tm_gateway.identity_store import (
    AuditEntry,
    IdentityStore,
    ServiceTokenRecord,
    UsernameTaken,
    UserRecord,
)
from tm_gateway.login_throttle import LoginThrottle
from tm_gateway.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password

_LOGGER = logging.getLogger(__name__)

USERNAME_PATTERN = re.compile(r"^[a-z0-9_.-]{3,64}$")
MAX_PASSWORD_LENGTH = 1024
MAX_TOKEN_NAME_LENGTH = 64
MAX_SERVICE_TOKEN_TTL_S = 366 * 86_400
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
INVALID_CREDENTIALS = "INVALID_CREDENTIALS"


@dataclass(frozen=True)
class LoginResult:
    access_token: str
    expires_at: datetime
    user: UserRecord


def _password_violations(password: str) -> list[tuple[str, str]]:
    if MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH and "\x00" not in password:
        return []
    rule = f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters without NUL"
    return [("password", f"{rule}, was {len(password)} characters")]


def _check_password(password: str) -> None:
    violations = _password_violations(password)
    if violations:
        raise InvalidArgument("password is invalid", violations)


def _found(user: UserRecord | None) -> UserRecord:
    if user is None:
        raise NotFound("user not found", reason="USER_NOT_FOUND")
    return user


def parse_scopes(values: Iterable[str], field: str = "scopes") -> list[str]:
    """Known ``resource:action`` scopes (see trademaster.service.authz), sorted, no repeats."""
    scopes = sorted(set(values))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise InvalidArgument(
            f"unknown scopes {unknown}",
            [
                (field, f"unknown scope {s[:100]!r}; see the README's authorization matrix")
                for s in unknown[:10]
            ],
        )
    return scopes


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
        jwt_secret: str | KeyRing,
        jwt_issuer: str,
        token_ttl_s: float = 3600.0,
        throttle: LoginThrottle | None = None,
        address_throttle: LoginThrottle | None = None,
        revocations: RevokedTokens | None = None,
    ) -> None:
        self._store = store
        self._revocations = revocations
        self._secret = jwt_secret
        self._issuer = jwt_issuer
        self._ttl_s = token_ttl_s
        self._throttle = throttle or LoginThrottle()
        # One address may be a NAT for many people: more free attempts than per username.
        self._address_throttle = address_throttle or LoginThrottle(free_attempts=20)
        # argon2 takes ~0.1-0.2 s of CPU: run it in threads, at most this many at once, so a
        # flood of logins neither blocks the event loop nor starves every other request.
        self._hashing = asyncio.Semaphore(2)

    @property
    def store(self) -> IdentityStore:
        return self._store

    async def login(self, username: str, password: str, client: str = "") -> LoginResult:
        """A short-lived access token; the same error for unknown users and wrong passwords.

        Failures are throttled per username and per client address (``client``).
        """
        address_key = f"addr:{client}" if client else ""
        wait_s = max(
            self._throttle.retry_after_s(username),
            self._address_throttle.retry_after_s(address_key) if address_key else 0.0,
        )
        if wait_s > 0:
            raise ResourceExhausted(
                f"too many failed logins, retry in {wait_s:.0f} s",
                reason="TOO_MANY_LOGIN_ATTEMPTS",
                metadata={"retry_after_s": f"{max(wait_s, 1):.0f}"},
            )
        # A username that cannot exist (NUL, oversized) is a plain failure, never a DB error.
        possible = bool(username) and len(username) <= 64 and "\x00" not in username
        user = await self._store.user_by_username(username) if possible else None
        ok = await self._verify(user.password_hash if user else None, password)
        if not ok or user is None or user.disabled:
            self._throttle.record_failure(username[:64])
            if address_key:
                self._address_throttle.record_failure(address_key)
            _LOGGER.info("login.failed user.username=%r", username[:64])
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

    async def _verify(self, password_hash: str | None, password: str) -> bool:
        async with self._hashing:
            return await asyncio.to_thread(verify_password, password_hash, password[:4096])

    async def _hash(self, password: str) -> str:
        async with self._hashing:
            return await asyncio.to_thread(hash_password, password)

    async def _changed(self, actor_id: str, action: str, target_id: str, **detail: Any) -> None:
        """Audit a change; for a user's rights, also end every token they hold right now."""
        await self._store.audit(actor_id, action, target_id, detail)
        if action.startswith("user.") and action != "user.create" and self._revocations:
            await self._revocations.revoke_subject(target_id)
        _LOGGER.info("identity.%s actor=%s target=%s", action, actor_id, target_id)

    async def create_user(
        self, username: str, password: str, roles: Iterable[str], actor_id: str = ""
    ) -> UserRecord:
        violations = []
        if not USERNAME_PATTERN.fullmatch(username):
            violations.append(
                ("username", f"must be 3 to 64 characters of [a-z0-9_.-], was {username!r}")
            )
        violations += _password_violations(password)
        if violations:
            raise InvalidArgument(
                "user is invalid: " + ", ".join(f for f, _ in violations), violations
            )
        role_values = [r.value for r in parse_roles(roles)]
        try:
            user = await self._store.create_user(username, await self._hash(password), role_values)
        except UsernameTaken as exc:
            raise AlreadyExists(str(exc), reason="USERNAME_TAKEN") from exc
        await self._changed(actor_id, "user.create", str(user.id), roles=role_values)
        return user

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

    async def update_user_roles(
        self, user_id: str, roles: Iterable[str], actor_id: str = ""
    ) -> UserRecord:
        role_values = [r.value for r in parse_roles(roles)]
        user = _found(await self._store.set_roles(parse_uuid(user_id, "user_id"), role_values))
        await self._changed(actor_id, "user.roles", str(user.id), roles=role_values)
        return user

    async def set_user_disabled(self, user_id: str, disabled: bool, actor_id: str) -> UserRecord:
        """Disable (or enable) a user; a disabled user's tokens stop working at once."""
        if disabled and user_id == actor_id:
            raise FailedPrecondition("admins cannot disable themselves", reason="SELF_DISABLE")
        user = _found(await self._store.set_disabled(parse_uuid(user_id, "user_id"), disabled))
        await self._changed(actor_id, "user.disable" if disabled else "user.enable", user_id)
        return user

    async def reset_password(self, user_id: str, password: str, actor_id: str) -> UserRecord:
        """Set a new password; the user's current tokens stop working."""
        _check_password(password)
        parsed = parse_uuid(user_id, "user_id")
        user = _found(await self._store.set_password_hash(parsed, await self._hash(password)))
        await self._changed(actor_id, "user.password_reset", user_id)
        return user

    async def audit_log(
        self, page_size: int = 0, page_token: str = ""
    ) -> tuple[list[AuditEntry], str]:
        limit, offset = page_bounds(page_size, page_token)
        entries = await self._store.audit_entries(limit, offset)
        return entries, next_token(offset, limit, len(entries))

    async def create_service_token(
        self,
        name: str,
        roles: Iterable[str],
        ttl_s: float,
        creator_id: str = "",
        scopes: Iterable[str] = (),
    ) -> tuple[ServiceTokenRecord, str]:
        """A long-lived JWT for another team's service; the secret is returned only here.

        With ``scopes`` the token may do exactly those ``resource:action`` pairs (roles are then
        optional and ignored by authorization); without, it gets the scopes of its roles.
        """
        if not name.strip() or len(name) > MAX_TOKEN_NAME_LENGTH:
            raise InvalidArgument(
                f"name must be 1 to {MAX_TOKEN_NAME_LENGTH} characters, was {name!r}",
                [("name", f"must be 1 to {MAX_TOKEN_NAME_LENGTH} characters, was {name!r}")],
            )
        if not 0 < ttl_s <= MAX_SERVICE_TOKEN_TTL_S:
            raise InvalidArgument(
                f"ttl must be > 0 s and <= {MAX_SERVICE_TOKEN_TTL_S} s, was {ttl_s}",
                [
                    (
                        "ttl",
                        f"must be > 0 s and <= {MAX_SERVICE_TOKEN_TTL_S} s (1 year), was {ttl_s}",
                    )
                ],
            )
        scope_list = parse_scopes(scopes)
        role_list = list(roles)
        parsed = parse_roles(role_list) if role_list or not scope_list else []
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
            scopes=scope_list or None,
        )
        jti = str(jwt.decode(token, options={"verify_signature": False})["jti"])
        record = await self._store.create_service_token(
            name, [r.value for r in parsed], jti, expires_at, creator_id, scope_list
        )
        await self._changed(
            creator_id,
            "service_token.create",
            str(record.id),
            name=name,
            scopes=scope_list,
            roles=record.roles,
            expires_at=expires_at.isoformat(),
        )
        return record, token

    async def list_service_tokens(
        self, page_size: int = 0, page_token: str = "", show_inactive: bool = False
    ) -> tuple[list[ServiceTokenRecord], str]:
        limit, offset = page_bounds(page_size, page_token)
        tokens = await self._store.list_service_tokens(limit, offset, show_inactive)
        return tokens, next_token(offset, limit, len(tokens))

    async def revoke_service_token(self, token_id: str, actor_id: str = "") -> ServiceTokenRecord:
        record = await self._store.revoke_service_token(parse_uuid(token_id, "token_id"))
        if record is None:
            raise NotFound(f"service token {token_id} not found", reason="TOKEN_NOT_FOUND")
        if self._revocations is not None:
            await self._revocations.revoke(record.jti, record.expires_at)
        await self._changed(actor_id, "service_token.revoke", str(record.id), name=record.name)
        return record

    async def close(self) -> None:
        """Release the revocation-list client (the pool belongs to the caller)."""
        if self._revocations is not None:
            await self._revocations.close()

    async def is_token_revoked(self, jti: str) -> bool:
        return await self._store.is_jti_revoked(jti)

    async def is_revoked(self, principal: Principal) -> bool:
        """True when the token was revoked or its user's rights changed after it was issued.

        Service tokens are checked in the database (authoritative); user tokens against the
        shared not-before times, or, without Redis, against the user row itself.
        """
        if principal.kind == "service":
            return principal.token_id is not None and await self.is_token_revoked(
                principal.token_id
            )
        if self._revocations is not None and principal.token_id is not None:
            try:
                return await self._revocations.is_revoked(
                    principal.token_id, principal.subject, principal.issued_at
                )
            except RevocationUnavailable:
                _LOGGER.warning("auth.revocation_unchecked subject=%s", principal.subject)
        try:
            user = await self._store.user_by_id(uuid.UUID(principal.subject))
        except ValueError:
            return True
        return user is None or user.disabled

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
