"""Cross-owner REST matrix on the whole stack, generated from the one authorization table:
every owner-scoped route (``authz.ROUTES`` with a path parameter on an owned resource) is called
with user A's resources as user B, and as users A shared A's strategy, training job, backtest
and model with.

B gets 404 everywhere, also for the shared resources (shared, but not with B); routes B's roles
do not allow answer 403 ``MISSING_ROLE`` without the resource's data. The users they are
shared with read them (what A gets), cannot change them (403) and reach nothing else of A's
(404); after the shares are withdrawn they get 404 too. A route the resource table below cannot
fill fails.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from trademaster.config.strategy import default_config
from trademaster.service import authz
from trademaster.service.localstack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "correct-horse-battery-staple"
BTC_TRAIN = "algorithmic_trading.btc.train.csv"
DJ30_TEST = "portfolio_management.dj30.test.csv"
FINAL = ("SUCCEEDED", "FAILED", "CANCELLED")
PARAM = re.compile(r"\{(\w+)\}")
OWNER_SCOPED = sorted(
    route
    for route, key in authz.ROUTES.items()
    if PARAM.search(route) and authz.permission(*key).owned
)
SHARED = {  # what alice shares with vic and rita: REST prefix → (collection, path parameter)
    "/api/v1/strategies/": ("strategies", "strategy_id"),
    "/api/v1/training-jobs/": ("training-jobs", "job_id"),
    "/api/v1/backtests/": ("backtests", "backtest_id"),
    "/api/v1/models/": ("models", "model_id"),
}
SHARED_ROUTES = [r for r in OWNER_SCOPED if r.split(" ", 1)[1].startswith(tuple(SHARED))]


@dataclass(frozen=True)
class User:
    username: str
    id: str
    roles: tuple[str, ...]
    headers: dict[str, str]


@pytest.fixture(scope="module")
def http(stack: Stack, shared_data_dir: Path) -> Iterator[httpx.Client]:
    for part in ("algorithmic_trading/BTC/train.csv", "portfolio_management/dj30/test.csv"):
        if not (shared_data_dir / part).is_file():
            pytest.skip(f"{part} is not in {shared_data_dir}")
    assert stack.gateway_url is not None
    with httpx.Client(base_url=stack.gateway_url, timeout=60.0) as client:
        yield client


def _login(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    reply = http.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


@pytest.fixture(scope="module")
def users(http: httpx.Client, stack: Stack) -> dict[str, User]:
    """alice owns everything; bob (same roles) is not shared with; vic (viewer) and rita
    (researcher) have alice's strategy shared with them."""
    admin = _login(http, "admin", stack.admin_password)
    roles = {
        "alice": ("researcher", "trader"),
        "bob": ("researcher", "trader"),
        "vic": ("viewer",),
        "rita": ("researcher",),
    }
    made = {}
    for name, granted in roles.items():
        username = f"{name}-{uuid.uuid4().hex[:6]}"
        reply = http.post(
            "/api/v1/admin/users",
            headers=admin,
            json={"username": username, "password": PASSWORD, "roles": list(granted)},
        )
        assert reply.status_code == 201, reply.text
        made[name] = User(username, reply.json()["id"], granted, _login(http, username, PASSWORD))
    return made


def _ok(reply: httpx.Response, status: int = 200) -> Any:
    assert reply.status_code == status, reply.text
    return reply.json() if reply.content else None


