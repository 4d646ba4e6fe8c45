"""Risk routes through the gateway on the whole stack (real risk service, PostgreSQL, Redis,
notifier): accounts, denials with reason codes, idempotency, the decision feed over the events
WebSocket, roles, cross-owner 404s, the kill switch and the CLI."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from risk_stack import User, assert_error, login, new_user, open_account, order_body
from support.client_endpoints import client_env
from trademaster.cli.main import cli
from trademaster.service.localstack import Stack
from websockets.asyncio.client import connect

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

UNKNOWN = "NO-SUCH-INSTRUMENT"
TIMEOUT_S = 30.0


@pytest.fixture(scope="module")
def http(trading_stack: Stack) -> Iterator[httpx.Client]:
    assert trading_stack.gateway_url is not None
    with httpx.Client(base_url=trading_stack.gateway_url, timeout=60.0) as client:
        yield client


@pytest.fixture(scope="module")
def admin(http: httpx.Client, trading_stack: Stack) -> User:
    return login(http, trading_stack.config.admin_username, trading_stack.admin_password)


@pytest.fixture(scope="module")
def alice(http: httpx.Client, trading_stack: Stack, admin: User) -> User:
    return new_user(http, trading_stack, admin, "trader")


@pytest.fixture(scope="module")
def bob(http: httpx.Client, trading_stack: Stack, admin: User) -> User:
    return new_user(http, trading_stack, admin, "trader")


@pytest.fixture(scope="module")
def officer(http: httpx.Client, trading_stack: Stack, admin: User) -> User:
    return new_user(http, trading_stack, admin, "risk_officer")


def test_a_new_paper_account_is_active_with_its_cash(http: httpx.Client, alice: User) -> None:
    account = open_account(http, alice, cash="250000.50")

    assert account["owner_id"] == alice.user_id
    assert (account["mode"], account["trading_state"]) == ("PAPER", "ACTIVE")
    for field in ("initial_cash", "cash", "equity"):
        assert Decimal(account[field]) == Decimal("250000.50"), (field, account)
    assert Decimal(account["pnl"]) == 0
    fetched = http.get(f"/api/v1/accounts/{account['id']}", headers=alice.headers)
    assert fetched.status_code == 200 and fetched.json()["id"] == account["id"]
    listed = http.get("/api/v1/accounts", headers=alice.headers).json()["accounts"]
    assert account["id"] in [a["id"] for a in listed]


def test_denial_is_data_with_reason_codes_and_is_audited(http: httpx.Client, alice: User) -> None:
    account = open_account(http, alice)
    body = order_body(UNKNOWN)

    reply = http.post(f"/api/v1/accounts/{account['id']}/orders", headers=alice.headers, json=body)

    assert reply.status_code == 201, reply.text
    result = reply.json()
    assert result["decision"]["decision"] == "DENY"
    assert "INSTRUMENT_UNKNOWN" in [v["reason"] for v in result["decision"]["violations"]]
    assert UNKNOWN in result["decision"]["violations"][0]["message"]
    assert result["order"]["status"] == "DENIED" and not result["replayed"]
    assert result["decision"]["entry_hash"] and result["decision"]["sequence"] >= 1
    decisions = http.get(
        "/api/v1/decisions",
        headers=alice.headers,
        params={"account_id": account["id"], "reason": "INSTRUMENT_UNKNOWN"},
    ).json()["decisions"]
    assert [d["decision_id"] for d in decisions] == [result["decision"]["decision_id"]]
    one = http.get(f"/api/v1/decisions/{decisions[0]['decision_id']}", headers=alice.headers)
    assert (
        one.status_code == 200 and one.json()["order"]["client_order_id"] == body["client_order_id"]
    )


def test_the_same_client_order_id_gives_the_first_result(http: httpx.Client, alice: User) -> None:
    account = open_account(http, alice)
    path = f"/api/v1/accounts/{account['id']}/orders"
    body = order_body(UNKNOWN)

    first = http.post(path, headers=alice.headers, json=body).json()
    again = http.post(path, headers=alice.headers, json=body).json()

    assert again["replayed"] is True
    assert again["decision"]["decision_id"] == first["decision"]["decision_id"]
    orders = http.get(path, headers=alice.headers).json()["orders"]
    assert [o["client_order_id"] for o in orders].count(body["client_order_id"]) == 1


def test_bad_input_is_400_naming_the_field(http: httpx.Client, alice: User) -> None:
    account = open_account(http, alice)
    path = f"/api/v1/accounts/{account['id']}/orders"

    negative = http.post(path, headers=alice.headers, json=order_body("AAPL", quantity="-3"))
    limit_missing = http.post(
        path, headers=alice.headers, json=order_body("AAPL", order_type="LIMIT")
    )
    forged = http.get(path, headers=alice.headers, params={"page_token": "not-a-token"})

    for reply, field in ((negative, "quantity"), (limit_missing, "limit_price")):
        error = assert_error(reply, 400)
        assert field in [v["field"] for v in error["field_violations"]]
    assert_error(forged, 400)


def test_another_trader_sees_404_for_every_route(
    http: httpx.Client, alice: User, bob: User
) -> None:
    account_id = open_account(http, alice)["id"]
    base = f"/api/v1/accounts/{account_id}"
    calls = [
        ("GET", base, None),
        ("GET", f"{base}/positions", None),
        ("GET", f"{base}/orders", None),
        ("GET", f"{base}/fills", None),
        ("GET", f"{base}/limits", None),
        ("GET", f"{base}/trading-state", None),
        ("GET", f"{base}/trading-state/changes", None),
        ("POST", f"{base}/orders", order_body(UNKNOWN)),
        ("POST", f"{base}/orders:check", order_body(UNKNOWN)),
        ("GET", f"{base}/orders/nope", None),
        ("POST", f"{base}/orders/nope:cancel", None),
        ("POST", f"{base}/orders/nope:modify", {"request_id": "m", "quantity": "2"}),
        ("POST", "/api/v1/kill-switch", {"scope_id": account_id, "reason": "not mine"}),
    ]

    for method, path, body in calls:
        reply = http.request(method, path, headers=bob.headers, json=body)
        assert reply.status_code == 404, (method, path, reply.text)
    listed = http.get("/api/v1/accounts", headers=bob.headers).json()["accounts"]
    assert account_id not in [a["id"] for a in listed]
    theirs = http.get("/api/v1/decisions", headers=bob.headers, params={"account_id": account_id})
    assert theirs.status_code == 404 or theirs.json()["decisions"] == []


def test_limits_and_states_need_a_risk_officer(
    http: httpx.Client, alice: User, officer: User
) -> None:
    account_id = open_account(http, alice)["id"]
    limits = {"max_order_quantity": "5", "max_position": {"*": "10"}, "reason": "desk policy"}

    by_trader = http.put(
        f"/api/v1/accounts/{account_id}/limits", headers=alice.headers, json=limits
    )
    by_officer = http.put(
        f"/api/v1/accounts/{account_id}/limits", headers=officer.headers, json=limits
    )
    state_by_trader = http.put(
        f"/api/v1/accounts/{account_id}/trading-state",
        headers=alice.headers,
        json={"trading_state": "REDUCING", "reason": "mine"},
    )

    assert_error(by_trader, 403)
    assert by_officer.status_code == 200, by_officer.text
    stored = by_officer.json()
    assert (stored["max_order_quantity"], stored["max_position"]) == ("5", {"*": "10"})
    assert stored["updated_by"] and stored["version"] >= 1
    assert (
        http.get(f"/api/v1/accounts/{account_id}/limits", headers=alice.headers).json()[
            "max_order_quantity"
        ]
        == "5"
    )
    assert_error(state_by_trader, 403)
    officer_sees = http.get(f"/api/v1/accounts/{account_id}", headers=officer.headers)
    assert officer_sees.status_code == 200


def test_kill_switch_halts_the_account_and_only_an_officer_resumes_it(
    http: httpx.Client, alice: User, officer: User
) -> None:
    account_id = open_account(http, alice)["id"]
    path = f"/api/v1/accounts/{account_id}"

    killed = http.post(
        "/api/v1/kill-switch",
        headers=alice.headers,
        json={"scope": "ACCOUNT", "scope_id": account_id, "reason": "model misbehaves"},
    )

    assert killed.status_code == 200, killed.text
    kill = killed.json()
    assert kill["state"]["trading_state"] == "HALTED" and kill["kill_id"]
    assert kill["halt_ms"] is not None and kill["total_ms"] is not None
    assert http.get(path, headers=alice.headers).json()["trading_state"] == "HALTED"
    denied = http.post(f"{path}/orders", headers=alice.headers, json=order_body(UNKNOWN)).json()
    assert "TRADING_HALTED" in [v["reason"] for v in denied["decision"]["violations"]]
    changes = http.get(f"{path}/trading-state/changes", headers=alice.headers).json()["changes"]
    assert changes[0]["trading_state"] == "HALTED"
    assert "model misbehaves" in changes[0]["reason"]
    resume = {"trading_state": "ACTIVE", "reason": "model fixed"}
    assert_error(http.put(f"{path}/trading-state", headers=alice.headers, json=resume), 403)
    resumed = http.put(f"{path}/trading-state", headers=officer.headers, json=resume)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["previous_state"] == "HALTED"
    assert http.get(path, headers=alice.headers).json()["trading_state"] == "ACTIVE"


def test_global_kill_switch_needs_a_risk_officer(http: httpx.Client, alice: User) -> None:
    reply = http.post(
        "/api/v1/kill-switch", headers=alice.headers, json={"scope": "GLOBAL", "reason": "panic"}
    )

    # The risk service answers 404 (it hides scopes the caller may not act on); refused either way.
    assert reply.status_code in (403, 404), reply.text
    assert "risk_officer" in reply.json()["error"]["message"]
    state = http.get("/api/v1/trading-state", headers=alice.headers)
    assert state.status_code == 200, state.text
    assert state.json()["trading_state"] == "ACTIVE"


async def _decision_event(
    trading_stack: Stack, who: User, topic: str, submit: Any
) -> dict[str, Any]:
    """Subscribe to ``topic``, run ``submit`` once joined, return the first order_decided."""
    assert trading_stack.gateway_url is not None
    token = who.headers["Authorization"].removeprefix("Bearer ")
    url = (
        trading_stack.gateway_url.replace("http://", "ws://")
        + f"/api/v1/events?access_token={token}"
    )
    async with connect(url) as ws:
        await ws.send(json.dumps({"type": "subscribe", "topics": [topic]}))
        while json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))["type"] != "heartbeat":
            pass
        await asyncio.to_thread(submit)
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))
            if message["type"] == "order_decided":
                return dict(message)


def test_decisions_arrive_live_on_the_accounts_topic(
    http: httpx.Client, trading_stack: Stack, alice: User
) -> None:
    account = open_account(http, alice)
    body = order_body(UNKNOWN, side="SELL", quantity="2")

    def submit() -> None:
        reply = http.post(
            f"/api/v1/accounts/{account['id']}/orders", headers=alice.headers, json=body
        )
        assert reply.status_code == 201, reply.text

    event = asyncio.run(_decision_event(trading_stack, alice, account["events_topic"], submit))

    payload = event["payload"]
    assert payload["client_order_id"] == body["client_order_id"]
    assert (payload["decision"], payload["side"], payload["quantity"]) == ("DENY", "SELL", "2")
    assert "INSTRUMENT_UNKNOWN" in payload["violation_reasons"]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trading_stack: Stack) -> CliRunner:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("TM_CLIENT_TARGET", raising=False)
    for name, value in client_env(trading_stack).items():
        monkeypatch.setenv(name, value)
    return CliRunner()


def test_cli_opens_an_account_reports_a_denial_and_kills(
    runner: CliRunner, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TM_TOKEN", alice.headers["Authorization"].removeprefix("Bearer "))

    created = runner.invoke(
        cli, ["risk", "accounts", "create", "cli-paper", "--cash", "5000", "--json"]
    )
    assert created.exit_code == 0, created.output
    account_id = json.loads(created.output)["account_id"]
    denied = runner.invoke(cli, ["risk", "orders", "submit", account_id, UNKNOWN, "buy", "1"])
    decisions = runner.invoke(cli, ["risk", "decisions", "--account", account_id, "--json"])
    killed = runner.invoke(cli, ["risk", "kill", account_id, "--reason", "cli test", "--yes"])
    state = runner.invoke(cli, ["risk", "state", account_id, "--json"])

    assert denied.exit_code == 3, denied.output
    assert "DENY" in denied.output and "INSTRUMENT_UNKNOWN" in denied.output
    assert decisions.exit_code == 0, decisions.output
    assert json.loads(decisions.output)["decisions"][0]["decision"] == "DENY"
    assert killed.exit_code == 0, killed.output
    assert "HALTED" in killed.output
    assert json.loads(state.output)["trading_state"] == "HALTED"


def test_cli_watch_prints_decisions_live(
    runner: CliRunner, http: httpx.Client, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TM_TOKEN", alice.headers["Authorization"].removeprefix("Bearer "))
    account_id = open_account(http, alice)["id"]
    results: list[Any] = []
    watcher = threading.Thread(
        target=lambda: results.append(
            runner.invoke(cli, ["risk", "watch", account_id, "--count", "1"])
        )
    )

    watcher.start()
    # The watcher joins the stream at some point; orders keep coming until it saw one.
    for _ in range(120):
        body = order_body(UNKNOWN)
        http.post(f"/api/v1/accounts/{account_id}/orders", headers=alice.headers, json=body)
        watcher.join(timeout=0.5)
        if not watcher.is_alive():
            break

    assert not watcher.is_alive(), "risk watch saw no event"
    result = results[0]
    assert result.exit_code == 0, result.output
    assert "order_decided: DENY BUY 1 NO-SUCH-INSTRUMENT" in result.output
    assert "[INSTRUMENT_UNKNOWN" in result.output


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/accounts/not-a-uuid", None),
        ("GET", "/api/v1/accounts/not-a-uuid/orders", None),
        ("POST", "/api/v1/accounts/not-a-uuid/orders", order_body("AAPL")),
        ("GET", "/api/v1/decisions/not-a-uuid", None),
        ("GET", "/api/v1/decisions?account_id=not-a-uuid", None),
        ("GET", "/api/v1/accounts?page_token=forged", None),
        ("GET", "/api/v1/decisions?page_token=forged", None),
        ("GET", "/api/v1/accounts?page_size=100000", None),
        ("GET", "/api/v1/trading-state?scope=ACCOUNT&scope_id=not-a-uuid", None),
        ("PUT", "/api/v1/instruments/bad%20id", {"tick_size": "0.01", "lot_size": "1"}),
        (
            "POST",
            "/api/v1/kill-switch",
            {"scope": "DEPLOYMENT", "scope_id": "x" * 129, "reason": "x"},
        ),
    ],
)
def test_malformed_input_is_a_4xx_never_a_500(
    http: httpx.Client, officer: User, method: str, path: str, body: dict | None
) -> None:
    reply = http.request(method, path, headers=officer.headers, json=body)

    assert 400 <= reply.status_code < 500, reply.text
    assert reply.json()["error"]["message"]


def test_oversized_decimals_are_400_naming_the_field(http: httpx.Client, alice: User) -> None:
    account_id = open_account(http, alice)["id"]
    path = f"/api/v1/accounts/{account_id}/orders"

    too_precise = http.post(
        path,
        headers=alice.headers,
        json=order_body("AAPL", order_type="LIMIT", limit_price="1.0000000000001"),
    )
    too_large = http.post(path, headers=alice.headers, json=order_body("AAPL", quantity="1e40"))

    for reply, field in ((too_precise, "limit_price"), (too_large, "quantity")):
        error = assert_error(reply, 400)
        assert field in [v["field"] for v in error["field_violations"]], error
