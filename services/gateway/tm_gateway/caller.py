"""The HTTP auth dependency: a bearer JWT, verified and checked against revocations, becomes the
:class:`Caller` every route receives (and whose token it forwards to the backends)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import grpc
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from trademaster.service.auth import Principal, verify_token
from trademaster.service.signing_keys import KeyRing

from tm_gateway.action_audit import PRINCIPAL_KEY
from tm_gateway.edge import authorize_route
from tm_gateway.http_errors import ApiError
from tm_gateway.identity import IdentityService


@dataclass(frozen=True)
class Caller:
    """The authenticated caller and the token to forward to backends."""

    principal: Principal
    token: str


def bearer_caller(
    identity: IdentityService, jwt_secret: str | KeyRing, jwt_issuer: str
) -> Callable[..., Awaitable[Caller]]:
    """The FastAPI dependency answering the :class:`Caller` of a request (401 otherwise)."""
    bearer = HTTPBearer(auto_error=False, description="JWT from POST /api/v1/auth/login.")

    async def caller(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Caller:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise ApiError(
                grpc.StatusCode.UNAUTHENTICATED,
                "missing 'Authorization: Bearer <token>' header",
                reason="TOKEN_MISSING",
            )
        principal = verify_token(jwt_secret, credentials.credentials, jwt_issuer)
        if await identity.is_revoked(principal):
            raise ApiError(grpc.StatusCode.UNAUTHENTICATED, "token revoked", reason="TOKEN_REVOKED")
        return Caller(principal, credentials.credentials)

    return caller


def route_authorized(
    caller: Callable[..., Awaitable[Caller]],
) -> Callable[..., Awaitable[Caller]]:
    """``caller``, refused (403) unless the authorization table lets it call this route at all;
    ownership stays the services' business. Runs before the body is read, so a 403 never depends
    on what was sent, and a route missing from the table is refused."""

    async def authorized(request: Request, who: Annotated[Caller, Depends(caller)]) -> Caller:
        request.scope[PRINCIPAL_KEY] = who.principal  # the action audit's "who"
        authorize_route(who.principal, request)
        return who

    return authorized
