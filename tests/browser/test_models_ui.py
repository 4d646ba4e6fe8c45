"""Model registry pages in headless Chromium against the whole stack: register a model, add two
versions from finished training jobs, set champion, open a version, compare the two."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect
from test_training_ui import tiny_dqn_strategy
from ui_session import UiStack, UiUser, http_json, login_token, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JOB_TIMEOUT_S = 600.0


def _finished_jobs(stack: UiStack, user: UiUser) -> list[str]:
    """Two tiny DQN jobs (gamma 0.9 and 0.95) trained to SUCCEEDED through the API."""
    token = login_token(stack, user)
    strategy = tiny_dqn_strategy(stack, user)
    ids = [
        http_json(
            "POST",
            f"{stack.url}/api/v1/training-jobs",
            {
                "strategy_id": strategy["id"],
                "total_steps": 800,
                "overrides": {"agent_params": {"gamma": gamma}},
            },
            token=token,
        )["id"]
        for gamma in (0.9, 0.95)
    ]
    deadline = time.monotonic() + JOB_TIMEOUT_S
    for job_id in ids:
        while True:
            job = http_json("GET", f"{stack.url}/api/v1/training-jobs/{job_id}", token=token)
            if job["state"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                assert job["state"] == "SUCCEEDED", job["failure_reason"]
                break
            assert time.monotonic() < deadline, f"job {job_id} still {job['state']}"
            time.sleep(1)
    return ids


def test_register_versions_set_champion_and_compare(
    page: Any, ui_stack: UiStack, user_a: UiUser
) -> None:
    jobs = _finished_jobs(ui_stack, user_a)
    name = f"ui-model-{uuid.uuid4().hex[:6]}"
    sign_in(page, ui_stack, user_a, "/models")
    expect(page.get_by_test_id("models-page")).to_be_visible()

    page.get_by_test_id("model-name").fill(name)
    page.get_by_test_id("create-model").click()
    page.get_by_role("link", name=name).click()
    expect(page.get_by_test_id("model-detail-page")).to_be_visible()
    for job_id in jobs:
        page.get_by_test_id("register-job-id").fill(job_id)
        page.get_by_test_id("register-version").click()
        expect(page.get_by_test_id("version-row")).to_have_count(jobs.index(job_id) + 1)
    rows = page.get_by_test_id("version-row")
    rows.filter(has_text="v1").get_by_role("button", name="champion").click()
    expect(rows.filter(has_text="v1")).to_contain_text("champion")

    rows.filter(has_text="v1").get_by_text("v1", exact=True).click()
    detail = page.get_by_test_id("version-detail")
    expect(detail).to_contain_text("Version 1")
    expect(page.get_by_test_id("version-metrics")).to_contain_text("eval/mean_return")
    page.get_by_label("compare v1").check()
    page.get_by_label("compare v2").check()

    compare = page.get_by_test_id("compare-table")
    expect(compare).to_contain_text("strategy.agent_params.gamma")
    expect(compare.get_by_test_id("compare-setting").filter(has_text="gamma")).to_contain_text(
        "0.95"
    )
    screenshot(page, "model_compare")

    page.goto(f"{ui_stack.url}/models")
    expect(page.get_by_test_id("model-row").filter(has_text=name)).to_contain_text("champion → v1")
