"""The administration page (users, roles, service tokens, audit log) and the datasets page's
search and paging, in headless Chromium against a real stack."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect
from ui_session import UiStack, UiUser, http_json, login_token, screenshot, sign_in

pytestmark = pytest.mark.browser

PAGE_SIZE = 25  # DATASETS_PAGE_SIZE in services/gateway/ui/src/pages/DatasetsPage.tsx


def _refused(method: str, url: str, body: Any = None, token: str | None = None) -> Any:
    """The error body of a call that must answer 401."""
    request = urllib.request.Request(
        url, data=None if body is None else json.dumps(body).encode(), method=method
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        urllib.request.urlopen(request, timeout=30).close()
    except urllib.error.HTTPError as error:
        assert error.code == 401, error.code
        return json.loads(error.read())
    raise AssertionError(f"{method} {url} was not refused")


def test_admin_creates_disables_and_sees_it_in_the_audit_log(page: Any, ui_stack: UiStack) -> None:
    username = f"ui-new-{uuid.uuid4().hex[:6]}"
    password = "a-long-password-1234"
    sign_in(page, ui_stack, ui_stack.admin, "/admin")
    expect(page.get_by_test_id("admin-page")).to_be_visible()

    page.get_by_test_id("admin-new-username").fill(username)
    page.get_by_test_id("admin-new-password").fill(password)
    page.get_by_role("button", name="Create user").click()
    row = page.get_by_test_id(f"admin-user-{username}")
    expect(row).to_be_visible()
    row.get_by_role("button", name="Disable").click()
    expect(row).to_contain_text("disabled")
    screenshot(page, "admin_users")
    page.get_by_role("tab", name="Audit log").click()

    expect(page.get_by_test_id("admin-audit")).to_contain_text("user.create")
    login = _refused(
        "POST", f"{ui_stack.url}/api/v1/auth/login", {"username": username, "password": password}
    )
    assert login["error"]["code"] == "UNAUTHENTICATED"


def test_admin_creates_a_scoped_token_once_and_revokes_it(page: Any, ui_stack: UiStack) -> None:
    name = f"ui-bot-{uuid.uuid4().hex[:6]}"
    sign_in(page, ui_stack, ui_stack.admin, "/admin")
    page.get_by_role("tab", name="Service tokens").click()

    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_role("textbox", name="Scopes").click()
    page.get_by_role("option", name="strategy:read", exact=True).click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_test_id("admin-token-secret").inner_text().strip()
    table = page.get_by_test_id("admin-tokens")
    row = table.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("active")
    reply = http_json("GET", f"{ui_stack.url}/api/v1/strategies", token=secret)
    row.get_by_role("button", name="Revoke").click()

    expect(row).to_contain_text("revoked")
    assert "strategies" in reply
    after = _refused("GET", f"{ui_stack.url}/api/v1/strategies", token=secret)
    assert after["error"]["reason"] == "TOKEN_REVOKED"


def test_non_admins_have_no_administration_link(
    page: Any, ui_stack: UiStack, user_a: UiUser
) -> None:
    sign_in(page, ui_stack, user_a, "/")

    expect(page.get_by_role("link", name="Strategies")).to_be_visible()
    expect(page.get_by_role("link", name="Administration")).to_have_count(0)


def test_datasets_search_and_pages(page: Any, ui_stack: UiStack, user_a: UiUser) -> None:
    datasets = http_json(
        "GET",
        f"{ui_stack.url}/api/v1/datasets?page_size=500",
        token=login_token(ui_stack, user_a),
    )["datasets"]
    sign_in(page, ui_stack, user_a, "/datasets")
    table = page.get_by_test_id("datasets-table")
    expect(table).to_be_visible()

    rows = table.locator("tbody tr")
    expect(rows).to_have_count(min(len(datasets), PAGE_SIZE))
    expect(page.get_by_test_id("datasets-pages")).to_have_count(
        1 if len(datasets) > PAGE_SIZE else 0
    )
    page.get_by_test_id("datasets-search").fill("gbm_daily")
    expect(rows).to_have_count(
        sum("gbm_daily" in (d["id"] + d.get("name", "")).lower() for d in datasets)
    )
    expect(table).to_contain_text("synthetic/gbm_daily.csv")
    page.get_by_test_id("datasets-search").fill("no-such-dataset-xyz")
    expect(page.get_by_test_id("datasets-page")).to_contain_text("matching")
