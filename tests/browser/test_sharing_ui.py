"""Sharing a strategy and a backtest read-only in the web UI: the owner's Share dialog, the
viewer's "Shared with me" view and read-only page, and withdrawing the share (headless
Chromium, real stack)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect
from trademaster.api.identity.v1 import identity_pb2
from ui_session import UiStack, UiUser, create_user, http_json, login_token, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_owner_shares_viewer_reads_owner_withdraws(
    page: Any, ui_stack: UiStack, user_a: UiUser
) -> None:
    viewer = create_user(ui_stack, "ui_viewer", identity_pb2.ROLE_VIEWER)
    name = f"shared-{uuid.uuid4().hex[:6]}"
    created = http_json(
        "POST",
        f"{ui_stack.url}/api/v1/strategies",
        {"name": name, "task": "algorithmic_trading", "agent": "dqn"},
        token=login_token(ui_stack, user_a),
    )

    sign_in(page, ui_stack, user_a, "/strategies")
    row = page.get_by_test_id("strategies-table").get_by_role("row").filter(has_text=name)
    row.get_by_role("button", name="Share").click()
    dialog = page.get_by_test_id("share-dialog")
    dialog.get_by_test_id("share-username").fill(viewer.username)
    dialog.get_by_role("button", name="Share").click()
    expect(dialog.get_by_test_id("shares-table")).to_contain_text(viewer.username)
    screenshot(page, "strategy_share_dialog")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Log out").click()

    sign_in(page, ui_stack, viewer, "/strategies")
    page.get_by_test_id("strategies-view").get_by_text("Shared with me").click()
    table = page.get_by_test_id("strategies-table")
    expect(table).to_contain_text(name)
    expect(table).to_contain_text("read-only")
    table.get_by_role("link", name=name).click()
    expect(page.get_by_test_id("strategy-read-only")).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    screenshot(page, "strategy_shared_read_only")

    page.get_by_role("button", name="Log out").click()

    sign_in(page, ui_stack, user_a, "/strategies")
    row = page.get_by_test_id("strategies-table").get_by_role("row").filter(has_text=name)
    row.get_by_role("button", name="Share").click()
    dialog = page.get_by_test_id("share-dialog")
    dialog.get_by_test_id("shares-table").get_by_role("button", name="Remove").click()
    expect(dialog).to_contain_text("Not shared with anyone.")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Log out").click()

    sign_in(page, ui_stack, viewer, f"/strategies/{created['id']}")
    expect(page.get_by_test_id("error-alert")).to_contain_text("not found")


def _finished_backtest(ui_stack: UiStack, token: str) -> str:
    created = http_json(
        "POST",
        f"{ui_stack.url}/api/v1/backtests",
        {"dataset_id": "synthetic.gbm_daily_5_assets.csv", "baseline": "equal_weight"},
        token=token,
    )
    deadline = time.monotonic() + 120
    while True:
        got = http_json("GET", f"{ui_stack.url}/api/v1/backtests/{created['id']}", token=token)
        if got["state"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            assert got["state"] == "SUCCEEDED", got
            return str(created["id"])
        assert time.monotonic() < deadline, got
        time.sleep(0.5)


def test_owner_shares_a_backtest_viewer_reads_its_report_owner_withdraws(
    page: Any, ui_stack: UiStack, user_a: UiUser
) -> None:
    viewer = create_user(ui_stack, "ui_bt_viewer", identity_pb2.ROLE_VIEWER)
    backtest_id = _finished_backtest(ui_stack, login_token(ui_stack, user_a))

    sign_in(page, ui_stack, user_a, f"/backtests/{backtest_id}")
    expect(page.get_by_test_id("backtest-state")).to_have_text("SUCCEEDED")
    page.get_by_test_id("share-button").click()
    dialog = page.get_by_test_id("share-dialog")
    expect(dialog).to_contain_text("not cancel it")
    dialog.get_by_test_id("share-username").fill(viewer.username)
    dialog.get_by_role("button", name="Share").click()
    expect(dialog.get_by_test_id("shares-table")).to_contain_text(viewer.username)
    screenshot(page, "backtest_share_dialog")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Log out").click()

    sign_in(page, ui_stack, viewer, "/backtests")
    expect(page.get_by_test_id("backtests-table")).to_have_count(0)
    page.get_by_test_id("backtests-view").get_by_text("Shared with me").click()
    table = page.get_by_test_id("backtests-table")
    expect(table.get_by_test_id("backtest-row")).to_have_count(1)
    table.get_by_role("link").first.click()
    expect(page.get_by_test_id("backtest-state")).to_have_text("SUCCEEDED")
    expect(page.get_by_test_id("read-only-badge")).to_be_visible()
    expect(page.get_by_test_id("share-button")).to_have_count(0)
    expect(page.get_by_test_id("backtest-metrics")).to_contain_text("sharpe ratio")
    screenshot(page, "backtest_shared_read_only")
    page.get_by_role("button", name="Log out").click()

    sign_in(page, ui_stack, user_a, f"/backtests/{backtest_id}")
    page.get_by_test_id("share-button").click()
    dialog = page.get_by_test_id("share-dialog")
    dialog.get_by_test_id("shares-table").get_by_role("button", name="Remove").click()
    expect(dialog).to_contain_text("Not shared with anyone.")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Log out").click()

    sign_in(page, ui_stack, viewer, f"/backtests/{backtest_id}")
    expect(page.get_by_test_id("error-alert")).to_contain_text("not found")
