from __future__ import annotations

import grpc
import jwt
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from trademaster.service import auth, errors
from trademaster.service.errors import error_details

pytestmark = pytest.mark.unit


def test_issued_token_verifies_to_same_principal() -> None:
    token, expires = auth.issue_token(
        "unit-test-secret-0123456789abcdefghij",
        "svc-backtest",
        [auth.Role.RESEARCHER, "viewer"],
        ttl_s=120,
        kind="service",
    )

    principal = auth.verify_token("unit-test-secret-0123456789abcdefghij", token, "trademaster")

    claims = jwt.decode(
        token, "unit-test-secret-0123456789abcdefghij", algorithms=["HS256"], issuer="trademaster"
    )
    assert principal == auth.Principal(
        "svc-backtest",
        frozenset({auth.Role.RESEARCHER, auth.Role.VIEWER}),
        "service",
        token_id=claims["jti"],
        issued_at=claims["iat"],
        expires_at=claims["exp"],
    )
    assert set(claims) == {"sub", "roles", "kind", "iat", "exp", "iss", "jti"}
    assert claims["exp"] == int(expires.timestamp())


def test_scopes_claim_round_trips_and_must_be_a_list_of_strings() -> None:
    secret = "unit-test-secret-0123456789abcdefghij"
    token, _ = auth.issue_token(secret, "service:bot", [], kind="service", scopes=["b:x", "a:y"])
    forged = jwt.encode(
        {"sub": "s", "iat": 1, "exp": 2**40, "iss": "trademaster", "scopes": "all"},
        secret,
        algorithm="HS256",
    )

    assert auth.verify_token(secret, token, "trademaster").scopes == {"a:y", "b:x"}
    with pytest.raises(errors.Unauthenticated):
        auth.verify_token(secret, forged, "trademaster")


def test_token_with_wrong_secret_or_issuer_is_rejected() -> None:
    token, _ = auth.issue_token(
        "unit-test-secret-0123456789abcdefghij", "alice", [auth.Role.VIEWER]
    )

    with pytest.raises(errors.Unauthenticated) as wrong_secret:
        auth.verify_token("another-secret-0123456789abcdefghij", token, "trademaster")
    with pytest.raises(errors.Unauthenticated) as wrong_issuer:
        auth.verify_token("unit-test-secret-0123456789abcdefghij", token, "someone-else")

    assert wrong_secret.value.reason == "TOKEN_INVALID"
    assert wrong_issuer.value.reason == "TOKEN_INVALID"


def test_unknown_role_in_token_is_rejected() -> None:
    token = jwt.encode(
        {"sub": "x", "roles": ["god"], "iat": 0, "exp": 2**33, "iss": "trademaster"},
        "unit-test-secret-0123456789abcdefghij",
        algorithm="HS256",
    )

    with pytest.raises(errors.Unauthenticated, match="god"):
        auth.verify_token("unit-test-secret-0123456789abcdefghij", token, "trademaster")


def test_issue_token_refuses_non_positive_ttl() -> None:
    with pytest.raises(ValueError, match="ttl_s must be > 0, was 0"):
        auth.issue_token("unit-test-secret-0123456789abcdefghij", "alice", [], ttl_s=0)


def test_principal_has_any() -> None:
    principal = auth.Principal("bob", frozenset({auth.Role.TRADER}), "user")

    assert principal.has_any(auth.Role.ADMIN, auth.Role.TRADER)
    assert not principal.has_any(auth.Role.ADMIN)
    assert not principal.has_any()


def test_current_principal_outside_rpc_is_unauthenticated() -> None:
    with pytest.raises(errors.Unauthenticated):
        auth.current_principal()


async def test_call_without_token_is_unauthenticated(echo_server, bearer) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await echo_server.unary("WhoAmI")(b"")

    details = error_details(caught.value)
    assert details.code is grpc.StatusCode.UNAUTHENTICATED
    assert details.reason == "TOKEN_MISSING"


async def test_call_with_garbage_token_is_unauthenticated(echo_server, bearer) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await echo_server.unary("WhoAmI")(b"", metadata=(("authorization", "Bearer nope"),))

    details = error_details(caught.value)
    assert details.code is grpc.StatusCode.UNAUTHENTICATED
    assert details.reason == "TOKEN_INVALID"


async def test_call_with_expired_token_is_unauthenticated(echo_server, bearer) -> None:
    expired = jwt.encode(
        {"sub": "alice", "roles": [], "iat": 1_000, "exp": 2_000, "iss": "trademaster"},
        echo_server.secret,
        algorithm="HS256",
    )

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await echo_server.unary("WhoAmI")(b"", metadata=(("authorization", f"Bearer {expired}"),))

    assert error_details(caught.value).reason == "TOKEN_EXPIRED"


async def test_valid_token_makes_principal_visible_in_handler(echo_server, bearer) -> None:
    metadata = bearer(auth.Role.TRADER, auth.Role.VIEWER, subject="carol")

    reply = await echo_server.unary("WhoAmI")(b"", metadata=metadata)

    assert reply == b"carol|user|trader,viewer"


async def test_valid_token_reaches_streaming_handler(echo_server, bearer) -> None:
    replies = [r async for r in echo_server.stream("Count")(b"3", metadata=bearer())]

    assert replies == [b"0", b"1", b"2"]


async def test_streaming_call_without_token_is_unauthenticated(echo_server, bearer) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        _ = [r async for r in echo_server.stream("Count")(b"3")]

    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_missing_role_is_permission_denied(echo_server, bearer) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await echo_server.unary("TradersOnly")(b"", metadata=bearer(auth.Role.VIEWER))

    details = error_details(caught.value)
    assert details.code is grpc.StatusCode.PERMISSION_DENIED
    assert details.reason == "MISSING_ROLE"
    assert details.metadata == {"permission": "order:submit", "required_roles": "admin,trader"}


async def test_matching_role_is_allowed(echo_server, bearer) -> None:
    reply = await echo_server.unary("TradersOnly")(b"", metadata=bearer(auth.Role.ADMIN))

    assert reply == b"alice"


async def test_health_and_listed_public_methods_need_no_token(echo_server, bearer) -> None:
    health = health_pb2_grpc.HealthStub(echo_server.channel)

    reply = await health.Check(health_pb2.HealthCheckRequest(service="tm.test.v1.Echo"))
    pong = await echo_server.unary("Ping")(b"")

    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    assert pong == b"pong"
