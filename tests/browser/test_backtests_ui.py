"""Backtests page in headless Chromium against the whole stack: a baseline run from the form to
its report (metrics, equity vs benchmark, drawdown, paged trades, HTML download)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from ui_session import UiStack, UiUser, screenshot, sign_in

pytestmark = pytest.mark.browser

DATASET_SEARCH = "gbm_daily_5"
DATASET_ID = "synthetic.gbm_daily_5_assets.csv"


def choose(page: Any, label: str, option: str, search: str | None = None) -> None:
    """Pick `option` in the Mantine Select labelled `label` (typing `search` first)."""
    field = page.get_by_role("textbox", name=label, exact=True)
    field.click()
    if search is not None:
        field.fill(search)
    page.get_by_role("option", name=option).first.click()


def test_baseline_backtest_shows_equity_chart_trades_and_report(
    page: Any, ui_stack: UiStack, user_a: UiUser, tmp_path: Path
) -> None:
    sign_in(page, ui_stack, user_a, "/backtests")
    form = page.get_by_test_id("backtest-form")
    expect(form).to_be_visible()
    choose(page, "Baseline", "Equal weight (rebalanced every bar)")
    choose(page, "Dataset", re.compile(re.escape(DATASET_ID)), DATASET_SEARCH)
    form.get_by_label("From").fill("2020-01-01")
    form.get_by_label("To (exclusive)").fill("2021-07-01")
    form.get_by_label("Fee rate").fill("0.001")
    screenshot(page, "backtest_form")

    form.get_by_role("button", name="Run backtest").click()

    expect(page.get_by_test_id("backtest-detail")).to_be_visible()
    assert re.search(r"/backtests/[0-9a-f-]{36}$", page.url), page.url
    expect(page.get_by_test_id("backtest-state")).to_have_text("SUCCEEDED", timeout=120_000)
    metrics = page.get_by_test_id("backtest-metrics")
    expect(metrics).to_contain_text("sharpe ratio")
    expect(metrics).to_contain_text("total fees")
    equity = page.get_by_test_id("equity-chart")
    expect(equity.locator("canvas").first).to_be_visible()
    assert int(equity.get_attribute("data-points") or 0) > 100
    assert int(page.get_by_test_id("drawdown-chart").get_attribute("data-points") or 0) > 50
    rows = page.get_by_test_id("trade-row")
    expect(rows.first).to_be_visible()
    assert rows.count() == 20
    first_page = rows.first.text_content()
    screenshot(page, "backtest_report")

    page.get_by_role("button", name="Next").click()

    expect(page.get_by_test_id("trades-page")).to_have_text("page 2")
    expect(rows.first).not_to_have_text(first_page)
    page.get_by_role("button", name="Previous").click()
    expect(page.get_by_test_id("trades-page")).to_have_text("page 1")
    expect(rows.first).to_have_text(first_page)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download HTML report").click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.name.endswith(".html")
    assert "<html" in saved.read_text(errors="replace").lower()

    page.get_by_role("link", name="Backtests").first.click()
    expect(page.get_by_test_id("backtests-table")).to_contain_text(DATASET_ID)
    screenshot(page, "backtests_list")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_test_id("backtests-card")).to_contain_text("equal weight")
