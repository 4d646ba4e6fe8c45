"""The HTTP edge: strict JSON bodies, size limit, security headers, OPTIONS from the routes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tm_gateway.app import create_app
from tm_gateway.backends import Backends
from tm_gateway.edge import MAX_BODY_BYTES, MAX_JSON_DEPTH, json_depth
from tm_gateway.identity import IdentityService

pytestmark = pytest.mark.unit

SECRET = "gateway-unit-test-secret-0123456789"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    (tmp_path / "index.html").write_text("<!doctype html><title>ui</title>")
    backends = Backends({"strategy": "127.0.0.1:1"}, timeout_s=0.5)
    identity = IdentityService(None, jwt_secret=SECRET, jwt_issuer="trademaster")  # type: ignore[arg-type]
    app = create_app(
        identity, backends, jwt_secret=SECRET, jwt_issuer="trademaster", static_dir=tmp_path
    )
    yield TestClient(app)
    asyncio.set_event_loop(None)
    loop.close()


def _post(client: TestClient, body: str | bytes) -> tuple[int, dict]:
    reply = client.post(
        "/api/v1/strategies", content=body, headers={"content-type": "application/json"}
    )
    return reply.status_code, reply.json()["error"]


def _nested(levels: int) -> str:
    return '{"name": "x", "config": ' + '{"a": ' * levels + "1" + "}" * levels + "}"


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "x", "config": {"lr": NaN}}',
        '{"name": "x", "config": {"lr": Infinity}}',
        '{"name": "x", "config": {"lr": -Infinity}}',
        '{"name": "x", "config": {"seed": 99999999999999999999999}}',
        '{"name": "x\\u0000y"}',
        _nested(200),
        _nested(10_000),
    ],
    ids=["nan", "inf", "-inf", "int64", "nul", "depth200", "depth10k"],
)
def test_unsafe_json_is_a_400_in_the_error_shape(client: TestClient, body: str) -> None:
    status, error = _post(client, body)

    assert status == 400
    assert error["reason"] == "INVALID_JSON"
    assert error["field_violations"][0]["field"] == "body"


def test_oversized_body_is_413(client: TestClient) -> None:
    status, error = _post(client, b'{"name": "' + b"x" * MAX_BODY_BYTES + b'"}')

    assert status == 413
    assert error["reason"] == "BODY_TOO_LARGE"


def test_multipart_dataset_upload_is_streamed_past_the_body_limit(client: TestClient) -> None:
    big = b"x" * (2 * MAX_BODY_BYTES)
    upload = client.post("/api/v1/datasets", files={"file": ("a.csv", big, "text/csv")})
    assert upload.status_code == 401  # reached the route (no token), was not buffered here
    as_json = client.post(
        "/api/v1/datasets", content=big, headers={"content-type": "application/json"}
    )
    assert as_json.status_code == 413 and as_json.json()["error"]["reason"] == "BODY_TOO_LARGE"
    elsewhere = client.post("/api/v1/strategies", files={"file": ("a.csv", big, "text/csv")})
    assert elsewhere.status_code == 413


def test_strict_json_within_limits_reaches_the_route(client: TestClient) -> None:
    status, error = _post(client, _nested(MAX_JSON_DEPTH - 2))

    assert status == 401  # the route ran: it wants a token
    assert error["reason"] == "TOKEN_MISSING"


def test_json_depth_ignores_brackets_inside_strings() -> None:
    assert json_depth('{"a": "[[[{{{", "b": [1, {"c": "\\"]"}]}') == 3


def test_security_headers_on_api_ui_and_errors(client: TestClient) -> None:
    for reply in (client.get("/healthz"), client.get("/datasets/x.csv"), client.get("/api/v1/x")):
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]
        assert "strict-transport-security" not in reply.headers
    assert "content-security-policy" not in client.get("/docs").headers


def test_hsts_only_behind_tls(client: TestClient) -> None:
    reply = client.get("/healthz", headers={"x-forwarded-proto": "https"})

    assert reply.headers["strict-transport-security"].startswith("max-age=")


def test_dataset_deep_links_reach_the_ui(client: TestClient) -> None:
    reply = client.get("/datasets/local/btc_daily.csv")

    assert reply.status_code == 200
    assert "<title>ui</title>" in reply.text


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/api/v1/auth/login", "OPTIONS, POST"),
        ("/api/v1/strategies", "GET, HEAD, OPTIONS, POST"),
        ("/healthz", "GET, HEAD, OPTIONS"),
    ],
)
def test_options_answers_the_routes_methods(client: TestClient, path: str, allow: str) -> None:
    reply = client.options(path)

    assert reply.status_code == 204
    assert reply.headers["allow"] == allow


@pytest.mark.parametrize("query", ["version=99999999999999999999999", "version=1%00"])
def test_unsafe_query_parameters_are_400(client: TestClient, query: str) -> None:
    reply = client.get(f"/api/v1/strategies/00000000-0000-0000-0000-000000000000?{query}")

    assert reply.status_code == 400
    assert reply.json()["error"]["field_violations"][0]["field"] == "version"


def test_openapi_says_uuid_where_the_servers_require_one(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    parameters = [
        p
        for item in document["paths"].values()
        for operation in item.values()
        for p in operation.get("parameters", [])
        if p["name"] in ("strategy_id", "job_id", "backtest_id")
    ]

    assert parameters
    assert all(p["schema"].get("format") == "uuid" for p in parameters)
