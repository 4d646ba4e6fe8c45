"""HTTP routes of the gateway's own identity: login and who-am-I."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from tm_gateway import api_models as m
from tm_gateway.caller import Caller
from tm_gateway.identity import IdentityService

TAG = "auth"


def user_out(user: Any) -> m.UserOut:
    return m.UserOut(
        id=str(user.id), username=user.username, roles=user.roles, created_at=user.created_at
    )


def auth_router(identity: IdentityService, caller: Callable[..., Awaitable[Caller]]) -> APIRouter:
    """``/auth/login`` (public) and ``/auth/me``."""
    router = APIRouter(tags=[TAG])
    CallerDep = Annotated[Caller, Depends(caller)]

    @router.post("/auth/login", response_model=m.LoginResponse)
    async def login(body: m.LoginRequest, request: Request) -> m.LoginResponse:
        """Exchange username and password for a short-lived access token.

        Failures are throttled per username and per client address (429, retry_after_s).
        """
        client = request.client.host if request.client else ""
        result = await identity.login(body.username, body.password, client)
        return m.LoginResponse(
            access_token=result.access_token,
            expires_at=result.expires_at,
            user=user_out(result.user),
        )

    @router.get("/auth/me", response_model=m.MeResponse)
    async def me(who: CallerDep) -> m.MeResponse:
        """Who the token belongs to."""
        p = who.principal
        username = None
        if p.kind == "user":
            username = (await identity.get_user(p.subject)).username
        return m.MeResponse(
            subject=p.subject,
            kind=p.kind,
            roles=sorted(r.value for r in p.roles),  # type: ignore[misc]
            username=username,
        )

    return router
