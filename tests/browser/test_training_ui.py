"""Training monitor in headless Chromium against the whole stack (trainer on a real Ray head):
start from the strategy page, live charts to SUCCEEDED, pause/resume, reload and a dropped
event stream."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect
from trademaster.config.strategy import default_config
from ui_session import UiStack, UiUser, http_json, login_token, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DATASET = "synthetic.gbm_daily.csv"
JOB_TIMEOUT_MS = 180_000
EVENTS_URL = re.compile(r".*/api/v1/events.*")


def tiny_dqn_strategy(stack: UiStack, user: UiUser) -> dict[str, Any]:
    """A DQN strategy that trains a few thousand steps in seconds."""
    config = default_config("algorithmic_trading", "dqn")
    config["dataset_id"] = DATASET
    config["env"].update(num_envs=4, episode_length=64)
    config["agent_params"].update(
        learning_starts=200, buffer_size=5_000, exploration_steps=1_000, hidden_sizes=[32, 32]
    )
    config["training"].update(total_steps=3_000, log_every_steps=200)
    return http_json(
        "POST",
        f"{stack.url}/api/v1/strategies",
        {
            "name": f"tiny-dqn-{uuid.uuid4().hex[:6]}",
            "task": "algorithmic_trading",
            "agent": "dqn",
            "dataset_id": DATASET,
            "config": config,
        },
        token=login_token(stack, user),
    )


def start_job_via_api(stack: UiStack, user: UiUser, total_steps: int) -> dict[str, Any]:
    strategy = tiny_dqn_strategy(stack, user)
    return http_json(
        "POST",
        f"{stack.url}/api/v1/training-jobs",
        {"strategy_id": strategy["id"], "total_steps": total_steps, "seed": 7},
        token=login_token(stack, user),
    )


def cancel_via_api(stack: UiStack, user: UiUser, job_id: str) -> None:
    http_json(
        "POST",
        f"{stack.url}/api/v1/training-jobs/{job_id}:cancel",
        token=login_token(stack, user),
    )


def chart_points(page: Any, test_id: str) -> int:
    return int(page.get_by_test_id(test_id).get_attribute("data-points") or 0)


def wait_for_points_above(page: Any, test_id: str, floor: int, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        points = chart_points(page, test_id)
        if points > floor:
            return points
        page.wait_for_timeout(250)
    raise AssertionError(f"{test_id} stayed at <= {floor} points for {timeout_s} s")


def test_job_started_from_strategy_page_charts_live_points_until_succeeded(
    page: Any, ui_stack: UiStack, user_a: UiUser
) -> None:
    strategy = tiny_dqn_strategy(ui_stack, user_a)
    sign_in(page, ui_stack, user_a, f"/strategies/{strategy['id']}")
    page.get_by_role("button", name="Train", exact=True).click()
    form = page.get_by_test_id("train-form")
    form.get_by_label("Total steps").fill("3000")
    form.get_by_label("Seed").fill("11")
    screenshot(page, "train_form")

    form.get_by_role("button", name="Start training").click()

    expect(page.get_by_test_id("job-detail")).to_be_visible()
    assert re.search(r"/jobs/[0-9a-f-]{36}$", page.url), page.url
    expect(page.get_by_test_id("stream-status")).to_have_text("live")
    # The job names its strategy by name, not by id.
    expect(page.get_by_test_id("job-strategy")).to_have_text(f"{strategy['name']} v1")
    expect(page.get_by_test_id("job-state")).to_have_text(
        re.compile("QUEUED|RUNNING"), timeout=JOB_TIMEOUT_MS
    )
    wait_for_points_above(page, "return-chart", 0, JOB_TIMEOUT_MS / 1000)
    screenshot(page, "job_running")
    expect(page.get_by_test_id("job-state")).to_have_text("SUCCEEDED", timeout=JOB_TIMEOUT_MS)
    expect(page.get_by_test_id("job-progress-text")).to_have_text("3,000 / 3,000 steps")
    expect(page.get_by_test_id("final-metrics")).to_contain_text("eval/sharpe_ratio")
    assert chart_points(page, "return-chart") >= 3
    assert chart_points(page, "loss-chart") >= 3
    for action in ("Pause", "Resume", "Cancel"):
        expect(page.get_by_role("button", name=action, exact=True)).to_be_disabled()
    expect(page.locator('[data-testid="return-chart"] canvas').first).to_be_visible()
    screenshot(page, "job_succeeded")

    page.get_by_role("link", name="Training jobs").first.click()
    expect(page.get_by_test_id("jobs-table")).to_contain_text(strategy["name"])
    screenshot(page, "jobs_list")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_test_id("jobs-card")).to_contain_text("SUCCEEDED")
    expect(page.get_by_test_id("cluster-cpus")).to_contain_text("/ 2")
    expect(page.get_by_test_id("cluster-queued")).to_have_text(re.compile(r"^\d+$"))
    screenshot(page, "dashboard_with_jobs")


def test_pause_and_resume_from_the_job_page(page: Any, ui_stack: UiStack, user_a: UiUser) -> None:
    job = start_job_via_api(ui_stack, user_a, total_steps=40_000)
    try:
        sign_in(page, ui_stack, user_a, f"/jobs/{job['id']}")
        state = page.get_by_test_id("job-state")
        pause = page.get_by_role("button", name="Pause", exact=True)
        resume = page.get_by_role("button", name="Resume", exact=True)
        expect(state).to_have_text("RUNNING", timeout=JOB_TIMEOUT_MS)
        wait_for_points_above(page, "return-chart", 0, JOB_TIMEOUT_MS / 1000)
        expect(resume).to_be_disabled()

        pause.click()

        expect(state).to_have_text("PAUSED", timeout=60_000)
        expect(pause).to_be_disabled()
        expect(resume).to_be_enabled()
        paused_at = page.get_by_test_id("job-progress-text").inner_text()
        screenshot(page, "job_paused")

        resume.click()

        expect(state).to_have_text(re.compile("QUEUED|RUNNING"))
        expect(state).to_have_text("RUNNING", timeout=JOB_TIMEOUT_MS)
        expect(page.get_by_test_id("job-progress-text")).not_to_have_text(
            paused_at, timeout=JOB_TIMEOUT_MS
        )
        page.get_by_role("button", name="Cancel", exact=True).click()
        expect(state).to_have_text(re.compile("CANCELLING|CANCELLED"))
        expect(state).to_have_text("CANCELLED", timeout=60_000)
    finally:
        cancel_via_api(ui_stack, user_a, job["id"])


def test_live_view_survives_a_reload_and_a_dropped_connection(
    page: Any, ui_stack: UiStack, user_a: UiUser
) -> None:
    subscribes: list[dict[str, Any]] = []
    sockets: list[Any] = []

    def relay(ws: Any) -> None:
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            if isinstance(message, str) and '"subscribe"' in message:
                subscribes.append(json.loads(message))
            server.send(message)

        ws.on_message(from_page)
        sockets.append(ws)

    page.route_web_socket(EVENTS_URL, relay)
    job = start_job_via_api(ui_stack, user_a, total_steps=40_000)
    topic = f"training_job/{job['id']}"
    try:
        sign_in(page, ui_stack, user_a, f"/jobs/{job['id']}")
        expect(page.get_by_test_id("job-state")).to_have_text("RUNNING", timeout=JOB_TIMEOUT_MS)
        before = wait_for_points_above(page, "return-chart", 1, JOB_TIMEOUT_MS / 1000)
        last_id = page.evaluate(f"sessionStorage.getItem('tm.events.last.{topic}')")
        assert last_id and last_id.startswith(topic + "@")

        page.reload()

        expect(page.get_by_test_id("stream-status")).to_have_text("live")
        expect(page.get_by_test_id("job-state")).to_have_text("RUNNING")
        assert subscribes[-1]["last_event_id"], subscribes[-1]
        reloaded = wait_for_points_above(page, "return-chart", before - 1, 30)
        wait_for_points_above(page, "return-chart", reloaded, 60)
        screenshot(page, "job_after_reload")

        opened = len(sockets)
        sockets[-1].close(code=1013, reason="test drops the stream")

        deadline = time.monotonic() + 30
        while len(sockets) == opened and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert len(sockets) == opened + 1, "the page did not reconnect after the drop"
        expect(page.get_by_test_id("stream-status")).to_have_text("live", timeout=30_000)
        assert subscribes[-1]["topics"] == [topic]
        assert subscribes[-1]["last_event_id"].startswith(topic + "@")
        after_drop = chart_points(page, "return-chart")
        wait_for_points_above(page, "return-chart", after_drop, 60)
    finally:
        cancel_via_api(ui_stack, user_a, job["id"])