def _wait(http: httpx.Client, who: User, path: str, timeout_s: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        body = _ok(http.get(path, headers=who.headers))
        if body["state"] in FINAL:
            return body
        assert time.monotonic() < deadline, f"{path} still {body['state']}"
        time.sleep(0.5)


def _tiny_job_config() -> dict[str, Any]:
    config = default_config("algorithmic_trading", "dqn")
    config["dataset_id"] = BTC_TRAIN
    config["env"].update(num_envs=4, episode_length=64)
    config["agent_params"].update(
        learning_starts=200, buffer_size=5_000, exploration_steps=1_000, hidden_sizes=[32, 32]
    )
    config["training"].update(total_steps=1_600, log_every_steps=400)
    return config


def _csv() -> bytes:
    rows = ["date,tic,open,high,low,close,volume"]
    for day in range(1, 29):
        for tic, base in (("AAA", 10.0), ("BBB", 20.0)):
            price = base + day * 0.1
            rows.append(f"2024-02-{day:02d},{tic},{price},{price + 1},{price - 1},{price},1000")
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture(scope="module")
def owned(http: httpx.Client, users: dict[str, User]) -> dict[str, str]:
    """alice's resources, one of each kind, as the values of the routes' path parameters."""
    alice = users["alice"].headers
    strategy = _ok(
        http.post(
            "/api/v1/strategies",
            headers=alice,
            json={
                "name": f"xo-{uuid.uuid4().hex[:6]}",
                "task": "algorithmic_trading",
                "agent": "dqn",
                "dataset_id": BTC_TRAIN,
                "config": _tiny_job_config(),
            },
        ),
        201,
    )
    for name in ("vic", "rita"):
        share = {"username": users[name].username}
        _ok(
            http.post(f"/api/v1/strategies/{strategy['id']}/shares", headers=alice, json=share), 201
        )
    job = _ok(
        http.post("/api/v1/training-jobs", headers=alice, json={"strategy_id": strategy["id"]}), 201
    )
    rule = _ok(  # its webhook is refused, so the backtest's finish leaves a failing delivery
        http.post(
            "/api/v1/alert-rules",
            headers=alice,
            json={
                "name": "xo",
                "event_types": ["backtest_finished"],
                "webhook_url": "http://127.0.0.1:9/xo",
            },
        ),
        201,
    )
    backtest = _ok(
        http.post(
            "/api/v1/backtests",
            headers=alice,
            json={"dataset_id": DJ30_TEST, "baseline": "buy_and_hold"},
        ),
        201,
    )
    dataset = _ok(
        http.post(
            "/api/v1/datasets",
            headers=alice,
            files={"file": ("xo.csv", _csv(), "text/csv")},
        ),
        201,
    )
    account = _ok(
        http.post("/api/v1/accounts", headers=alice, json={"name": "xo", "initial_cash": "10000"}),
        201,
    )
    assert _wait(http, users["alice"], f"/api/v1/training-jobs/{job['id']}")["state"] == (
        "SUCCEEDED"
    )
    model = _ok(http.post("/api/v1/models", headers=alice, json={"name": "xo"}), 201)
    _ok(
        http.post(
            f"/api/v1/models/{model['id']}/versions",
            headers=alice,
            json={"training_job_id": job["id"]},
        ),
        201,
    )
    _ok(
        http.put(
            f"/api/v1/models/{model['id']}/aliases/champion", headers=alice, json={"version": 1}
        )
    )
    deployment = _ok(
        http.post(
            "/api/v1/model-deployments",
            headers=alice,
            json={
                "model_id": model["id"],
                "version": 1,
                "account_id": account["id"],
                "mode": "paper",
            },
        ),
        201,
    )
    _wait(http, users["alice"], f"/api/v1/backtests/{backtest['id']}")
    ids = {"job_id": job["id"], "backtest_id": backtest["id"], "model_id": model["id"]}
    for collection, param in list(SHARED.values())[1:]:
        for name in ("vic", "rita"):
            share = {"username": users[name].username}
            path = f"/api/v1/{collection}/{ids[param]}/shares"
            _ok(http.post(path, headers=alice, json=share), 201)
    promotion = _ok(  # stored (rejected: no backtest of the job), which is all this needs
        http.post(
            "/api/v1/promotions",
            headers=alice,
            json={"model_id": model["id"], "model_version": 1, "stage": "paper"},
        ),
        201,
    )
    return {
        "rule_id": rule["id"],
        "delivery_id": _delivery(http, alice),
        "owner": users["alice"].id,
        "decision_id": _decision(http, alice, account["id"]),
        "strategy_id": strategy["id"],
        "job_id": job["id"],
        "backtest_id": backtest["id"],
        "name": "report.html",
        "dataset_id": dataset["id"],
        "model_id": model["id"],
        "version": "1",
        "alias": "champion",
        "deployment_id": deployment["id"],
        "account_id": account["id"],
        "client_order_id": "xo-order-1",
        "user_id": users["vic"].id,
        "promotion_id": promotion["id"],
        "owner_id": users["alice"].id,
    }


def _delivery(http: httpx.Client, alice: dict[str, str], timeout_s: float = 120) -> str:
    """The webhook delivery of alice's alert (raised when her backtest finished)."""
    deadline = time.monotonic() + timeout_s
    while True:
        listed = _ok(http.get("/api/v1/alert-deliveries", headers=alice))
        if listed["deliveries"]:
            return str(listed["deliveries"][0]["id"])
        assert time.monotonic() < deadline, "no alert delivery for alice's finished backtest"
        time.sleep(0.5)


def _decision(http: httpx.Client, alice: dict[str, str], account_id: str) -> str:
    """A pre-trade check on alice's account leaves a decision (approved or not)."""
    order = {"client_order_id": "xo-1", "instrument_id": "AAPL", "side": "BUY", "quantity": "1"}
    http.post(f"/api/v1/accounts/{account_id}/orders:check", headers=alice, json=order)
    listed = _ok(http.get("/api/v1/decisions", headers=alice, params={"account_id": account_id}))
    assert listed["decisions"], listed
    return str(listed["decisions"][0]["decision_id"])


def _bodies(users: dict[str, User], owned: dict[str, str]) -> dict[str, Any]:
    """Valid bodies of the write routes, so a 404 is about the resource, not the body."""
    order = {"client_order_id": "xo-2", "instrument_id": "AAPL", "side": "BUY", "quantity": "1"}
    return {
        "PATCH /api/v1/strategies/{strategy_id}": {"description": "not yours"},
        "POST /api/v1/strategies/{strategy_id}/shares": {"username": users["vic"].username},
        "POST /api/v1/training-jobs/{job_id}/shares": {"username": users["vic"].username},
        "POST /api/v1/backtests/{backtest_id}/shares": {"username": users["vic"].username},
        "POST /api/v1/models/{model_id}/shares": {"username": users["vic"].username},
        "POST /api/v1/datasets/{dataset_id}:repair": {"drop_duplicates": True},
        "POST /api/v1/datasets/{dataset_id}:label": {},
        "POST /api/v1/models/{model_id}/versions": {"training_job_id": owned["job_id"]},
        "PATCH /api/v1/models/{model_id}/versions/{version}/tags": {"set": {"k": "v"}},
        "PUT /api/v1/models/{model_id}/aliases/{alias}": {"version": 1},
        "PUT /api/v1/accounts/{account_id}/limits": {"max_order_quantity": "1", "reason": "x"},
        "POST /api/v1/accounts/{account_id}/orders": order,
        "POST /api/v1/accounts/{account_id}/orders:check": order,
        "POST /api/v1/accounts/{account_id}/orders/{client_order_id}:modify": {
            "request_id": "xo-modify",
            "quantity": "2",
        },
        "POST /api/v1/promotions/{promotion_id}:approve": {"approve": True, "reason": "x"},
        "PUT /api/v1/promotion-policies/{owner_id}": {},
        "PUT /api/v1/accounts/{account_id}/trading-state": {
            "trading_state": "HALTED",
            "reason": "not yours",
        },
    }


def _path(route: str, values: dict[str, str]) -> str:
    return PARAM.sub(lambda m: values[m.group(1)], route.split(" ", 1)[1])


QUERIES: dict[str, dict[str, Any]] = {
    "GET /api/v1/datasets/{dataset_id}/ohlcv": {"tic": "AAA"},
    "GET /api/v1/models/{model_id}/versions:compare": {"versions": [1, 2]},
    "GET /api/v1/accounts/{account_id}/compliance-report": {
        "from": "2026-01-01",
        "to": "2026-01-02",
    },
}
"""Required query parameters (the OpenAPI document's), so a 404 is about the resource."""


def _call(http: httpx.Client, route: str, who: User, values: dict[str, str], body: Any) -> Any:
    method, path = route.split(" ", 1)[0], _path(route, values)
    return http.request(method, path, headers=who.headers, json=body, params=QUERIES.get(route))


def _leaks(reply: httpx.Response, owned: dict[str, str], sent: str = "") -> list[str]:
    """alice's identifiers in ``reply`` beyond those the caller sent (errors may echo those)."""
    secret = {k: v for k, v in owned.items() if k.endswith("_id") or k == "owner"}
    return [k for k, v in secret.items() if v in reply.text and v not in sent]


def _expected_for(user: User, route: str) -> int:
    """404 for what the user may call; 403 where none of their roles has the row."""
    row = authz.permission_for_route(route)
    assert row is not None
    return 404 if set(user.roles) & {r.value for r in row.roles} else 403


def test_every_owner_scoped_route_is_filled(owned: dict[str, str]) -> None:
    params = {p for route in OWNER_SCOPED for p in PARAM.findall(route)}

    assert sorted(params - set(owned)) == []
    assert len(OWNER_SCOPED) >= 40


def test_another_user_gets_404_on_every_route_of_anothers_resources(
    http: httpx.Client, users: dict[str, User], owned: dict[str, str]
) -> None:
    bob = users["bob"]
    bodies = _bodies(users, owned)
    wrong = []
    for route in OWNER_SCOPED:
        reply = _call(http, route, bob, owned, bodies.get(route))
        expected = _expected_for(bob, route)
        if reply.status_code != expected or _leaks(reply, owned, _path(route, owned)):
            wrong.append((route, reply.status_code, reply.text[:200]))

    assert wrong == [], "\n".join(map(str, wrong))
    for path in (
        "/api/v1/strategies",
        "/api/v1/strategies?shared_with_me=true",
        "/api/v1/training-jobs",
        "/api/v1/training-jobs?shared_with_me=true",
        "/api/v1/backtests",
        "/api/v1/backtests?shared_with_me=true",
        "/api/v1/models",
        "/api/v1/models?shared_with_me=true",
        "/api/v1/accounts",
    ):
        listed = http.get(path, headers=bob.headers)
        assert listed.status_code == 200, (path, listed.text)
        assert _leaks(listed, owned) == [], path
    deployments = http.get(
        "/api/v1/model-deployments",
        headers=bob.headers,
        params={"account_id": owned["account_id"]},
    )
    assert deployments.status_code == 404 or deployments.json()["deployments"] == []
    assert owned["deployment_id"] not in deployments.text


def _shared_lists(http: httpx.Client, user: User) -> dict[str, list[str]]:
    """The ids each "shared with me" list gives ``user``."""
    keys = {"strategies": "strategies", "training-jobs": "jobs", "backtests": "backtests"}
    keys["models"] = "models"
    found = {}
    for collection, key in keys.items():
        body = _ok(http.get(f"/api/v1/{collection}?shared_with_me=true", headers=user.headers))
        found[collection] = [item["id"] for item in body[key]]
    return found


def test_users_resources_are_shared_with_read_them_only_until_unshared(
    http: httpx.Client, users: dict[str, User], owned: dict[str, str]
) -> None:
    bodies = _bodies(users, owned)
    alice = users["alice"]
    as_owner = {  # what a read gives the owner is what it gives those it is shared with
        route: _call(http, route, alice, owned, None).status_code
        for route in SHARED_ROUTES
        if route.startswith("GET ") and "/shares" not in route
    }
    everything = {c: [owned[p]] for c, p in SHARED.values()}
    for name in ("vic", "rita"):
        user = users[name]
        assert _shared_lists(http, user) == everything
        wrong = []
        for route in OWNER_SCOPED:
            reply = _call(http, route, user, owned, bodies.get(route))
            if route in as_owner:
                expected = as_owner[route]
            elif route in SHARED_ROUTES:
                expected = 403  # the viewer lacks the role; the researcher is read-only
            else:
                expected = _expected_for(user, route)
            if reply.status_code != expected:
                wrong.append((route, reply.status_code, reply.text[:200]))
        assert wrong == [], f"{name}:\n" + "\n".join(map(str, wrong))
    assert sorted(set(as_owner.values())) == [200, 404]  # compare asks for a missing version
    rita = users["rita"].headers
    for path, method, body in (
        (f"/api/v1/strategies/{owned['strategy_id']}", "PATCH", {"description": "x"}),
        (f"/api/v1/training-jobs/{owned['job_id']}:cancel", "POST", None),
        (f"/api/v1/backtests/{owned['backtest_id']}:cancel", "POST", None),
        (f"/api/v1/models/{owned['model_id']}/aliases/champion", "DELETE", None),
    ):
        denied = http.request(method, path, headers=rita, json=body)
        assert denied.json()["error"]["reason"] == "READ_ONLY_SHARE", (path, denied.text)
    assert (
        _ok(http.get(f"/api/v1/strategies/{owned['strategy_id']}", headers=alice.headers))[
            "version"
        ]
        == 1
    )
    model = _ok(http.get(f"/api/v1/models/{owned['model_id']}", headers=alice.headers))
    assert model["aliases"] == {"champion": 1}

    for collection, param in SHARED.values():
        for name in ("vic", "rita"):
            path = f"/api/v1/{collection}/{owned[param]}/shares/{users[name].id}"
            gone = http.delete(path, headers=alice.headers)
            assert gone.status_code == 204, gone.text

    for name in ("vic", "rita"):
        user = users[name]
        for collection, param in SHARED.values():
            path = f"/api/v1/{collection}/{owned[param]}"
            assert http.get(path, headers=user.headers).status_code == 404, path
        assert _shared_lists(http, user) == {c: [] for c, _ in SHARED.values()}
    for collection, param in SHARED.values():
        path = f"/api/v1/{collection}/{owned[param]}/shares"
        assert _ok(http.get(path, headers=alice.headers)) == {"shares": []}
