"""Paper trading through the gateway on the whole stack: a market order fills on the next bar
into a position, a resting limit order stays working, and the kill switch halts the account
and cancels it at the venue."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from risk_stack import (
    LENIENT_LIMITS,
    User,
    login,
    new_instrument,
    new_user,
    open_account,
    order_body,
    publish_price,
    wait_for,
)
from support.client_endpoints import client_env
from trademaster.cli.main import cli
from trademaster.service.localstack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def http(trading_stack: Stack) -> Iterator[httpx.Client]:
    assert trading_stack.gateway_url is not None
    with httpx.Client(base_url=trading_stack.gateway_url, timeout=60.0) as client:
        yield client


@pytest.fixture(scope="module")
def admin(http: httpx.Client, trading_stack: Stack) -> User:
    return login(http, trading_stack.config.admin_username, trading_stack.admin_password)


@pytest.fixture(scope="module")
def trader(http: httpx.Client, trading_stack: Stack, admin: User) -> User:
    return new_user(http, trading_stack, admin, "trader")


def test_fill_position_working_order_and_kill_switch(
    http: httpx.Client, trading_stack: Stack, admin: User, trader: User
) -> None:
    account = open_account(http, trader, cash="100000")
    base = f"/api/v1/accounts/{account['id']}"
    limits = http.put(f"{base}/limits", headers=admin.headers, json=LENIENT_LIMITS)
    assert limits.status_code == 200, limits.text
    instrument = new_instrument(http, admin)
    publish_price(trading_stack, instrument, 100.0)

    def submit(body: dict) -> dict:
        reply = http.post(f"{base}/orders", headers=trader.headers, json=body)
        assert reply.status_code == 201, reply.text
        assert reply.json()["decision"]["decision"] == "ALLOW", reply.json()["decision"]
        return dict(reply.json()["order"])

    bought = submit(order_body(instrument, "BUY", "10"))
    resting = submit(
        order_body(
            instrument, "BUY", "5", order_type="LIMIT", limit_price="90", time_in_force="GTC"
        )
    )
    publish_price(trading_stack, instrument, 101.0)  # the next bar: fills the market order only

    filled = wait_for(
        lambda: (
            http.get(f"{base}/orders/{bought['client_order_id']}", headers=trader.headers)
            .json()
            .get("status")
            == "FILLED"
        ),
        "the market order to fill",
    )
    assert filled
    fills = http.get(f"{base}/fills", headers=trader.headers).json()["fills"]
    assert [(f["client_order_id"], f["quantity"]) for f in fills] == [
        (bought["client_order_id"], "10")
    ]
    positions = http.get(f"{base}/positions", headers=trader.headers).json()["positions"]
    assert [(p["instrument_id"], p["quantity"]) for p in positions] == [(instrument, "10")]
    assert positions[0]["working_buy_quantity"] == "5"
    working = http.get(f"{base}/orders", headers=trader.headers, params={"working": "true"})
    assert [o["client_order_id"] for o in working.json()["orders"]] == [resting["client_order_id"]]

    kill = http.post(
        "/api/v1/kill-switch",
        headers=trader.headers,
        json={"scope_id": account["id"], "reason": "e2e kill"},
    )

    assert kill.status_code == 200, kill.text
    result = kill.json()
    assert (result["working_orders"], result["cancels_acknowledged"]) == (1, 1)
    assert result["cancels_failed"] == 0 and result["state"]["trading_state"] == "HALTED"
    order = http.get(f"{base}/orders/{resting['client_order_id']}", headers=trader.headers).json()
    assert order["status"] == "CANCELLED"
    assert (
        http.get(f"{base}/orders", headers=trader.headers, params={"working": "true"}).json()[
            "orders"
        ]
        == []
    )
    publish_price(trading_stack, instrument, 100.0)
    exit_order = order_body(instrument, "SELL", "10", reduce_only=True)
    exit_reply = http.post(f"{base}/orders", headers=trader.headers, json=exit_order).json()
    assert exit_reply["decision"]["decision"] == "ALLOW", exit_reply["decision"]
    flip = order_body(instrument, "SELL", "11", reduce_only=True)
    flipped = http.post(f"{base}/orders", headers=trader.headers, json=flip).json()
    assert flipped["decision"]["decision"] == "DENY"


def test_kill_switch_with_flatten_closes_the_position(
    http: httpx.Client, trading_stack: Stack, admin: User, trader: User
) -> None:
    account_id = open_account(http, trader)["id"]
    base = f"/api/v1/accounts/{account_id}"
    assert http.put(f"{base}/limits", headers=admin.headers, json=LENIENT_LIMITS).is_success
    instrument = new_instrument(http, admin)
    publish_price(trading_stack, instrument, 50.0)
    buy = http.post(
        f"{base}/orders", headers=trader.headers, json=order_body(instrument, "BUY", "4")
    )
    assert buy.json()["decision"]["decision"] == "ALLOW", buy.text
    publish_price(trading_stack, instrument, 51.0)

    def position() -> str:
        rows = http.get(f"{base}/positions", headers=trader.headers).json()["positions"]
        return rows[0]["quantity"] if rows else "0"

    wait_for(lambda: position() == "4", "the buy to fill")

    kill = http.post(
        "/api/v1/kill-switch",
        headers=trader.headers,
        json={"scope_id": account_id, "reason": "flatten e2e", "flatten": True},
    )

    assert kill.status_code == 200, kill.text
    assert (kill.json()["flatten_orders_submitted"], kill.json()["flatten_orders_denied"]) == (1, 0)
    publish_price(trading_stack, instrument, 49.0)  # the flatten sell fills on this bar
    wait_for(lambda: position() == "0", "the flatten order to fill")
    account = http.get(base, headers=trader.headers).json()
    assert account["trading_state"] == "HALTED"
    assert Decimal(account["realized_pnl"]) < 0  # bought near 51, sold near 49


@pytest.fixture
def cli_as(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trading_stack: Stack
) -> Callable[[User, list[str]], Any]:
    """Run ``trademaster`` as a user (token from TM_TOKEN, services from TM_CLIENT_*_ADDR)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("TM_CLIENT_TARGET", raising=False)
    for name, value in client_env(trading_stack).items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    def run(who: User, args: list[str]) -> Any:
        token = who.headers["Authorization"].removeprefix("Bearer ")
        return runner.invoke(cli, args, env={"TM_TOKEN": token})

    return run


