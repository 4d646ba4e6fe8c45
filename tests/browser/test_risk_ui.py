"""Risk console in headless Chromium against the whole stack: a trader opens a paper account,
places an order from the ticket, watches decisions arrive live (also one placed over the API,
outside the page) and pulls the kill switch, which halts the account and cancels its working
order."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect
from support.market_data import publish_price
from trademaster.api.identity.v1 import identity_pb2
from ui_session import UiStack, create_user, http_json, login_token, screenshot, sign_in

pytestmark = pytest.mark.browser

UNKNOWN = "NO-SUCH-INSTRUMENT"


def _arrange_market(stack: UiStack, account_id: str) -> str:
    """As admin: lenient reference-age limits on the account, a fresh instrument at 100."""
    admin = login_token(stack, stack.admin)
    http_json(
        "PUT",
        f"{stack.url}/api/v1/accounts/{account_id}/limits",
        {"reason": "browser test on a loaded machine", "max_reference_age_ms": 3_600_000},
        admin,
    )
    instrument = f"UI-{uuid.uuid4().hex[:6].upper()}"
    http_json(
        "PUT",
        f"{stack.url}/api/v1/instruments/{instrument}",
        {"tick_size": "0.01", "lot_size": "1"},
        admin,
    )
    publish_price(stack.redis_url, instrument, 100.0)
    return instrument


def _place_limit_buy(page: Any, instrument: str) -> None:
    ticket = page.get_by_test_id("order-ticket")
    ticket.get_by_label("Instrument").fill(instrument)
    ticket.get_by_label("Quantity").fill("5")
    ticket.get_by_text("LIMIT", exact=True).click()
    ticket.get_by_label("Limit price").fill("90")
    ticket.get_by_role("button", name="Place order").click()


def test_console_shows_live_decisions_and_kill_switch_cancels_working_orders(
    page: Any, ui_stack: UiStack
) -> None:
    trader = create_user(ui_stack, "ui_trader", identity_pb2.ROLE_TRADER)
    sign_in(page, ui_stack, trader, "/risk")
    form = page.get_by_test_id("new-account-form")
    form.get_by_label("Account name").fill("browser paper")
    form.get_by_label("Initial cash").fill("100000")
    form.get_by_role("button", name="Open account").click()

    console = page.get_by_test_id("account-console")
    expect(console).to_be_visible()
    account_id = re.search(r"/risk/([^/?#]+)$", page.url).group(1)  # type: ignore[union-attr]
    expect(page.get_by_test_id("trading-state")).to_have_text("ACTIVE")
    expect(page.get_by_test_id("equity")).to_have_text("100,000")
    expect(page.get_by_test_id("stream-status")).to_have_text("live")
    expect(page.get_by_test_id("account-row")).to_contain_text(["browser paper"])
    instrument = _arrange_market(ui_stack, account_id)

    _place_limit_buy(page, instrument)

    expect(page.get_by_test_id("order-result")).to_contain_text("ALLOW")
    expect(page.get_by_test_id("working-order-row")).to_have_count(1)
    feed = page.get_by_test_id("decision-feed")
    expect(feed.locator("[data-decision=ALLOW]")).to_have_count(1)

    # An order from outside the page (another client) reaches the feed over the WebSocket.
    token = login_token(ui_stack, trader)
    http_json(
        "POST",
        f"{ui_stack.url}/api/v1/accounts/{account_id}/orders",
        {
            "client_order_id": f"api-{uuid.uuid4().hex[:8]}",
            "instrument_id": UNKNOWN,
            "side": "SELL",
            "quantity": "3",
        },
        token,
    )
    denied = feed.locator("[data-decision=DENY]")
    expect(denied).to_have_count(1)
    expect(denied.get_by_test_id("decision-reason")).to_contain_text(["INSTRUMENT_UNKNOWN"])
    screenshot(page, "risk_console_live")
    denied.click()
    detail = page.get_by_test_id("decision-detail")
    expect(detail).to_contain_text("INSTRUMENT_UNKNOWN")
    expect(detail).to_contain_text("entry_hash")
    screenshot(page, "risk_decision_detail")
    page.keyboard.press("Escape")
    expect(detail).to_have_count(0)

    page.get_by_test_id("kill-switch").click()
    dialog = page.get_by_role("dialog")
    confirm = dialog.get_by_role("button", name="Halt account and cancel orders")
    expect(confirm).to_be_disabled()
    dialog.get_by_label("Reason").fill("browser test kill")
    screenshot(page, "risk_kill_confirm")
    confirm.click()

    expect(page.get_by_test_id("trading-state")).to_have_text("HALTED")
    expect(page.get_by_test_id("kill-result")).to_contain_text("1 of 1 working order(s) cancelled")
    expect(page.get_by_test_id("working-orders-empty")).to_be_visible()
    expect(page.get_by_test_id("state-change-row").first).to_contain_text("browser test kill")
    expect(page.get_by_test_id("account-row")).to_contain_text(["HALTED"])
    orders = http_json(
        "GET", f"{ui_stack.url}/api/v1/accounts/{account_id}/orders?status=CANCELLED", None, token
    )["orders"]
    assert [o["instrument_id"] for o in orders] == [instrument]
    screenshot(page, "risk_console_halted")


def test_risk_officer_edits_limits_of_a_traders_account(page: Any, ui_stack: UiStack) -> None:
    trader = create_user(ui_stack, "ui_trader", identity_pb2.ROLE_TRADER)
    officer = create_user(ui_stack, "ui_officer", identity_pb2.ROLE_RISK_OFFICER)
    trader_token = login_token(ui_stack, trader)
    account = http_json(
        "POST",
        f"{ui_stack.url}/api/v1/accounts",
        {"name": "desk account", "initial_cash": "50000"},
        trader_token,
    )

    sign_in(page, ui_stack, officer, f"/risk/{account['id']}")

    expect(page.get_by_test_id("account-console")).to_be_visible()
    expect(page.get_by_test_id("account-row").filter(has_text="desk account")).to_have_count(1)
    expect(page.get_by_test_id("order-ticket")).to_have_count(0)
    editor = page.get_by_test_id("limits-editor")
    editor.get_by_label("max. order quantity").fill("2")
    editor.get_by_label("max. position").fill("*=10")
    editor.get_by_label("reason").fill("desk policy")
    editor.get_by_role("button", name="Save limits").click()
    expect(page.get_by_test_id("limits-saved")).to_be_visible()
    screenshot(page, "risk_limits_saved")
    limits = http_json(
        "GET", f"{ui_stack.url}/api/v1/accounts/{account['id']}/limits", None, trader_token
    )
    assert (limits["max_order_quantity"], limits["max_position"]) == ("2", {"*": "10"})
    assert limits["updated_by"] and limits["version"] >= 1
