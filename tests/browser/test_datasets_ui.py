"""Importing one's own file in the UI: upload with progress, its report, the report page."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect
from ui_session import UiStack, UiUser, screenshot, sign_in

pytestmark = pytest.mark.browser


def _csv(path: Path, duplicates: int) -> Path:
    dates = pd.bdate_range("2020-01-01", periods=300).strftime("%Y-%m-%d")
    close = 100 * np.exp(np.cumsum(np.random.default_rng(3).normal(0, 0.01, 300)))
    df = pd.DataFrame(
        {"Date": dates, "Symbol": "MINE", "Open": close, "High": close * 1.01,
         "Low": close * 0.99, "Close": close, "Volume": 1e5}
    )  # fmt: skip
    pd.concat([df, df.iloc[:duplicates]]).to_csv(path, index=False)
    return path


def test_upload_shows_progress_then_the_report_and_lists_the_dataset(
    page: Any, ui_stack: UiStack, user_a: UiUser, tmp_path: Path
) -> None:
    name = f"mine-{uuid.uuid4().hex[:6]}.csv"
    sign_in(page, ui_stack, user_a, "/datasets")
    expect(page.get_by_test_id("dataset-drop")).to_be_visible()
    page.evaluate(  # record whether the progress bar ever showed (small files are quick)
        """() => new MutationObserver(() => {
             if (document.querySelector('[data-testid=upload-progress]')) window.sawProgress = 1;
           }).observe(document.body, {childList: true, subtree: true})"""
    )

    page.get_by_test_id("dataset-file").set_input_files(str(_csv(tmp_path / name, 2)))

    report = page.get_by_test_id("upload-report")
    expect(report).to_contain_text(name, timeout=60_000)
    expect(page.get_by_test_id("upload-status")).to_have_text("blocked")
    expect(page.get_by_test_id("upload-findings")).to_contain_text("duplicate_rows")
    assert page.evaluate("() => window.sawProgress") == 1
    table = page.get_by_test_id("datasets-table")
    row = table.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("blocked")
    screenshot(page, "dataset_upload_report")

    report.get_by_role("link", name=name).click()  # the report page, with its pictures
    full = page.get_by_test_id("quality-report")
    expect(full).to_contain_text("blocked", timeout=60_000)
    expect(page.get_by_test_id("quality-findings")).to_contain_text("duplicate_rows")
    expect(page.get_by_test_id("quality-heatmap")).to_contain_text("MINE")
    expect(page.get_by_test_id("quality-returns")).to_be_visible()
    screenshot(page, "dataset_quality_report")

    page.go_back()
    page.get_by_test_id("dataset-file").set_input_files(str(_csv(tmp_path / "x.txt", 0)))
    expect(page.get_by_test_id("upload-error")).to_contain_text(".csv")
