"""Foundation e2e: the whole stack (six services) through the gateway's HTTP API and gRPC."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from support.shared_data import shared_data_path
from trademaster.api.identity.v1 import identity_pb2, identity_pb2_grpc
from trademaster.api.strategy.v1 import strategy_pb2, strategy_pb2_grpc
from trademaster.service.localstack import SERVICE_NAMES, Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def http(stack: Stack) -> Iterator[httpx.Client]:
    assert stack.gateway_url is not None
    with httpx.Client(base_url=stack.gateway_url, timeout=30.0) as client:
        yield client


@pytest.fixture(scope="module")
def admin_token(http: httpx.Client, stack: Stack) -> str:
    reply = http.post(
        "/api/v1/auth/login", json={"username": "admin", "password": stack.admin_password}
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


def _grpc_address(stack: Stack, name: str) -> str:
    """gRPC address of a service; the gateway's is read from its port file (probed over HTTP)."""
    process = stack.services[name]
    if name == "gateway":
        return f"127.0.0.1:{process.port_file.read_text().strip()}"
    return process.address


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _user_token(http: httpx.Client, admin_token: str, stack: Stack, role: str) -> str:
    """Create a user with ``role`` over the identity gRPC API and log in over HTTP."""
    username = f"{role}-{uuid.uuid4().hex[:8]}"
    with grpc.insecure_channel(_grpc_address(stack, "gateway")) as channel:
        identity_pb2_grpc.IdentityServiceStub(channel).CreateUser(
            identity_pb2.CreateUserRequest(
                username=username,
                password=PASSWORD,
                roles=[identity_pb2.Role.Value(f"ROLE_{role.upper()}")],
            ),
            metadata=[("authorization", f"Bearer {admin_token}")],
            timeout=10,
        )
    reply = http.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


def _assert_error_shape(body: dict, status: int, code: str) -> dict:
    error = body["error"]
    assert error["status"] == status
    assert error["code"] == code
    assert error["message"]
    assert error["reason"]
    assert isinstance(error["field_violations"], list)
    assert error["request_id"]
    return error


def test_every_service_is_serving_on_grpc_health(stack: Stack) -> None:
    for name in SERVICE_NAMES:
        with grpc.insecure_channel(_grpc_address(stack, name)) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5
            )
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, name


def test_login_wrong_password_and_unknown_user_get_the_same_401(http: httpx.Client) -> None:
    wrong = http.post("/api/v1/auth/login", json={"username": "admin", "password": "nope-nope"})
    unknown = http.post("/api/v1/auth/login", json={"username": "ghost", "password": "nope-nope"})
    for reply in (wrong, unknown):
        error = _assert_error_shape(reply.json(), 401, "UNAUTHENTICATED")
        assert error["reason"] == "INVALID_CREDENTIALS"
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]


def test_me_reports_the_token_owner(http: httpx.Client, admin_token: str) -> None:
    reply = http.get("/api/v1/auth/me", headers=_bearer(admin_token))
    assert reply.status_code == 200
    assert reply.json()["username"] == "admin"
    assert reply.json()["roles"] == ["admin"]


