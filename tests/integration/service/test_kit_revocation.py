"""Revoked tokens are refused by every kit server (real Redis, real gRPC on loopback)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from trademaster.service import auth
from trademaster.service.errors import error_details
from trademaster.service.revocation import RevokedTokens
from trademaster.service.server import create_server, stop_server
from trademaster.service.settings import ServiceSettings

pytestmark = pytest.mark.integration

SECRET = "integration-secret-0123456789abcdef"
SERVICE = "tm.test.v1.Revocation"


async def _whoami(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return auth.current_principal().subject.encode()


def _register(server: grpc.aio.Server) -> None:
    handler = grpc.method_handlers_generic_handler(
        SERVICE, {"WhoAmI": grpc.unary_unary_rpc_method_handler(_whoami)}
    )
    server.add_generic_rpc_handlers((handler,))


@pytest.fixture
async def channel(redis_url: str) -> AsyncIterator[grpc.aio.Channel]:
    settings = ServiceSettings(
        database_url="postgresql://unused", redis_url=redis_url, jwt_secret=SECRET
    )
    server, port = await create_server(
        settings, service_name="revocation", register=_register, full_service_names=[SERVICE]
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as chan:
        yield chan
    await stop_server(server, 0)


def _service_token(name: str) -> tuple[str, str, datetime]:
    token, expires = auth.issue_token(SECRET, name, [auth.Role.TRADER], kind="service")
    jti = auth.verify_token(SECRET, token, "trademaster").token_id
    assert jti is not None
    return token, jti, expires


async def _call(chan: grpc.aio.Channel, token: str) -> bytes:
    rpc = chan.unary_unary(f"/{SERVICE}/WhoAmI")
    return await rpc(b"", metadata=(("authorization", f"Bearer {token}"),), timeout=5)


async def test_revoked_service_token_is_refused_by_grpc_servers(
    channel: grpc.aio.Channel, redis_url: str
) -> None:
    live, _, _ = _service_token("svc-live")
    revoked, revoked_jti, expires = _service_token("svc-revoked")
    revocations = RevokedTokens.from_url(redis_url)
    try:
        await revocations.revoke(revoked_jti, expires)
    finally:
        await revocations.close()

    assert await _call(channel, live) == b"svc-live"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _call(channel, revoked)

    details = error_details(caught.value)
    assert details.code == grpc.StatusCode.UNAUTHENTICATED
    assert details.reason == "TOKEN_REVOKED"


async def test_revocation_reaches_a_server_that_already_accepted_the_token(
    channel: grpc.aio.Channel, redis_url: str
) -> None:
    token, jti, _ = _service_token("svc-later")
    assert await _call(channel, token) == b"svc-later"
    revocations = RevokedTokens.from_url(redis_url)
    try:
        await revocations.revoke(jti, datetime.now(UTC) + timedelta(days=1))
    finally:
        await revocations.close()

    await asyncio.sleep(2.2)  # the server's negative cache lives 2 s

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _call(channel, token)
    assert error_details(caught.value).reason == "TOKEN_REVOKED"