def test_cli_instrument_limits_orders_cancel_positions_and_verify(
    http: httpx.Client,
    trading_stack: Stack,
    admin: User,
    trader: User,
    cli_as: Callable[[User, list[str]], Any],
) -> None:
    account_id = open_account(http, trader)["id"]
    instrument = f"CLI-{uuid.uuid4().hex[:6].upper()}"

    put = cli_as(
        admin, ["risk", "instruments", "put", instrument, "--tick-size", "0.5", "--lot-size", "1"]
    )
    limits = cli_as(
        admin,
        [
            "risk",
            "limits",
            "set",
            account_id,
            "--max-position",
            "*=20",
            "--max-reference-age-ms",
            "3600000",
            "--reason",
            "cli",
            "--json",
        ],
    )
    publish_price(trading_stack, instrument, 100.0)
    off_tick = cli_as(
        trader,
        [
            "risk",
            "orders",
            "submit",
            account_id,
            instrument,
            "buy",
            "2",
            "--limit",
            "90.3",
            "--tif",
            "gtc",
        ],
    )
    placed = cli_as(
        trader,
        [
            "risk",
            "orders",
            "submit",
            account_id,
            instrument,
            "buy",
            "2",
            "--limit",
            "90.5",
            "--tif",
            "gtc",
            "--client-order-id",
            "cli-rest",
            "--json",
        ],
    )
    working = cli_as(trader, ["risk", "orders", "list", account_id, "--working", "--json"])
    cancelled = cli_as(trader, ["risk", "orders", "cancel", account_id, "cli-rest", "--json"])
    market = cli_as(trader, ["risk", "orders", "submit", account_id, instrument, "sell", "3"])
    publish_price(trading_stack, instrument, 101.0)
    wait_for(
        lambda: json.loads(cli_as(trader, ["risk", "positions", account_id, "--json"]).output)[
            "positions"
        ],
        "the market sell to fill",
    )
    positions = cli_as(trader, ["risk", "positions", account_id, "--json"])
    fills = cli_as(trader, ["risk", "fills", account_id])
    verified = cli_as(admin, ["risk", "verify"])
    not_for_traders = cli_as(trader, ["risk", "verify"])

    assert put.exit_code == 0, put.output
    assert limits.exit_code == 0, limits.output
    assert json.loads(limits.output)["max_position"] == {"*": "20"}
    assert off_tick.exit_code == 3 and "PRICE_NOT_TICK_MULTIPLE" in off_tick.output
    assert placed.exit_code == 0, placed.output
    assert json.loads(placed.output)["order"]["status"] in ("PENDING_NEW", "ACCEPTED")
    assert [o["client_order_id"] for o in json.loads(working.output)["orders"]] == ["cli-rest"]
    assert json.loads(cancelled.output)["status"] in ("PENDING_CANCEL", "CANCELLED")
    assert market.exit_code == 0, market.output
    assert [
        (p["instrument_id"], p["quantity"]) for p in json.loads(positions.output)["positions"]
    ] == [(instrument, "-3")]
    assert fills.exit_code == 0 and instrument in fills.output
    assert verified.exit_code == 0 and "chain valid" in verified.output
    assert not_for_traders.exit_code == 1 and "PERMISSION_DENIED" in not_for_traders.output


