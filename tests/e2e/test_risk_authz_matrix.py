"""Authorization matrix of the risk routes × roles through the gateway (issue 10 roles):
trader places and cancels on own accounts; risk_officer sets limits and states, may kill any
account and reads all; viewer reads own; admin everything; researchers have no trading role.
Another owner's account answers 404, a missing role 403."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from risk_stack import User, login, new_user, open_account, order_body
from trademaster.service.localstack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROLES = ("viewer", "researcher", "owner", "other_trader", "risk_officer", "admin")
UNKNOWN = "NO-SUCH-INSTRUMENT"


@pytest.fixture(scope="module")
def http(trading_stack: Stack) -> Iterator[httpx.Client]:
    assert trading_stack.gateway_url is not None
    with httpx.Client(base_url=trading_stack.gateway_url, timeout=60.0) as client:
        yield client


@pytest.fixture(scope="module")
def users(http: httpx.Client, trading_stack: Stack) -> dict[str, User]:
    admin = login(http, trading_stack.config.admin_username, trading_stack.admin_password)
    made = {
        "viewer": new_user(http, trading_stack, admin, "viewer"),
        "researcher": new_user(http, trading_stack, admin, "researcher"),
        "owner": new_user(http, trading_stack, admin, "trader"),
        "other_trader": new_user(http, trading_stack, admin, "trader"),
        "risk_officer": new_user(http, trading_stack, admin, "risk_officer"),
    }
    return {**made, "admin": admin}


@pytest.fixture(scope="module")
def account_id(http: httpx.Client, users: dict[str, User]) -> str:
    return str(open_account(http, users["owner"])["id"])


READ = {
    "viewer": 404,
    "researcher": 403,
    "owner": 200,
    "other_trader": 404,
    "risk_officer": 200,
    "admin": 200,
}
OFFICERS_ONLY = {r: 403 for r in ROLES} | {"risk_officer": 200, "admin": 200}
READ_PATHS = [
    "",
    "/positions",
    "/orders",
    "/fills",
    "/limits",
    "/trading-state",
    "/trading-state/changes",
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("suffix", READ_PATHS)
def test_reads_of_an_account(
    http: httpx.Client, users: dict[str, User], account_id: str, role: str, suffix: str
) -> None:
    reply = http.get(f"/api/v1/accounts/{account_id}{suffix}", headers=users[role].headers)

    assert reply.status_code == READ[role], reply.text


SUBMIT = {
    "viewer": 403,
    "researcher": 403,
    "owner": 201,
    "other_trader": 404,
    "risk_officer": 403,
    "admin": 201,
}


@pytest.mark.parametrize("role", ROLES)
def test_submit_order(
    http: httpx.Client, users: dict[str, User], account_id: str, role: str
) -> None:
    reply = http.post(
        f"/api/v1/accounts/{account_id}/orders",
        headers=users[role].headers,
        json=order_body(UNKNOWN),
    )

    assert reply.status_code == SUBMIT[role], reply.text


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("PUT", "/limits", {"max_order_quantity": "7", "reason": "matrix"}),
        ("PUT", "/trading-state", {"trading_state": "ACTIVE", "reason": "matrix"}),
    ],
)
def test_limits_and_state_changes(
    http: httpx.Client,
    users: dict[str, User],
    account_id: str,
    role: str,
    method: str,
    suffix: str,
    body: dict[str, Any],
) -> None:
    reply = http.request(
        method, f"/api/v1/accounts/{account_id}{suffix}", headers=users[role].headers, json=body
    )

    assert reply.status_code == OFFICERS_ONLY[role], reply.text


KILL = {
    "viewer": 403,
    "researcher": 403,
    "owner": 200,
    "other_trader": 404,
    "risk_officer": 200,
    "admin": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_kill_switch_of_an_account(http: httpx.Client, users: dict[str, User], role: str) -> None:
    fresh = open_account(http, users["owner"])["id"]

    reply = http.post(
        "/api/v1/kill-switch",
        headers=users[role].headers,
        json={"scope": "ACCOUNT", "scope_id": fresh, "reason": f"matrix {role}"},
    )

    assert reply.status_code == KILL[role], reply.text
    state = http.get(f"/api/v1/accounts/{fresh}", headers=users["owner"].headers).json()
    assert state["trading_state"] == ("HALTED" if KILL[role] == 200 else "ACTIVE")


CREATE = {r: 403 for r in ROLES} | {"owner": 201, "other_trader": 201, "admin": 201}


@pytest.mark.parametrize("role", ROLES)
def test_create_account(http: httpx.Client, users: dict[str, User], role: str) -> None:
    reply = http.post(
        "/api/v1/accounts",
        headers=users[role].headers,
        json={"name": f"matrix-{role}", "initial_cash": "1000"},
    )

    assert reply.status_code == CREATE[role], reply.text


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/audit/verify", None),
        ("PUT", "/api/v1/instruments/MATRIX-1", {"tick_size": "0.01", "lot_size": "1"}),
    ],
)
def test_officer_routes(
    http: httpx.Client,
    users: dict[str, User],
    role: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    reply = http.request(method, path, headers=users[role].headers, json=body)

    assert reply.status_code == OFFICERS_ONLY[role], reply.text


def test_risk_officer_lists_every_account_and_a_trader_only_own(
    http: httpx.Client, users: dict[str, User], account_id: str
) -> None:
    def listed(role: str) -> set[str]:
        reply = http.get("/api/v1/accounts?page_size=500", headers=users[role].headers)
        assert reply.status_code == 200, reply.text
        return {a["id"] for a in reply.json()["accounts"]}

    assert account_id in listed("risk_officer")
    assert account_id in listed("owner")
    assert account_id not in listed("other_trader")
    assert account_id not in listed("viewer")
