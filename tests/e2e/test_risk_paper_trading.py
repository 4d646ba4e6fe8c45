"""Paper trading through the gateway on the whole stack: a market order fills on the next bar
into a position, a resting limit order stays working, and the kill switch halts the account
and cancels it at the venue."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
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
