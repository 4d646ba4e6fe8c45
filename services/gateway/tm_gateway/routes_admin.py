"""Administration over REST: users, roles, service tokens and the audit log of their changes.

Every route asks the authorization table (``trademaster.service.authz``); the first admin is
still bootstrapped at start-up (``TM_GATEWAY_ADMIN_*``). A change to a user's rights ends every
token that user holds at once (see ``IdentityService._changed``).
"""

import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal

import grpc
from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field
from trademaster.service.authz import SCOPES, Action, Resource, authorize

from tm_gateway.api_models import RoleName
from tm_gateway.http_errors import ApiError
from tm_gateway.identity import IdentityService
from tm_gateway.identity_store import AuditEntry, ServiceTokenRecord, UserRecord

TAG = "admin"
TOKEN_CREATIONS_PER_MINUTE = 20

ScopeName = Literal[tuple(sorted(SCOPES))]  # type: ignore[valid-type]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AdminUserOut(BaseModel):
    id: str = Field(json_schema_extra={"format": "uuid"})
    username: str
    roles: list[RoleName]
    disabled: bool
    created_at: datetime


class AdminUserList(BaseModel):
    users: list[AdminUserOut]
    next_page_token: str = ""


class UserCreate(_Body):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9_.-]{3,64}$")
    password: str = Field(min_length=12, max_length=1024)
    roles: list[RoleName] = Field(min_length=1, max_length=5)


class UserPatch(_Body):
    roles: list[RoleName] | None = Field(default=None, min_length=1, max_length=5)
    disabled: bool | None = None


class PasswordReset(_Body):
    password: str = Field(min_length=12, max_length=1024)


class TokenCreate(_Body):
    name: str = Field(min_length=1, max_length=64)
    scopes: list[ScopeName] = Field(default_factory=list, max_length=len(SCOPES))  # type: ignore[valid-type]
    roles: list[RoleName] = Field(default_factory=list, max_length=4)
    ttl_days: float = Field(default=30.0, gt=0, le=366)


class TokenOut(BaseModel):
    id: str = Field(json_schema_extra={"format": "uuid"})
    name: str
    scopes: list[str]
    roles: list[RoleName]
    creator_id: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class TokenCreated(BaseModel):
    token: str = Field(description="The bearer secret: shown only in this response.")
    service_token: TokenOut


class TokenList(BaseModel):
    service_tokens: list[TokenOut]
    next_page_token: str = ""


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor_id: str
    action: str
    target_id: str
    detail: dict[str, Any]


class AuditList(BaseModel):
    entries: list[AuditOut]
    next_page_token: str = ""


def _user(u: UserRecord) -> AdminUserOut:
    return AdminUserOut(
        id=str(u.id), username=u.username, roles=u.roles, disabled=u.disabled,  # type: ignore[arg-type]
        created_at=u.created_at,
    )  # fmt: skip


def _token(t: ServiceTokenRecord) -> TokenOut:
    return TokenOut(
        id=str(t.id), name=t.name, scopes=t.scopes, roles=t.roles,  # type: ignore[arg-type]
        creator_id=t.creator_id, created_at=t.created_at, expires_at=t.expires_at,
        revoked_at=t.revoked_at,
    )  # fmt: skip


def _audit(e: AuditEntry) -> AuditOut:
    return AuditOut(
        id=e.id, at=e.at, actor_id=e.actor_id, action=e.action, target_id=e.target_id,
        detail=e.detail,
    )  # fmt: skip


class _Window:
    """At most ``limit`` events per ``window_s`` per key (token creation per admin)."""

    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self._limit, self._window = limit, window_s
        self._events: dict[str, deque[float]] = {}

    def take(self, key: str) -> None:
        now = time.monotonic()
        events = self._events.setdefault(key, deque())
        while events and now - events[0] > self._window:
            events.popleft()
        if len(events) >= self._limit:
            raise ApiError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"at most {self._limit} service tokens per minute; retry later",
                reason="TOO_MANY_TOKENS",
            )
        events.append(now)