def test_modify_a_resting_order_over_rest_and_cli_then_it_fills_at_the_new_terms(
    http: httpx.Client,
    trading_stack: Stack,
    admin: User,
    trader: User,
    cli_as: Callable[[User, list[str]], Any],
) -> None:
    account_id = open_account(http, trader)["id"]
    base = f"/api/v1/accounts/{account_id}"
    assert http.put(f"{base}/limits", headers=admin.headers, json=LENIENT_LIMITS).is_success
    instrument = new_instrument(http, admin)
    publish_price(trading_stack, instrument, 100.0)
    body = order_body(
        instrument, "BUY", "5", order_type="LIMIT", limit_price="90", time_in_force="GTC"
    )
    placed = http.post(f"{base}/orders", headers=trader.headers, json=body)
    assert placed.json()["decision"]["decision"] == "ALLOW", placed.text
    path = f"{base}/orders/{body['client_order_id']}:modify"

    grown = http.post(path, headers=trader.headers, json={"request_id": "m-1", "quantity": "6"})
    again = http.post(path, headers=trader.headers, json={"request_id": "m-1", "quantity": "7"})
    empty = http.post(path, headers=trader.headers, json={"request_id": "m-2"})
    stranger = new_user(http, trading_stack, admin, "trader")
    theirs = http.post(path, headers=stranger.headers, json={"request_id": "m-3", "quantity": "1"})
    cli = cli_as(
        trader,
        ["risk", "orders", "modify", account_id, body["client_order_id"], "--limit", "101"],
    )

    assert grown.status_code == 200, grown.text
    result = grown.json()
    assert result["decision"]["decision"] == "ALLOW" and result["order"]["quantity"] == "6"
    assert again.json()["replayed"] is True
    assert again.json()["decision"]["decision_id"] == result["decision"]["decision_id"]
    assert empty.status_code == 400 and "quantity" in empty.text
    assert theirs.status_code == 404, theirs.text
    assert cli.exit_code == 0, cli.output
    assert "ALLOW" in cli.output
    publish_price(trading_stack, instrument, 100.0)  # crosses the new limit 101, not 90
    order = wait_for(
        lambda: (
            (o := http.get(path.removesuffix(":modify"), headers=trader.headers).json())["status"]
            == "FILLED"
            and o
        ),
        "the modified order to fill",
    )
    assert (order["filled_quantity"], order["average_fill_price"]) == ("6", "100")
