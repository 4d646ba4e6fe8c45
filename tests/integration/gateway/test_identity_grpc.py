"""IdentityService over real gRPC + PostgreSQL + Redis: table-driven rights, scoped tokens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import grpc
import pytest
from google.protobuf import duration_pb2
from tm_gateway.config import IdentitySettings
from tm_gateway.identity import IdentityService
from tm_gateway.identity_servicer import FULL_SERVICE_NAME, PUBLIC_METHODS, IdentityServicer
from tm_gateway.server import open_identity
from trademaster.api.identity.v1 import identity_pb2 as pb
from trademaster.api.identity.v1 import identity_pb2_grpc
from trademaster.service import auth
from trademaster.service.authz import Action, Resource, allowed
from trademaster.service.errors import error_details
from trademaster.service.server import create_server, stop_server
from trademaster.service.settings import ServiceSettings

pytestmark = pytest.mark.integration

SECRET = "identity-grpc-secret-0123456789abcdef"


@dataclass
class Identity:
    stub: identity_pb2_grpc.IdentityServiceStub
    service: IdentityService
    admin_token: str
    channel: grpc.aio.Channel

    async def login(self, username: str, password: str = "password-123") -> str:
        reply = await self.stub.Login(pb.LoginRequest(username=username, password=password))
        return reply.access_token


def bearer(token: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {token}"),)


@pytest.fixture
async def identity(fresh_database: str, redis_url: str) -> AsyncIterator[Identity]:
    settings = IdentitySettings(database_url=fresh_database, redis_url=redis_url, jwt_secret=SECRET)
    pool, service = await open_identity(settings)
    await service.create_user("root", "password-123", ["admin"])
    servicer = IdentityServicer(service, 86400.0)
    kit = ServiceSettings(database_url=fresh_database, redis_url=redis_url, jwt_secret=SECRET)
    server, port = await create_server(
        kit,
        service_name="identity_test",
        register=lambda s: identity_pb2_grpc.add_IdentityServiceServicer_to_server(servicer, s),
        full_service_names=[FULL_SERVICE_NAME],
        public_methods=PUBLIC_METHODS,
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = identity_pb2_grpc.IdentityServiceStub(channel)
        root = Identity(stub, service, "", channel)
        root.admin_token = await root.login("root")
        yield root
    await stop_server(server, 0)
    await service.close()
    await pool.close()


async def _error(call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return caught.value


async def test_scoped_service_token_carries_exactly_its_scopes(identity: Identity) -> None:
    reply = await identity.stub.CreateServiceToken(
        pb.CreateServiceTokenRequest(
            name="metrics-bot", scopes=["training_job:read", "backtest:read"]
        ),
        metadata=bearer(identity.admin_token),
    )
    principal = auth.verify_token(SECRET, reply.token, "trademaster")

    assert list(reply.service_token.scopes) == ["backtest:read", "training_job:read"]
    assert principal.kind == "service"
    assert principal.scopes == {"backtest:read", "training_job:read"}
    assert allowed(principal, Resource.TRAINING_JOB, Action.READ)
    assert not allowed(principal, Resource.STRATEGY, Action.READ)
    assert not allowed(principal, Resource.TRAINING_JOB, Action.CREATE)


async def test_unknown_scope_is_invalid_argument_naming_the_field(identity: Identity) -> None:
    error = await _error(
        identity.stub.CreateServiceToken(
            pb.CreateServiceTokenRequest(name="bad", scopes=["strategy:explode"]),
            metadata=bearer(identity.admin_token),
        )
    )

    details = error_details(error)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in details.field_violations] == ["scopes"]


@pytest.mark.parametrize("seconds", [10**15, 315_576_000_000, -5])
async def test_out_of_range_ttl_is_invalid_argument_not_internal(
    identity: Identity, seconds: int
) -> None:
    error = await _error(
        identity.stub.CreateServiceToken(
            pb.CreateServiceTokenRequest(
                name="ttl", roles=[pb.ROLE_VIEWER], ttl=duration_pb2.Duration(seconds=seconds)
            ),
            metadata=bearer(identity.admin_token),
        )
    )

    details = error_details(error)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in details.field_violations] == ["ttl"]


async def test_other_users_are_not_found_for_non_admins_and_listing_is_denied(
    identity: Identity,
) -> None:
    alice = await identity.service.create_user("alice", "password-123", ["researcher"])
    bob = await identity.service.create_user("bob", "password-123", ["viewer"])
    alice_token = await identity.login("alice")

    own = await identity.stub.GetUser(
        pb.GetUserRequest(user_id=str(alice.id)), metadata=bearer(alice_token)
    )
    other = await _error(
        identity.stub.GetUser(pb.GetUserRequest(user_id=str(bob.id)), metadata=bearer(alice_token))
    )
    listing = await _error(
        identity.stub.ListUsers(pb.ListUsersRequest(), metadata=bearer(alice_token))
    )

    assert own.user.username == "alice"
    assert other.code() == grpc.StatusCode.NOT_FOUND
    assert "bob" not in (other.details() or "")
    assert listing.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_details(listing).metadata == {
        "permission": "user:administer",
        "required_roles": "admin",
    }


async def _until_refused(call: Callable[[], Awaitable[object]]) -> grpc.aio.AioRpcError:
    """Servers cache a 'not revoked' answer for up to 2 s: retry until the refusal shows."""
    for _ in range(100):
        try:
            await call()
        except grpc.aio.AioRpcError as error:
            return error
        await asyncio.sleep(0.1)
    raise AssertionError("the old token was still accepted after 10 s")


async def test_rights_follow_the_user_at_once(identity: Identity) -> None:
    alice = await identity.service.create_user("alice", "password-123", ["researcher"])
    old = await identity.login("alice")
    get_self = pb.GetUserRequest(user_id=str(alice.id))
    await identity.stub.GetUser(get_self, metadata=bearer(old))

    await identity.stub.UpdateUserRoles(
        pb.UpdateUserRolesRequest(user_id=str(alice.id), roles=[pb.ROLE_VIEWER]),
        metadata=bearer(identity.admin_token),
    )
    demoted = await _until_refused(lambda: identity.stub.GetUser(get_self, metadata=bearer(old)))
    fresh = await identity.login("alice")
    after = await identity.stub.GetUser(get_self, metadata=bearer(fresh))
    await identity.service.set_user_disabled(str(alice.id), True, actor_id="root-id")
    disabled = await _until_refused(lambda: identity.stub.GetUser(get_self, metadata=bearer(fresh)))
    login = await _error(
        identity.stub.Login(pb.LoginRequest(username="alice", password="password-123"))
    )
    audit, _ = await identity.service.audit_log()

    assert error_details(demoted).reason == "TOKEN_REVOKED"
    assert list(after.user.roles) == [pb.ROLE_VIEWER]
    assert error_details(disabled).reason == "TOKEN_REVOKED"
    assert login.code() == grpc.StatusCode.UNAUTHENTICATED
    assert [(e.action, e.target_id) for e in audit[:2]] == [
        ("user.disable", str(alice.id)),
        ("user.roles", str(alice.id)),
    ]
    assert audit[1].detail == {"roles": ["viewer"]}


@pytest.mark.parametrize("username", ["a" * 10_000, "alice\n", ""])
async def test_impossible_usernames_are_plain_login_failures(
    identity: Identity, username: str
) -> None:
    error = await _error(
        identity.stub.Login(pb.LoginRequest(username=username, password="password-123"))
    )

    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_nul_bytes_and_unknown_enums_are_invalid_argument_naming_the_field(
    identity: Identity,
) -> None:
    nul = await _error(identity.stub.Login(pb.LoginRequest(username="ali\x00ce", password="p")))
    enum = await _error(
        identity.stub.CreateUser(
            pb.CreateUserRequest(username="carol", password="password-123", roles=[99]),
            metadata=bearer(identity.admin_token),
        )
    )

    assert error_details(nul).code == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in error_details(nul).field_violations] == ["username"]
    assert [f for f, _ in error_details(enum).field_violations] == ["roles[0]"]


async def test_undecodable_request_bytes_are_invalid_argument(identity: Identity) -> None:
    raw = identity.channel.unary_unary(
        f"/{FULL_SERVICE_NAME}/Login",
        request_serializer=lambda b: b,
        response_deserializer=lambda b: b,
    )

    error = await _error(raw(b"\x0a\xff\xff\xff\xff\x0f"))

    assert error_details(error).reason == "UNDECODABLE_REQUEST"
