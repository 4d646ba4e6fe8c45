"""JWT identity for every service: tokens, the principal of the current RPC, role checks.

The gateway issues short-lived HS256 tokens; every server verifies them with ``AuthInterceptor``
and servicers ask ``current_principal()`` / ``require_roles()`` (or ``check_roles()``).
"""

from __future__ import annotations

import contextvars
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

import grpc
import jwt
from grpc_health.v1 import health
from grpc_reflection.v1alpha import reflection

from trademaster.service.errors import (
    PermissionDenied,
    Unauthenticated,
    Unavailable,
    abort_with_error,
)
from trademaster.service.handler_wrapping import wrap_handler
from trademaster.service.revocation import RevocationUnavailable, RevokedTokens

_LOGGER = logging.getLogger(__name__)

_ALGORITHM = "HS256"
_BEARER = "bearer "
PUBLIC_SERVICES = frozenset(
    {health.SERVICE_NAME, reflection.SERVICE_NAME, "grpc.reflection.v1.ServerReflection"}
)
"""Services callable without a token (probes and tooling)."""


class Role(StrEnum):
    VIEWER = "viewer"
    RESEARCHER = "researcher"
    TRADER = "trader"
    RISK_OFFICER = "risk_officer"
    ADMIN = "admin"


PrincipalKind = Literal["user", "service"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: token subject, roles, and whether it is a person or another system."""

    subject: str
    roles: frozenset[Role]
    kind: PrincipalKind
    token_id: str | None = None
    """The token's ``jti`` claim; what revocation is keyed on."""
    scopes: frozenset[str] | None = None
    """A service token's scopes (``resource:action``, see ``trademaster.service.authz``); None
    for users and for service tokens issued before scopes existed."""

    def has_any(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)


_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "tm_principal", default=None
)


def issue_token(
    secret: str,
    subject: str,
    roles: Iterable[Role | str],
    *,
    ttl_s: float = 3600,
    kind: PrincipalKind = "user",
    issuer: str = "trademaster",
) -> tuple[str, datetime]:
    """Sign an HS256 JWT for ``subject``; returns the token and its expiry (UTC)."""
    if ttl_s <= 0:
        raise ValueError(f"ttl_s must be > 0, was {ttl_s}")
    if kind not in ("user", "service"):
        raise ValueError(f"kind must be 'user' or 'service', was {kind!r}")
    role_values = sorted(Role(role).value for role in roles)
    now = datetime.now(UTC).replace(microsecond=0)
    expires = now + timedelta(seconds=ttl_s)
    claims = {
        "sub": subject,
        "roles": role_values,
        "kind": kind,
        "iat": now,
        "exp": expires,
        "iss": issuer,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM), expires


def verify_token(secret: str, token: str, issuer: str) -> Principal:
    """Check signature, expiry and issuer; raise ``Unauthenticated`` on any problem."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            issuer=issuer,
            options={"require": ["sub", "exp", "iat", "iss"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise Unauthenticated("token expired", reason="TOKEN_EXPIRED") from error
    except jwt.InvalidTokenError as error:
        raise Unauthenticated(f"invalid token: {error}", reason="TOKEN_INVALID") from error
    kind = claims.get("kind", "user")
    raw_roles = claims.get("roles", [])
    if kind not in ("user", "service") or not isinstance(raw_roles, list):
        raise Unauthenticated(
            f"invalid token claims: kind={kind!r} roles={raw_roles!r}", reason="TOKEN_INVALID"
        )
    try:
        roles = frozenset(Role(role) for role in raw_roles)
    except ValueError as error:
        raise Unauthenticated(f"invalid token role: {error}", reason="TOKEN_INVALID") from error
    jti = claims.get("jti")
    return Principal(
        subject=str(claims["sub"]),
        roles=roles,
        kind=kind,
        token_id=str(jti) if jti is not None else None,
    )


def current_principal() -> Principal:
    """The authenticated caller of the RPC being served; raises ``Unauthenticated`` if none."""
    principal = _principal.get()
    if principal is None:
        raise Unauthenticated("no authenticated principal for this call", reason="NO_PRINCIPAL")
    return principal


def require_roles(*roles: Role) -> Principal:
    """Return the caller if it has any of ``roles``; raise ``PermissionDenied`` otherwise."""
    return check_roles(current_principal(), *roles)


def check_roles(principal: Principal, *roles: Role) -> Principal:
    """Return ``principal`` if it has any of ``roles``; raise ``PermissionDenied`` otherwise.

    For servicers that take the principal from an injected provider rather than the context.
    """
    if not principal.has_any(*roles):
        wanted = ", ".join(sorted(role.value for role in roles))
        raise PermissionDenied(
            f"requires one of roles [{wanted}], caller {principal.subject!r} has "
            f"[{', '.join(sorted(role.value for role in principal.roles))}]",
            reason="MISSING_ROLE",
            metadata={"required_roles": wanted},
        )
    return principal


def _bearer_token(metadata: Any) -> str | None:
    for key, value in metadata or ():
        if key == "authorization":
            text = value if isinstance(value, str) else value.decode()
            if text.lower().startswith(_BEARER):
                return text[len(_BEARER) :].strip()
            raise Unauthenticated(
                "authorization metadata must be 'Bearer <token>'", reason="TOKEN_INVALID"
            )
    return None


def is_public(method: str, public_methods: frozenset[str]) -> bool:
    """True for ``/pkg.Service/Method`` names listed, or any method of PUBLIC_SERVICES."""
    service = method.lstrip("/").split("/", 1)[0]
    return method in public_methods or service in PUBLIC_SERVICES


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Verifies ``authorization: Bearer <jwt>`` and exposes the caller via ``current_principal``.

    ``public_methods`` holds full method names (``/pkg.Service/Method``) callable without a token;
    health and reflection are always public. With ``revocations``, revoked tokens are refused
    (see ``trademaster.service.revocation`` for the fail-closed/open rule).
    """

    def __init__(
        self,
        secret: str,
        issuer: str,
        public_methods: frozenset[str] = frozenset(),
        *,
        revocations: RevokedTokens | None = None,
    ) -> None:
        self._secret = secret
        self._issuer = issuer
        self._public = public_methods
        self._revocations = revocations

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if is_public(method, self._public):
            return handler
        metadata = handler_call_details.invocation_metadata

        @asynccontextmanager
        async def around(_request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
            try:
                token = _bearer_token(metadata)
                if token is None:
                    raise Unauthenticated(
                        "missing authorization metadata 'Bearer <token>'", reason="TOKEN_MISSING"
                    )
                principal = verify_token(self._secret, token, self._issuer)
                await self._check_not_revoked(principal)
            except (Unauthenticated, Unavailable) as error:
                _LOGGER.info("auth.rejected method=%s reason=%s", method, error.reason)
                await abort_with_error(context, error)
            reset = _principal.set(principal)
            try:
                yield
            finally:
                _principal.reset(reset)

        return wrap_handler(handler, around)

    async def _check_not_revoked(self, principal: Principal) -> None:
        if self._revocations is None or principal.token_id is None:
            return
        try:
            revoked = await self._revocations.is_revoked(principal.token_id)
        except RevocationUnavailable as error:
            if principal.kind == "service":
                raise Unavailable(str(error), reason="REVOCATION_LIST_UNAVAILABLE") from error
            _LOGGER.warning(
                "auth.revocation_unchecked subject=%s error=%s", principal.subject, error
            )
            return
        if revoked:
            raise Unauthenticated("token revoked", reason="TOKEN_REVOKED")
