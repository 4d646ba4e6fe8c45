"""Alerts in headless Chromium against the whole stack: a rule made on the Alerts page, a
matching event from a real baseline backtest, the bell's unread count rising, the alert in its
list, marking it read; the API's field error shown in the rule form; the audit page for admins."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect
from ui_session import UiStack, UiUser, http_json, login_token, screenshot, sign_in

pytestmark = pytest.mark.browser

DATASET_ID = "synthetic.gbm_daily_5_assets.csv"
ALERT_TIMEOUT_MS = 120_000  # a baseline backtest on the shared 2-core machine, plus the poll


def _unread(page: Any) -> int:
    label = page.get_by_test_id("alert-bell").get_attribute("aria-label") or ""
    return int(label.split(",")[1].split()[0])


def _create_rule_in_form(page: Any, name: str) -> None:
    form = page.get_by_test_id("alert-rule-form")
    form.get_by_label("Rule name").fill(name)
    types = form.get_by_role("textbox", name="Event types")
    types.fill("backtest_finished")
    types.press("Enter")
    form.get_by_label("Topic prefix").fill("backtest/")
    form.get_by_label("Payload match").fill("state=SUCCEEDED")
    form.get_by_role("button", name="Create rule").click()


def test_rule_from_the_page_rings_the_bell_and_is_marked_read(
    page: Any, ui_stack: UiStack, user_a: UiUser
) -> None:
    name = f"bt-done-{uuid.uuid4().hex[:6]}"
    sign_in(page, ui_stack, user_a, "/alerts")
    expect(page.get_by_test_id("alerts-page")).to_be_visible()
    _create_rule_in_form(page, name)
    expect(page.get_by_test_id(f"alert-rule-{name}")).to_contain_text("backtest_finished")
    expect(page.get_by_test_id(f"alert-rule-{name}")).to_contain_text("state=SUCCEEDED")
    before = _unread(page)

    backtest = http_json(
        "POST",
        f"{ui_stack.url}/api/v1/backtests",
        {"dataset_id": DATASET_ID, "baseline": "buy_and_hold", "fee_rate": 0.001},
        token=login_token(ui_stack, user_a),
    )
    expect(page.get_by_test_id("alert-bell")).to_have_attribute(
        "aria-label", f"Alerts, {before + 1} unread", timeout=ALERT_TIMEOUT_MS
    )
    page.get_by_test_id("alert-bell").click()
    item = page.get_by_test_id("alert-item").filter(has_text=f"backtest/{backtest['id']}")
    expect(item).to_have_attribute("data-read", "false")
    screenshot(page, "alerts_bell")
    item.get_by_role("button", name="Mark read").click()

    expect(item).to_have_attribute("data-read", "true")
    expect(page.get_by_test_id("alert-bell")).to_have_attribute(
        "aria-label", f"Alerts, {before} unread"
    )
    listed = http_json("GET", f"{ui_stack.url}/api/v1/alerts", token=login_token(ui_stack, user_a))
    mine = [a for a in listed["alerts"] if a["topic"] == f"backtest/{backtest['id']}"]
    assert len(mine) == 1 and mine[0]["read_at"] is not None


def test_rule_form_shows_the_field_the_api_refused(
    page: Any, ui_stack: UiStack, user_a: UiUser
) -> None:
    sign_in(page, ui_stack, user_a, "/alerts")
    form = page.get_by_test_id("alert-rule-form")
    form.get_by_label("Rule name").fill(f"bad-{uuid.uuid4().hex[:6]}")
    types = form.get_by_role("textbox", name="Event types")
    types.fill("no_such_event")
    types.press("Enter")
    form.get_by_role("button", name="Create rule").click()

    expect(form.get_by_test_id("error-alert")).to_contain_text("rule.event_types")
    expect(form).to_contain_text("no_such_event")


def test_audit_page_lists_actions_with_a_verified_chain(page: Any, ui_stack: UiStack) -> None:
    sign_in(page, ui_stack, ui_stack.admin, "/audit")
    expect(page.get_by_test_id("audit-verify")).to_contain_text("Hash chain verified")
    page.get_by_label("Resource").fill("alert_rule")
    page.get_by_role("button", name="Search").click()
    table = page.get_by_test_id("audit-actions")
    expect(table).to_contain_text("/api/v1/alert-rules")
    screenshot(page, "audit_page")


def test_audit_is_not_in_a_researchers_menu(page: Any, ui_stack: UiStack, user_b: UiUser) -> None:
    sign_in(page, ui_stack, user_b, "/")
    expect(page.get_by_role("link", name="Alerts")).to_be_visible()
    expect(page.get_by_role("link", name="Audit")).to_have_count(0)
