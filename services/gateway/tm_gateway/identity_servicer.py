"""IdentityService over gRPC, so other teams' services can log in and get service tokens."""

from __future__ import annotations

import logging
from datetime import datetime

import grpc
from google.protobuf import timestamp_pb2
from trademaster.api.identity.v1 import identity_pb2, identity_pb2_grpc
from trademaster.service.auth import current_principal
from trademaster.service.authz import Action, Grant, Resource, authorize
from trademaster.service.errors import NotFound

from tm_gateway.identity import IdentityService
from tm_gateway.identity_store import ServiceTokenRecord, UserRecord

_LOGGER = logging.getLogger(__name__)

FULL_SERVICE_NAME = identity_pb2.DESCRIPTOR.services_by_name["IdentityService"].full_name
PUBLIC_METHODS = frozenset({f"/{FULL_SERVICE_NAME}/Login"})


def role_to_proto(role: str) -> identity_pb2.Role:
    return identity_pb2.Role.Value(f"ROLE_{role.upper()}")


def role_from_proto(value: int) -> str:
    """``ROLE_RISK_OFFICER`` → ``risk_officer``; unknown numbers give a name parse_roles rejects."""
    if value not in identity_pb2.Role.values():
        return f"role_{value}"
    return identity_pb2.Role.Name(value).removeprefix("ROLE_").lower()


def _timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def user_message(user: UserRecord) -> identity_pb2.User:
    return identity_pb2.User(
        user_id=str(user.id),
        username=user.username,
        roles=[role_to_proto(r) for r in user.roles],
        create_time=_timestamp(user.created_at),
    )


def token_message(token: ServiceTokenRecord) -> identity_pb2.ServiceToken:
    return identity_pb2.ServiceToken(
        token_id=str(token.id),
        name=token.name,
        roles=[role_to_proto(r) for r in token.roles],
        creator_id=token.creator_id,
        create_time=_timestamp(token.created_at),
        expire_time=_timestamp(token.expires_at),
        revoke_time=_timestamp(token.revoked_at),
        scopes=token.scopes,
    )


def _require(resource: Resource, action: Action) -> Grant:
    return authorize(current_principal(), resource, action)


class IdentityServicer(identity_pb2_grpc.IdentityServiceServicer):
    """Thin gRPC adapter over :class:`IdentityService`; Login is the only public method."""

    def __init__(self, identity: IdentityService, default_service_token_ttl_s: float) -> None:
        self._identity = identity
        self._default_ttl_s = default_service_token_ttl_s

    async def Login(
        self, request: identity_pb2.LoginRequest, context: grpc.aio.ServicerContext
    ) -> identity_pb2.LoginResponse:
        peer = context.peer() or ""  # "ipv4:127.0.0.1:5555" / "ipv6:[::1]:5555"
        result = await self._identity.login(
            request.username, request.password, peer.rpartition(":")[0]
        )
        return identity_pb2.LoginResponse(
            access_token=result.access_token,
            expire_time=_timestamp(result.expires_at),
            user=user_message(result.user),
        )

    async def CreateUser(
        self, request: identity_pb2.CreateUserRequest, context: grpc.aio.ServicerContext
    ) -> identity_pb2.CreateUserResponse:
        admin = _require(Resource.USER, Action.ADMINISTER)
        user = await self._identity.create_user(
            request.username,
            request.password,
            [role_from_proto(r) for r in request.roles],
            actor_id=admin.subject,
        )
        return identity_pb2.CreateUserResponse(user=user_message(user))

    async def GetUser(
        self, request: identity_pb2.GetUserRequest, context: grpc.aio.ServicerContext
    ) -> identity_pb2.GetUserResponse:
        if not _require(Resource.USER, Action.READ).reaches(request.user_id):
            # Other users are absent, not forbidden: the answer must not confirm they exist.
            raise NotFound(f"user {request.user_id} not found", reason="USER_NOT_FOUND")
        user = await self._identity.get_user(request.user_id)
        return identity_pb2.GetUserResponse(user=user_message(user))

    async def ListUsers(
        self, request: identity_pb2.ListUsersRequest, context: grpc.aio.ServicerContext
    ) -> identity_pb2.ListUsersResponse:
        _require(Resource.USER, Action.ADMINISTER)
        users, next_page = await self._identity.list_users(request.page_size, request.page_token)
        return identity_pb2.ListUsersResponse(
            users=[user_message(u) for u in users], next_page_token=next_page
        )

    async def UpdateUserRoles(
        self, request: identity_pb2.UpdateUserRolesRequest, context: grpc.aio.ServicerContext
    ) -> identity_pb2.UpdateUserRolesResponse:
        admin = _require(Resource.USER, Action.ADMINISTER)
        user = await self._identity.update_user_roles(
            request.user_id, [role_from_proto(r) for r in request.roles], actor_id=admin.subject
        )
        return identity_pb2.UpdateUserRolesResponse(user=user_message(user))

    async def CreateServiceToken(
        self, request: identity_pb2.CreateServiceTokenRequest, context: grpc.aio.ServicerContext
    ) -> identity_pb2.CreateServiceTokenResponse:
        principal = _require(Resource.SERVICE_TOKEN, Action.CREATE)
        # Seconds straight from the message: ToTimedelta() overflows (INTERNAL) on huge values.
        ttl_s = request.ttl.seconds + request.ttl.nanos / 1e9 if request.HasField("ttl") else 0.0
        record, token = await self._identity.create_service_token(
            request.name,
            [role_from_proto(r) for r in request.roles],
            ttl_s or self._default_ttl_s,
            creator_id=principal.subject,
            scopes=list(request.scopes),
        )
        return identity_pb2.CreateServiceTokenResponse(
            service_token=token_message(record), token=token
        )

    async def ListServiceTokens(
        self, request: identity_pb2.ListServiceTokensRequest, context: grpc.aio.ServicerContext
    ) -> identity_pb2.ListServiceTokensResponse:
        _require(Resource.SERVICE_TOKEN, Action.READ)
        tokens, next_page = await self._identity.list_service_tokens(
            request.page_size, request.page_token, request.show_inactive
        )
        return identity_pb2.ListServiceTokensResponse(
            service_tokens=[token_message(t) for t in tokens], next_page_token=next_page
        )

    async def RevokeServiceToken(
        self, request: identity_pb2.RevokeServiceTokenRequest, context: grpc.aio.ServicerContext
    ) -> identity_pb2.RevokeServiceTokenResponse:
        admin = _require(Resource.SERVICE_TOKEN, Action.DELETE)
        record = await self._identity.revoke_service_token(request.token_id, admin.subject)
        return identity_pb2.RevokeServiceTokenResponse(service_token=token_message(record))
