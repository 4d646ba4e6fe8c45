from __future__ import annotations

import time
import uuid

import grpc
import pytest
from trademaster.service import auth
from trademaster.service.clients import insecure_channel

pytestmark = pytest.mark.unit

SERVICE = "tm.test.v1.Echo"
SECRET = "unit-test-secret-0123456789abcdefghij"


def _token() -> str:
    return auth.issue_token(SECRET, "svc-gateway", [auth.Role.ADMIN], kind="service")[0]


async def test_channel_adds_bearer_token_from_provider(echo_server) -> None:
    async with insecure_channel(echo_server.target, token_provider=_token) as channel:
        reply = await channel.unary_unary(f"/{SERVICE}/WhoAmI")(b"")

    assert reply == b"svc-gateway|service|admin"


async def test_unavailable_is_retried_until_success(echo_server) -> None:
    key = uuid.uuid4().hex
    async with insecure_channel(echo_server.target, token_provider=_token) as channel:
        reply = await channel.unary_unary(f"/{SERVICE}/Flaky")(f"{key}:2".encode())

    assert reply == b"3"


async def test_unavailable_gives_up_after_three_tries(echo_server) -> None:
    key = uuid.uuid4().hex
    async with insecure_channel(echo_server.target, token_provider=_token) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await channel.unary_unary(f"/{SERVICE}/Flaky")(f"{key}:5".encode())
        # Calls 1-3 were the first call's three tries; the next call fails twice, then gets 6.
        reply = await channel.unary_unary(f"/{SERVICE}/Flaky")(f"{key}:5".encode())

    assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
    assert reply == b"6"


async def test_other_errors_are_not_retried(echo_server) -> None:
    key = uuid.uuid4().hex.encode()
    async with insecure_channel(echo_server.target, token_provider=_token) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as first:
            await channel.unary_unary(f"/{SERVICE}/Aborted")(key)
        with pytest.raises(grpc.aio.AioRpcError) as second:
            await channel.unary_unary(f"/{SERVICE}/Aborted")(key)

    assert first.value.code() is grpc.StatusCode.ABORTED
    assert (first.value.details(), second.value.details()) == ("1", "2")


async def test_default_deadline_applies_to_every_call(echo_server) -> None:
    async with insecure_channel(
        echo_server.target, token_provider=_token, default_timeout_s=0.3
    ) as channel:
        start = time.monotonic()
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await channel.unary_unary(f"/{SERVICE}/Slow")(b"3")
        elapsed = time.monotonic() - start
        explicit = await channel.unary_unary(f"/{SERVICE}/Slow")(b"0.5", timeout=5)

    assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert elapsed < 2.0
    assert explicit == b"done"
