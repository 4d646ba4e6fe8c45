"""Deployments pages in headless Chromium against the whole stack: a tiny DQN model is trained,
registered and backtested through the API; from its model page the user deploys it to a paper
account on a replay feed (the dataset's own daily bars, re-published on the platform bar
stream), watches it run live (bars processed rise, orders and fills appear, live equity is drawn
next to the backtest's prediction with a tracking error), then pauses, resumes and stops it with
flatten."""

from __future__ import annotations

import re
import threading
import time
import uuid
from typing import Any

import grpc
import pytest
import redis
from playwright.sync_api import expect
from test_training_ui import DATASET, tiny_dqn_strategy
from trademaster.api.identity.v1 import identity_pb2, identity_pb2_grpc
from ui_session import PASSWORD, UiStack, UiUser, http_json, login_token, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT_S = 600.0
BARS_STREAM = "tm:md:bars"
"""The platform bar stream: the risk service marks and fills on it, a deployment with an empty
bar source reads it."""
WARMUP_BARS = 70
"""Bars replayed before the backtest's first day (the policy's feature warm-up and window)."""
PACE_S = 0.35


def _trader(stack: UiStack) -> UiUser:
    """A user who researches (trains, registers) and trades (deploys)."""
    user = UiUser(f"ui_deployer_{uuid.uuid4().hex[:8]}", PASSWORD)
    with grpc.insecure_channel(stack.grpc_gateway) as channel:
        identity_pb2_grpc.IdentityServiceStub(channel).CreateUser(
            identity_pb2.CreateUserRequest(
                username=user.username,
                password=user.password,
                roles=[identity_pb2.ROLE_RESEARCHER, identity_pb2.ROLE_TRADER],
            ),
            metadata=[("authorization", f"Bearer {login_token(stack, stack.admin)}")],
            timeout=30,
        )
    return user


