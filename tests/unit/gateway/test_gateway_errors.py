"""Gateway error mapping: gRPC status → HTTP, rich details kept, one body shape everywhere."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import grpc
import pytest
from fastapi.testclient import TestClient
from tm_gateway.app import create_app
from tm_gateway.backends import Backends
from tm_gateway.http_errors import api_error_from_rpc, http_status_for
from tm_gateway.identity import IdentityService
from trademaster.service.auth import issue_token
from trademaster.service.errors import InvalidArgument, NotFound, to_rpc_status

pytestmark = pytest.mark.unit

SECRET = "gateway-unit-test-secret-0123456789"
ISSUER = "trademaster"


class _FakeRpcError(grpc.RpcError):
    """What a client sees after a kit server aborted with a DomainError."""

    def __init__(self, code: grpc.StatusCode, details: str, trailing: tuple = ()) -> None:
        self._code, self._details, self._trailing = code, details, trailing

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> tuple:
        return self._trailing


def _rich(error: InvalidArgument | NotFound) -> _FakeRpcError:
    status = to_rpc_status(error)
    return _FakeRpcError(
        error.code, error.message, (("grpc-status-details-bin", status.SerializeToString()),)
    )


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (grpc.StatusCode.INVALID_ARGUMENT, 400),
        (grpc.StatusCode.FAILED_PRECONDITION, 400),
        (grpc.StatusCode.UNAUTHENTICATED, 401),
        (grpc.StatusCode.PERMISSION_DENIED, 403),
        (grpc.StatusCode.NOT_FOUND, 404),
        (grpc.StatusCode.ALREADY_EXISTS, 409),
        (grpc.StatusCode.ABORTED, 409),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, 429),
        (grpc.StatusCode.UNAVAILABLE, 503),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 504),
        (grpc.StatusCode.INTERNAL, 500),
        (grpc.StatusCode.UNKNOWN, 500),
    ],
)
def test_grpc_codes_map_to_http_statuses(code: grpc.StatusCode, status: int) -> None:
    assert http_status_for(code) == status


def test_rich_status_keeps_reason_and_field_violations() -> None:
    error = api_error_from_rpc(
        _rich(
            InvalidArgument(
                "bad config",
                [("config.gamma", "must be <= 1, was 3")],
                reason="INVALID_STRATEGY",
            )
        )
    )
    body = error.body("req-1").error
    assert (body.status, body.code, body.reason) == (400, "INVALID_ARGUMENT", "INVALID_STRATEGY")
    assert [(v.field, v.description) for v in body.field_violations] == [
        ("config.gamma", "must be <= 1, was 3")
    ]
    assert body.request_id == "req-1"


def test_internal_error_without_details_hides_the_server_message() -> None:
    error = api_error_from_rpc(
        _FakeRpcError(grpc.StatusCode.UNKNOWN, "Exception calling application: db password x")
    )
    body = error.body("r").error
    assert body.status == 500
    assert "password" not in body.message


@pytest.fixture
def client() -> Iterator[TestClient]:
    # Channels connect lazily, so no backend is contacted by these routes. grpc.aio channels
    # bind to the current event loop; earlier async tests may have closed the default one.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    backends = Backends({"strategy": "127.0.0.1:1"}, timeout_s=0.5)
    identity = IdentityService(None, jwt_secret=SECRET, jwt_issuer=ISSUER)  # type: ignore[arg-type]
    app = create_app(identity, backends, jwt_secret=SECRET, jwt_issuer=ISSUER)
    yield TestClient(app)
    asyncio.set_event_loop(None)
    loop.close()


def _assert_shape(body: dict, status: int, code: str, reason: str) -> None:
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "status", "message", "reason", "field_violations", "request_id"}
    assert (error["status"], error["code"], error["reason"]) == (status, code, reason)


def test_unknown_route_is_404_in_the_error_shape(client: TestClient) -> None:
    reply = client.get("/api/v1/does-not-exist")
    assert reply.status_code == 404
    _assert_shape(reply.json(), 404, "NOT_FOUND", "ROUTE_NOT_FOUND")
    assert reply.headers["x-request-id"] == reply.json()["error"]["request_id"]


def test_wrong_method_is_405_in_the_error_shape(client: TestClient) -> None:
    reply = client.delete("/healthz")
    assert reply.status_code == 405
    _assert_shape(reply.json(), 405, "UNIMPLEMENTED", "METHOD_NOT_ALLOWED")


def test_validation_error_is_400_with_dotted_fields(client: TestClient) -> None:
    reply = client.post("/api/v1/auth/login", json={"username": "", "extra": 1})
    assert reply.status_code == 400
    _assert_shape(reply.json(), 400, "INVALID_ARGUMENT", "INVALID_REQUEST")
    fields = {v["field"] for v in reply.json()["error"]["field_violations"]}
    assert fields == {"username", "password", "extra"}


def test_missing_and_invalid_tokens_are_401(client: TestClient) -> None:
    missing = client.get("/api/v1/strategies")
    _assert_shape(missing.json(), 401, "UNAUTHENTICATED", "TOKEN_MISSING")
    assert missing.headers["www-authenticate"] == "Bearer"
    forged, _ = issue_token("some-other-secret-0123456789abcdef", "u", ["admin"], issuer=ISSUER)
    reply = client.get("/api/v1/strategies", headers={"Authorization": f"Bearer {forged}"})
    _assert_shape(reply.json(), 401, "UNAUTHENTICATED", "TOKEN_INVALID")


def test_incoming_request_id_is_echoed(client: TestClient) -> None:
    reply = client.get("/nope", headers={"x-request-id": "abc123"})
    assert reply.json()["error"]["request_id"] == "abc123"


def test_openapi_declares_bearer_security_and_error_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    create = spec["paths"]["/api/v1/strategies"]["post"]
    assert create["security"] == [{"HTTPBearer": []}]
    assert create["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorBody"
    )
    assert "security" not in spec["paths"]["/api/v1/auth/login"]["post"]