def test_strategy_lifecycle_over_http_and_grpc(
    http: httpx.Client, admin_token: str, stack: Stack
) -> None:
    token = _user_token(http, admin_token, stack, "researcher")
    created = http.post(
        "/api/v1/strategies",
        headers=_bearer(token),
        json={
            "name": "btc-dqn",
            "task": "algorithmic_trading",
            "agent": "dqn",
            "config": {"agent_params": {"learning_rate": 0.0005}},
        },
    )
    assert created.status_code == 201, created.text
    strategy = created.json()
    assert strategy["version"] == 1
    assert strategy["config"]["agent_params"]["learning_rate"] == 0.0005
    assert strategy["config"]["agent_params"]["gamma"] == 0.99  # default filled in

    listed = http.get("/api/v1/strategies", headers=_bearer(token)).json()
    assert [s["id"] for s in listed["strategies"]] == [strategy["id"]]

    fetched = http.get(f"/api/v1/strategies/{strategy['id']}", headers=_bearer(token))
    assert fetched.json() == strategy

    patched = http.patch(
        f"/api/v1/strategies/{strategy['id']}",
        headers=_bearer(token),
        json={"etag": strategy["etag"], "description": "tuned"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["version"] == 2
    stale = http.patch(
        f"/api/v1/strategies/{strategy['id']}",
        headers=_bearer(token),
        json={"etag": strategy["etag"], "description": "lost update"},
    )
    assert _assert_error_shape(stale.json(), 409, "ABORTED")["reason"] == "ETAG_MISMATCH"

    with grpc.insecure_channel(stack.addresses["strategy"]) as channel:
        over_grpc = strategy_pb2_grpc.StrategyServiceStub(channel).GetStrategy(
            strategy_pb2.GetStrategyRequest(strategy_id=strategy["id"]),
            metadata=[("authorization", f"Bearer {token}")],
            timeout=10,
        )
    assert over_grpc.strategy.description == "tuned"
    assert over_grpc.strategy.version == 2

    deleted = http.delete(f"/api/v1/strategies/{strategy['id']}", headers=_bearer(token))
    assert deleted.status_code == 204
    gone = http.get(f"/api/v1/strategies/{strategy['id']}", headers=_bearer(token))
    assert gone.status_code == 404


def test_no_token_is_401(http: httpx.Client) -> None:
    reply = http.get("/api/v1/strategies")
    assert _assert_error_shape(reply.json(), 401, "UNAUTHENTICATED")["reason"] == "TOKEN_MISSING"
    garbage = http.get("/api/v1/strategies", headers=_bearer("not-a-jwt"))
    assert garbage.status_code == 401


def test_viewer_cannot_create_a_strategy(
    http: httpx.Client, admin_token: str, stack: Stack
) -> None:
    token = _user_token(http, admin_token, stack, "viewer")
    reply = http.post(
        "/api/v1/strategies",
        headers=_bearer(token),
        json={"name": "nope", "task": "algorithmic_trading", "agent": "dqn"},
    )
    _assert_error_shape(reply.json(), 403, "PERMISSION_DENIED")
    assert http.get("/api/v1/strategies", headers=_bearer(token)).status_code == 200


def test_another_users_strategy_is_not_found(
    http: httpx.Client, admin_token: str, stack: Stack
) -> None:
    alice = _user_token(http, admin_token, stack, "researcher")
    bob = _user_token(http, admin_token, stack, "researcher")
    created = http.post(
        "/api/v1/strategies",
        headers=_bearer(alice),
        json={"name": "private", "task": "portfolio_management", "agent": "ppo"},
    )
    assert created.status_code == 201, created.text
    strategy_id = created.json()["id"]
    for reply in (
        http.get(f"/api/v1/strategies/{strategy_id}", headers=_bearer(bob)),
        http.delete(f"/api/v1/strategies/{strategy_id}", headers=_bearer(bob)),
    ):
        error = _assert_error_shape(reply.json(), 404, "NOT_FOUND")
        assert error["reason"] == "STRATEGY_NOT_FOUND"
    assert http.get("/api/v1/strategies", headers=_bearer(bob)).json()["strategies"] == []


def test_invalid_config_lists_every_bad_field(
    http: httpx.Client, admin_token: str, stack: Stack
) -> None:
    token = _user_token(http, admin_token, stack, "researcher")
    reply = http.post(
        "/api/v1/strategies",
        headers=_bearer(token),
        json={
            "name": "bad",
            "task": "algorithmic_trading",
            "agent": "dqn",
            "config": {"agent_params": {"learning_rate": -1, "gamma": 3}, "bogus": 1},
        },
    )
    error = _assert_error_shape(reply.json(), 400, "INVALID_ARGUMENT")
    fields = {v["field"] for v in error["field_violations"]}
    assert fields == {
        "config.agent_params.learning_rate",
        "config.agent_params.gamma",
        "config.bogus",
    }


def test_unknown_route_and_wrong_method_use_the_error_shape(http: httpx.Client) -> None:
    _assert_error_shape(http.get("/api/v1/nope").json(), 404, "NOT_FOUND")
    assert http.put("/healthz").json()["error"]["status"] == 405


def test_probes_and_openapi(http: httpx.Client) -> None:
    assert http.get("/healthz").json() == {"status": "ok"}
    ready = http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["checks"]) == {*SERVICE_NAMES, "database"} - {"gateway"}
    spec = http.get("/openapi.json").json()
    assert "/api/v1/strategies/{strategy_id}" in spec["paths"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_datasets_include_real_files_or_a_synthetic_one(
    http: httpx.Client, admin_token: str
) -> None:
    reply = http.get("/api/v1/datasets", params={"page_size": 500}, headers=_bearer(admin_token))
    assert reply.status_code == 200, reply.text
    datasets = reply.json()["datasets"]
    ids = {d["id"] for d in datasets}
    if shared_data_path().is_dir():
        assert "algorithmic_trading.btc.train.csv" in ids
        btc = http.get(
            "/api/v1/datasets/algorithmic_trading.btc.train.csv", headers=_bearer(admin_token)
        ).json()
        assert btc["rows"] == 900
        assert btc["assets"] == ["BTC"]
    assert any(d["synthetic"] for d in datasets)
