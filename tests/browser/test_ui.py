"""The web UI in headless Chromium against a real gateway + strategy service."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect
from ui_session import UiStack, UiUser, http_json, login_token, screenshot, sign_in

pytestmark = pytest.mark.browser

SYNTHETIC_DATASET = "synthetic.gbm_daily.csv"


def field_error(page: Any, field: str) -> Any:
    """The error text Mantine ties to the input `data-field=field` via aria-describedby."""
    control = page.locator(f'[data-field="{field}"]')
    expect(control).to_have_attribute("aria-invalid", "true")
    ids = (control.get_attribute("aria-describedby") or "").split()
    error_ids = [i for i in ids if i.endswith("-error")]
    assert error_ids, f"{field} has no error description (aria-describedby={ids})"
    return page.locator(f"#{error_ids[0]}")


def create_strategy_via_api(stack: UiStack, user: UiUser, name: str) -> dict[str, Any]:
    return http_json(
        "POST",
        f"{stack.url}/api/v1/strategies",
        {"name": name, "task": "algorithmic_trading", "agent": "dqn"},
        token=login_token(stack, user),
    )


def test_sign_in_shows_dashboard_and_sign_out_returns_to_login(
    page: Any, ui_stack: UiStack, user_a: UiUser
) -> None:
    sign_in(page, ui_stack, user_a)

    expect(page.get_by_test_id("dashboard")).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_have_text(user_a.username)
    expect(page.get_by_test_id("status-card")).to_contain_text("strategy")
    expect(page.get_by_test_id("datasets-card")).not_to_contain_text("Loading")
    screenshot(page, "dashboard")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.goto(f"{ui_stack.url}/strategies")
    expect(page).to_have_url(f"{ui_stack.url}/login?next=%2Fstrategies")


def test_wrong_password_is_refused_with_the_gateway_message(
    page: Any, ui_stack: UiStack, user_a: UiUser
) -> None:
    sign_in(page, ui_stack, UiUser(user_a.username, "not-the-password"))

    expect(page.get_by_test_id("login-error")).to_contain_text("invalid")
    screenshot(page, "login_error")


def test_rejected_token_sends_the_user_back_to_login(
    page: Any, ui_stack: UiStack, user_a: UiUser
) -> None:
    sign_in(page, ui_stack, user_a)
    expect(page.get_by_test_id("dashboard")).to_be_visible()

    page.evaluate("sessionStorage.setItem('tm.token', 'not-a-jwt')")
    page.goto(f"{ui_stack.url}/strategies")

    expect(page.get_by_text("Your session ended")).to_be_visible()
    assert "/login" in page.url


def test_create_strategy_shows_server_rejection_next_to_the_field(
    page: Any, ui_stack: UiStack, user_a: UiUser
) -> None:
    name = f"ui-created-{uuid.uuid4().hex[:6]}"
    sign_in(page, ui_stack, user_a, "/strategies/new")
    expect(page.get_by_test_id("config-form")).to_be_visible()
    page.get_by_label("Name").fill(name)
    window = page.locator('[data-field="env.window"]')
    window.fill("0")

    page.get_by_role("button", name="Create strategy").click()

    expect(field_error(page, "env.window")).to_contain_text("must be >= 1, was 0")
    expect(page.get_by_test_id("form-error")).to_be_visible()
    screenshot(page, "strategy_rejected_field")
    window.fill("20")
    page.get_by_role("button", name="Create strategy").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    assert "/strategies/" in page.url and page.url.rsplit("/", 1)[1] != "new"
    expect(page.locator('[data-field="env.window"]')).to_have_value("20")
    screenshot(page, "strategy_edit")


def test_edit_saves_a_new_version(page: Any, ui_stack: UiStack, user_a: UiUser) -> None:
    created = create_strategy_via_api(ui_stack, user_a, f"ui-edit-{uuid.uuid4().hex[:6]}")
    sign_in(page, ui_stack, user_a, f"/strategies/{created['id']}")
    expect(page.get_by_test_id("config-form")).to_be_visible()

    page.get_by_label("Description").fill("tuned gamma")
    page.locator('[data-field="agent_params.gamma"]').fill("0.95")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_test_id("form-notice")).to_contain_text("Saved version 2")
    stored = http_json(
        "GET",
        f"{ui_stack.url}/api/v1/strategies/{created['id']}",
        token=login_token(ui_stack, user_a),
    )
    assert stored["description"] == "tuned gamma"
    assert stored["config"]["agent_params"]["gamma"] == pytest.approx(0.95)


def test_user_b_does_not_see_user_a_strategies(
    page: Any, ui_stack: UiStack, user_a: UiUser, user_b: UiUser
) -> None:
    name = f"only-for-a-{uuid.uuid4().hex[:6]}"
    created = create_strategy_via_api(ui_stack, user_a, name)

    sign_in(page, ui_stack, user_b, "/strategies")
    expect(page.get_by_test_id("strategies-page")).to_be_visible()
    expect(page.get_by_test_id("empty")).to_be_visible()
    expect(page.get_by_text(name)).to_have_count(0)
    screenshot(page, "strategies_user_b_empty")
    page.goto(f"{ui_stack.url}/strategies/{created['id']}")
    expect(page.get_by_test_id("error-alert")).to_contain_text("not found")

    page.get_by_role("button", name="Log out").click()
    sign_in(page, ui_stack, user_a, "/strategies")
    expect(page.get_by_test_id("strategies-table")).to_contain_text(name)
    screenshot(page, "strategies_user_a")


def test_datasets_list_and_detail_chart(page: Any, ui_stack: UiStack, user_a: UiUser) -> None:
    sign_in(page, ui_stack, user_a, "/datasets")
    table = page.get_by_test_id("datasets-table")
    expect(table).to_be_visible()
    page.get_by_test_id("datasets-search").fill("gbm_daily")  # the list is paged
    expect(table).to_contain_text(SYNTHETIC_DATASET)
    screenshot(page, "datasets")

    table.get_by_role("link", name="synthetic/gbm_daily.csv").click()

    expect(page.get_by_test_id("dataset-detail")).to_contain_text("750")
    chart = page.get_by_test_id("price-chart")
    expect(chart.locator("canvas").first).to_be_visible()
    expect(page.get_by_test_id("chart-caption")).to_contain_text("750 bars of 750 rows")
    screenshot(page, "dataset_chart")
    page.get_by_label("From").fill("2020-03-01")
    page.get_by_label("To").fill("2020-03-31")
    page.get_by_role("button", name="Apply range").click()
    expect(page.get_by_test_id("chart-caption")).not_to_contain_text("of 750 rows")


def test_client_routes_survive_a_reload(page: Any, ui_stack: UiStack, user_a: UiUser) -> None:
    sign_in(page, ui_stack, user_a, "/datasets")
    expect(page.get_by_test_id("datasets-page")).to_be_visible()

    page.reload()

    expect(page.get_by_test_id("datasets-page")).to_be_visible()


def test_narrow_screen_uses_the_burger_menu(
    browser: Any, ui_stack: UiStack, user_a: UiUser
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, ui_stack, user_a)
        expect(page.get_by_test_id("dashboard")).to_be_visible()
        expect(page.get_by_role("link", name="Datasets")).not_to_be_in_viewport()
        screenshot(page, "dashboard_narrow")

        page.locator(".mantine-Burger-root").click()
        page.get_by_role("link", name="Datasets").click()

        expect(page.get_by_test_id("datasets-page")).to_be_visible()
        screenshot(page, "datasets_narrow")
    finally:
        context.close()
