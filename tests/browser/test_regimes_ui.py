"""Per-regime evaluation in the UI: a backtest on a dataset the platform labelled shows its
equity chart shaded by regime, the per-label metrics and the dynamics test for a chosen label."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect
from ui_session import UiStack, UiUser, login_token, screenshot, sign_in

pytestmark = pytest.mark.browser


def _trending_csv(n: int = 400) -> bytes:
    """Bars with clear up, down and flat stretches, so every label has long segments."""
    rng = np.random.default_rng(5)
    drift = np.repeat([0.004, -0.004, 0.0, 0.004, -0.004], n // 5)
    close = 100 * np.exp(np.cumsum(drift + rng.normal(0, 0.006, n)))
    return (
        pd.DataFrame(
            {
                "date": pd.bdate_range("2018-01-01", periods=n).strftime("%Y-%m-%d"),
                "tic": "TREND",
                "open": close,
                "high": close * 1.01,
                "low": close * 0.99,
                "close": close,
                "volume": 1e5,
            }
        )
        .to_csv(index=False)
        .encode()
    )


def _labelled_backtest(stack: UiStack, user: UiUser) -> str:
    """Upload, label and backtest buy-and-hold through the REST API; the backtest id."""
    who = {"Authorization": f"Bearer {login_token(stack, user)}"}
    with httpx.Client(base_url=stack.url, headers=who, timeout=120.0) as http:
        uploaded = http.post(
            "/api/v1/datasets", files={"file": ("trend.csv", _trending_csv(), "text/csv")}
        )
        assert uploaded.status_code == 201, uploaded.text
        labelled = http.post(
            f"/api/v1/datasets/{uploaded.json()['id']}:label",
            json={"params": {"min_length": 12}},
        )
        assert labelled.status_code == 201, labelled.text
        created = http.post(
            "/api/v1/backtests",
            json={"dataset_id": labelled.json()["dataset"]["id"], "baseline": "buy_and_hold"},
        )
        assert created.status_code == 201, created.text
        backtest_id = str(created.json()["id"])
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            state = http.get(f"/api/v1/backtests/{backtest_id}").json()["state"]
            if state in {"SUCCEEDED", "FAILED", "CANCELLED"}:
                assert state == "SUCCEEDED"
                return backtest_id
            time.sleep(1)
    raise AssertionError(f"backtest {backtest_id} did not finish")


def test_labelled_backtest_shows_regime_shading_table_and_dynamics_test(
    page: Any, ui_stack: UiStack, user_a: UiUser
) -> None:
    backtest_id = _labelled_backtest(ui_stack, user_a)
    sign_in(page, ui_stack, user_a, f"/backtests/{backtest_id}")
    expect(page.get_by_test_id("backtest-state")).to_have_text("SUCCEEDED", timeout=60_000)

    chart = page.get_by_test_id("equity-chart")
    expect(chart.locator("canvas").first).to_be_visible()
    points = int(chart.get_attribute("data-points") or 0)
    assert int(chart.get_attribute("data-bands") or 0) == points // 2 > 100  # strategy + benchmark
    swatches = page.get_by_test_id("regime-legend").get_by_test_id("regime-swatch")
    expect(swatches).to_have_count(3)
    assert swatches.all_text_contents() == ["0", "1", "2"]
    table = page.get_by_test_id("regime-table")
    expect(table.locator("tbody tr")).to_have_count(3)

    card = page.get_by_test_id("dynamics-test")
    expect(card.get_by_test_id("dynamics-policy")).to_have_count(3)
    expect(card.get_by_test_id("dynamics-policy").first).to_contain_text("strategy")
    expect(card.get_by_test_id("dynamics-summary")).to_contain_text("of label 0")
    # the strategy *is* buy-and-hold: its score is +-50 on every label
    score = card.get_by_test_id("dynamics-score").locator("td").nth(1).text_content() or ""
    assert abs(float(score)) == pytest.approx(50.0, abs=0.1), score
    screenshot(page, "backtest_regimes")

    card.get_by_role("textbox", name="Label").click()
    page.get_by_role("option", name="2", exact=True).click()
    expect(card.get_by_test_id("dynamics-summary")).to_contain_text("of label 2")
    with page.expect_download() as download_info:
        card.get_by_role("button", name="Download dynamics report").click()
    assert download_info.value.suggested_filename == "dynamics_test.html"

    # what the run used: the summary and samples on the page, the peaks in the list
    usage = page.get_by_test_id("backtest-resource-usage")
    expect(usage).to_contain_text("rss mib peak")
    expect(usage).not_to_contain_text("gpu")  # no GPU here: no GPU fields at all
    assert int(usage.get_by_test_id("backtest-resource-chart").get_attribute("data-points") or 0)
    page.get_by_role("link", name="Backtests").first.click()
    row = page.get_by_test_id("backtests-table").locator("tr", has_text=backtest_id[:8])
    expect(row.get_by_test_id("backtest-resources")).to_have_text(re.compile(r"^[\d.]+ / [\d.]+$"))