def admin_router(identity: IdentityService, caller: Callable[..., Awaitable[Any]]) -> APIRouter:
    """Routes under ``/admin``; ``caller`` is the app's auth dependency."""
    router = APIRouter(prefix="/admin", tags=[TAG])
    CallerDep = Annotated[Any, Depends(caller)]
    Page = Annotated[int, Query(ge=0, le=500)]
    Token = Annotated[str, Query(max_length=32)]
    creations = _Window(TOKEN_CREATIONS_PER_MINUTE)

    def admin(who: Any, resource: Resource, action: Action) -> str:
        return authorize(who.principal, resource, action).subject

    @router.get("/users", response_model=AdminUserList)
    async def admin_list_users(who: CallerDep, page_size: Page = 0, page_token: Token = "") -> Any:
        """Every user, disabled ones included."""
        admin(who, Resource.USER, Action.ADMINISTER)
        users, next_page = await identity.list_users(page_size, page_token)
        return AdminUserList(users=[_user(u) for u in users], next_page_token=next_page)

    @router.post("/users", response_model=AdminUserOut, status_code=status.HTTP_201_CREATED)
    async def admin_create_user(body: UserCreate, who: CallerDep) -> Any:
        actor = admin(who, Resource.USER, Action.ADMINISTER)
        return _user(await identity.create_user(body.username, body.password, body.roles, actor))

    @router.patch("/users/{user_id}", response_model=AdminUserOut)
    async def update_user(user_id: str, body: UserPatch, who: CallerDep) -> Any:
        """Replace the roles and/or disable (enable) a user; their tokens stop working at once."""
        actor = admin(who, Resource.USER, Action.ADMINISTER)
        user = None
        if body.roles is not None:
            user = await identity.update_user_roles(user_id, body.roles, actor)
        if body.disabled is not None:
            user = await identity.set_user_disabled(user_id, body.disabled, actor)
        return _user(user or await identity.get_user(user_id))

    @router.post("/users/{user_id}:reset-password", response_model=AdminUserOut)
    async def reset_password(user_id: str, body: PasswordReset, who: CallerDep) -> Any:
        actor = admin(who, Resource.USER, Action.ADMINISTER)
        return _user(await identity.reset_password(user_id, body.password, actor))

    @router.get("/service-tokens", response_model=TokenList)
    async def list_tokens(
        who: CallerDep, page_size: Page = 0, page_token: Token = "", include_inactive: bool = False
    ) -> Any:
        admin(who, Resource.SERVICE_TOKEN, Action.READ)
        tokens, next_page = await identity.list_service_tokens(
            page_size, page_token, include_inactive
        )
        return TokenList(service_tokens=[_token(t) for t in tokens], next_page_token=next_page)

    @router.post(
        "/service-tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED
    )
    async def create_token(body: TokenCreate, who: CallerDep) -> Any:
        """A service token with scopes (or roles) and an expiry; rate-limited per admin."""
        actor = admin(who, Resource.SERVICE_TOKEN, Action.CREATE)
        creations.take(actor)
        record, secret = await identity.create_service_token(
            body.name, body.roles, body.ttl_days * 86_400, actor, scopes=body.scopes
        )
        return TokenCreated(token=secret, service_token=_token(record))

    @router.post("/service-tokens/{token_id}:revoke", response_model=TokenOut)
    async def revoke_token(token_id: str, who: CallerDep) -> Any:
        actor = admin(who, Resource.SERVICE_TOKEN, Action.DELETE)
        return _token(await identity.revoke_service_token(token_id, actor))

    @router.get("/audit", response_model=AuditList)
    async def audit_log(who: CallerDep, page_size: Page = 0, page_token: Token = "") -> Any:
        """Changes to users and service tokens, newest first."""
        admin(who, Resource.USER, Action.ADMINISTER)
        entries, next_page = await identity.audit_log(page_size, page_token)
        return AuditList(entries=[_audit(e) for e in entries], next_page_token=next_page)

    return router