def _wait(stack: UiStack, token: str, path: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    while True:
        item = http_json("GET", f"{stack.url}{path}", token=token)
        if item["state"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            assert item["state"] == "SUCCEEDED", item.get("failure_reason")
            return dict(item)
        assert time.monotonic() < deadline, f"{path} still {item['state']}"
        time.sleep(1)


def _model_with_backtest(stack: UiStack, token: str, user: UiUser) -> tuple[str, str, list[str]]:
    """(model id, training job id, backtest equity times): trained, registered, backtested."""
    strategy = tiny_dqn_strategy(stack, user)
    job = http_json(
        "POST",
        f"{stack.url}/api/v1/training-jobs",
        {"strategy_id": strategy["id"], "total_steps": 800, "seed": 7},
        token=token,
    )
    _wait(stack, token, f"/api/v1/training-jobs/{job['id']}")
    model = http_json(
        "POST", f"{stack.url}/api/v1/models", {"name": f"ui-dep-{uuid.uuid4().hex[:6]}"}, token
    )
    http_json(
        "POST",
        f"{stack.url}/api/v1/models/{model['id']}/versions",
        {"training_job_id": job["id"]},
        token,
    )
    backtest = http_json(
        "POST",
        f"{stack.url}/api/v1/backtests",
        {"dataset_id": DATASET, "training_job_id": job["id"], "initial_cash": 100_000.0},
        token,
    )
    _wait(stack, token, f"/api/v1/backtests/{backtest['id']}")
    result = http_json(
        "GET",
        f"{stack.url}/api/v1/backtests/{backtest['id']}/result?trades_page_size=1",
        token=token,
    )
    return model["id"], job["id"], [p["time"] for p in result["equity_curve"]]


def _paper_account(stack: UiStack, token: str) -> tuple[str, str]:
    """(account id, instrument id): a fresh paper account and instrument, lenient reference
    age (a replay on a loaded machine)."""
    admin = login_token(stack, stack.admin)
    instrument = f"DEP-{uuid.uuid4().hex[:6].upper()}"
    http_json(
        "PUT",
        f"{stack.url}/api/v1/instruments/{instrument}",
        {"tick_size": "0.01", "lot_size": "0.001"},
        admin,
    )
    account = http_json(
        "POST",
        f"{stack.url}/api/v1/accounts",
        {"name": f"deploy paper {instrument}", "initial_cash": "100000"},
        token,
    )
    http_json(
        "PUT",
        f"{stack.url}/api/v1/accounts/{account['id']}/limits",
        {"reason": "browser deployment replay", "max_reference_age_ms": 3_600_000},
        admin,
    )
    return account["id"], instrument


def _lenient_paper_gate(stack: UiStack, token: str) -> None:
    """Per-owner paper-gate thresholds (set by the admin, as a risk officer would) that an
    800-step DQN's backtest meets; the gate's refusals are tested in
    tests/integration/trainer/test_deployments.py."""
    me = http_json("GET", f"{stack.url}/api/v1/auth/me", token=token)
    http_json(
        "PUT",
        f"{stack.url}/api/v1/promotion-policies/{me['subject']}",
        {"min_backtest_trades": 0, "max_backtest_drawdown": 1.0, "min_backtest_sharpe": -1e9},
        login_token(stack, stack.admin),
    )


class ReplayFeed:
    """Re-publishes the dataset's daily bars (their own market times) for ``instrument`` on the
    platform bar stream, one every ``PACE_S`` seconds, from a background thread."""

    def __init__(self, stack: UiStack, token: str, instrument: str, start_time: str) -> None:
        dataset = http_json("GET", f"{stack.url}/api/v1/datasets/{DATASET}", token=token)
        ohlcv = http_json(
            "GET",
            f"{stack.url}/api/v1/datasets/{DATASET}/ohlcv?tic={dataset['assets'][0]}"
            "&max_points=5000",
            token=token,
        )
        first = next(i for i, t in enumerate(ohlcv["time"]) if t[:10] >= start_time[:10])
        self.rows = [
            {
                "i": instrument,
                "t": str(_epoch_ns(ohlcv["time"][k])),
                **{f[0]: repr(float(ohlcv[f][k])) for f in ("open", "high", "low", "close")},
                "v": repr(1e9),
            }
            for k in range(max(0, first - WARMUP_BARS), len(ohlcv["time"]))
        ]
        self.client = redis.Redis.from_url(stack.redis_url)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def publish(self, count: int) -> None:
        for _ in range(count):
            self.client.xadd(BARS_STREAM, self.rows.pop(0))  # type: ignore[arg-type]

    def _run(self) -> None:
        while self.rows and not self.stop.wait(PACE_S):
            self.publish(1)

    def __enter__(self) -> ReplayFeed:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
        self.client.close()


def _epoch_ns(value: str) -> int:
    from datetime import UTC, datetime

    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000


def _number(text: str | None) -> int:
    return int((text or "0").replace(",", ""))


def _bars_beyond(page: Any, count: int, timeout_s: float = 90.0) -> int:
    """Bars processed shown by the page once it exceeds ``count`` (the page updates itself)."""
    deadline = time.monotonic() + timeout_s
    while True:
        shown = _number(page.get_by_test_id("bars-processed").text_content())
        if shown > count:
            return shown
        assert time.monotonic() < deadline, f"bars processed stuck at {shown}"
        page.wait_for_timeout(250)


def _choose(page: Any, label: str, option: str) -> None:
    page.get_by_role("textbox", name=label, exact=True).click()
    page.get_by_role("option", name=option).first.click()


def test_deploy_from_model_page_watch_it_trade_pause_resume_stop(
    page: Any, ui_stack: UiStack
) -> None:
    user = _trader(ui_stack)
    token = login_token(ui_stack, user)
    model_id, _, equity_times = _model_with_backtest(ui_stack, token, user)
    account_id, instrument = _paper_account(ui_stack, token)
    _lenient_paper_gate(ui_stack, token)

    sign_in(page, ui_stack, user, f"/models/{model_id}")
    page.get_by_test_id("version-row").get_by_text("v1", exact=True).click()
    page.get_by_test_id("deploy-to-paper").click()
    form = page.get_by_test_id("deployment-form")
    expect(form).to_be_visible()
    expect(form.get_by_label("Version")).to_have_value("1")
    _choose(page, "Paper account", f"deploy paper {instrument}")
    form.get_by_label("Instruments").fill(instrument)
    form.get_by_label("Bar interval (s)").fill("86400")
    form.get_by_label("Max position quantity").fill("500")
    screenshot(page, "deployment_form")

    with ReplayFeed(ui_stack, token, instrument, equity_times[0]) as feed:
        feed.publish(1)  # a reference price before the first order
        form.get_by_role("button", name="Start deployment").click()
        expect(page.get_by_test_id("deployment-detail")).to_be_visible()
        found = re.search(r"/deployments/([0-9a-f-]{36})$", page.url)
        assert found, page.url
        deployment_id = found.group(1)
        feed.thread.start()
        expect(page.get_by_test_id("deployment-state")).to_have_text("RUNNING", timeout=120_000)
        expect(page.get_by_test_id("stream-status")).to_have_text("events live")

        # Live: bars processed rise and orders and fills appear without a reload.
        bars = page.get_by_test_id("bars-processed")
        expect(bars).not_to_have_text("0", timeout=180_000)
        seen = _number(bars.text_content())
        expect(page.get_by_test_id("deployment-order-row").first).to_be_visible(timeout=180_000)
        expect(page.get_by_test_id("deployment-fill-row").first).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("orders-submitted")).not_to_have_text("0", timeout=60_000)
        _bars_beyond(page, seen)
        expect(page.get_by_test_id("tracking-error")).to_contain_text("bps", timeout=60_000)
        chart = page.get_by_test_id("tracking-chart")
        assert int(chart.get_attribute("data-points") or 0) > 4
        expect(page.get_by_test_id("tracking-note")).to_contain_text("Compared on")
        screenshot(page, "deployment_live")

        page.get_by_test_id("deployment-pause").click()
        expect(page.get_by_test_id("deployment-state")).to_have_text("PAUSED")
        expect(page.get_by_test_id("deployment-pause")).to_be_disabled()
        # Paused: bars are still followed, no order is placed (a bar decided before the pause
        # may still be reported, so the count is taken two bars later).
        settled = _bars_beyond(page, _number(bars.text_content()) + 1)
        paused_orders = _number(page.get_by_test_id("orders-submitted").text_content())
        _bars_beyond(page, settled + 3)
        assert _number(page.get_by_test_id("orders-submitted").text_content()) == paused_orders

        page.get_by_test_id("deployment-resume").click()
        expect(page.get_by_test_id("deployment-state")).to_have_text("RUNNING")

        held = page.get_by_test_id("position-row").count() > 0
        page.get_by_test_id("deployment-stop").click()
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_label("Flatten positions")).to_be_checked()
        dialog.get_by_role("button", name="Stop deployment").click()
        expect(page.get_by_test_id("deployment-state")).to_have_text("CANCELLED", timeout=120_000)
        for control in ("pause", "resume", "stop"):
            expect(page.get_by_test_id(f"deployment-{control}")).to_be_disabled()
        expect(page.get_by_test_id("positions-empty")).to_be_visible(timeout=60_000)
        screenshot(page, "deployment_stopped")

    page.goto(f"{ui_stack.url}/deployments")
    row = page.get_by_test_id("deployment-row").filter(has_text=instrument)
    expect(row).to_contain_text("CANCELLED")
    expect(row).to_contain_text(f"deploy paper {instrument}")
    expect(row.get_by_test_id("row-mode")).to_have_text("paper")
    expect(row.get_by_test_id("deployment-stop")).to_be_disabled()
    screenshot(page, "deployments_list")
    # The row fits: its last column (the controls) is on screen, not scrolled off.
    expect(row.get_by_test_id("deployment-stop")).to_be_in_viewport(ratio=1)
    # What the page showed is the risk service's record: every order is the deployment's, and
    # a position held at the stop was closed by a reduce-only exit (the flatten).
    orders = http_json("GET", f"{ui_stack.url}/api/v1/accounts/{account_id}/orders", token=token)[
        "orders"
    ]
    assert orders and {o["deployment_id"] for o in orders} == {deployment_id}
    if held:
        assert orders[0]["reduce_only"] and orders[0]["status"] == "FILLED", orders[0]
