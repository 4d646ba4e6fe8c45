"""Backtests through the gateway: DJ30 2021 baselines, results, report download, isolation."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import pytest
from trademaster.api.identity.v1 import identity_pb2, identity_pb2_grpc
from trademaster.service.localstack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "correct-horse-battery"
DJ30_TEST = "portfolio_management.dj30.test.csv"


@pytest.fixture(scope="module")
def dj30(shared_data_dir: Any) -> str:
    if not (shared_data_dir / "portfolio_management" / "dj30" / "test.csv").is_file():
        pytest.skip(f"portfolio_management/dj30/test.csv is not in {shared_data_dir}")
    return DJ30_TEST


@pytest.fixture(scope="module")
def http(stack: Stack) -> Iterator[httpx.Client]:
    assert stack.gateway_url is not None
    with httpx.Client(base_url=stack.gateway_url, timeout=60.0) as client:
        yield client


def _login(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    reply = http.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def _researcher(http: httpx.Client, stack: Stack) -> dict[str, str]:
    """A new researcher created over the identity gRPC API, logged in over HTTP."""
    admin = _login(http, "admin", stack.admin_password)
    username = f"bt-{uuid.uuid4().hex[:8]}"
    address = f"127.0.0.1:{stack.services['gateway'].port_file.read_text().strip()}"
    with grpc.insecure_channel(address) as channel:
        identity_pb2_grpc.IdentityServiceStub(channel).CreateUser(
            identity_pb2.CreateUserRequest(
                username=username, password=PASSWORD, roles=[identity_pb2.ROLE_RESEARCHER]
            ),
            metadata=[("authorization", admin["Authorization"])],
            timeout=10,
        )
    return _login(http, username, PASSWORD)


@pytest.fixture(scope="module")
def alice(http: httpx.Client, stack: Stack) -> dict[str, str]:
    return _researcher(http, stack)


@pytest.fixture(scope="module")
def bob(http: httpx.Client, stack: Stack) -> dict[str, str]:
    return _researcher(http, stack)


def _wait(
    http: httpx.Client, who: dict[str, str], backtest_id: str, timeout_s: float = 120.0
) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        reply = http.get(f"/api/v1/backtests/{backtest_id}", headers=who)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        if body["state"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return body
        assert time.monotonic() < deadline, f"backtest still {body['state']}: {body}"
        time.sleep(0.25)


def _assert_error(reply: httpx.Response, status: int, reason: str) -> dict:
    assert reply.status_code == status, reply.text
    error = reply.json()["error"]
    assert error["status"] == status
    assert error["reason"] == reason
    assert error["message"] and error["request_id"]
    assert isinstance(error["field_violations"], list)
    return error


@pytest.fixture(scope="module")
def finished(http: httpx.Client, alice: dict[str, str], dj30: str) -> dict[str, dict]:
    """Buy-and-hold and equal-weight over DJ30 2021, both run to the end."""
    created = {}
    for baseline in ("buy_and_hold", "equal_weight"):
        reply = http.post(
            "/api/v1/backtests",
            headers=alice,
            json={"dataset_id": dj30, "baseline": baseline, "fee_rate": 0.001},
        )
        assert reply.status_code == 201, reply.text
        assert reply.json()["state"] == "QUEUED"
        created[baseline] = reply.json()
    return {name: _wait(http, alice, body["id"]) for name, body in created.items()}


def test_dj30_baselines_succeed_with_results(
    http: httpx.Client, alice: dict[str, str], finished: dict[str, dict]
) -> None:
    results = {}
    for name, backtest in finished.items():
        assert backtest["state"] == "SUCCEEDED", backtest["failure_reason"]
        reply = http.get(
            f"/api/v1/backtests/{backtest['id']}/result",
            headers=alice,
            params={"max_equity_points": 100, "trades_page_size": 50},
        )
        assert reply.status_code == 200, reply.text
        results[name] = reply.json()

    for result in results.values():
        curve = result["equity_curve"]
        assert 2 <= len(curve) <= 100
        assert curve[0]["time"].startswith("2021-01-04")
        assert curve[0]["equity"] == pytest.approx(1_000_000.0)
        assert result["metrics"]["total_return"] == pytest.approx(
            curve[-1]["equity"] / curve[0]["equity"] - 1.0
        )
        assert 0 < len(result["trades"]) <= 50
        assert {t["asset"] for t in result["trades"]} <= {
            "AAPL",
            "AMGN",
            "AXP",
            "BA",
            "CAT",
            "CRM",
            "CSCO",
            "CVX",
            "DIS",
            "GS",
            "HD",
            "HON",
            "IBM",
            "INTC",
            "JNJ",
            "JPM",
            "KO",
            "MCD",
            "MMM",
            "MRK",
            "MSFT",
            "NKE",
            "PG",
            "TRV",
            "UNH",
            "V",
            "VZ",
            "WBA",
            "WMT",
            "DOW",
        }
    # Equal weight re-sizes every day, so it trades (and pays fees) far more than buy-and-hold.
    assert (
        results["equal_weight"]["metrics"]["num_fills"]
        > 10 * results["buy_and_hold"]["metrics"]["num_fills"]
    )
    assert results["equal_weight"]["next_trades_page_token"]


def test_report_html_downloads_through_the_gateway(
    http: httpx.Client, alice: dict[str, str], finished: dict[str, dict]
) -> None:
    backtest_id = finished["buy_and_hold"]["id"]
    result = http.get(f"/api/v1/backtests/{backtest_id}/result", headers=alice).json()
    links = {a["name"]: a for a in result["artifacts"]}

    reply = http.get(links["report.html"]["download_path"], headers=alice)

    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert len(reply.content) == links["report.html"]["size_bytes"]
    assert "<html" in reply.text.lower()
    missing = http.get(f"/api/v1/backtests/{backtest_id}/artifacts/secrets.txt", headers=alice)
    _assert_error(missing, 404, "ARTIFACT_NOT_FOUND")


def test_another_user_cannot_read_the_result(
    http: httpx.Client, bob: dict[str, str], finished: dict[str, dict]
) -> None:
    backtest_id = finished["equal_weight"]["id"]

    for path in ("", "/result", "/artifacts/report.html"):
        reply = http.get(f"/api/v1/backtests/{backtest_id}{path}", headers=bob)
        _assert_error(reply, 404, "BACKTEST_NOT_FOUND")
    listed = http.get("/api/v1/backtests", headers=bob).json()
    assert backtest_id not in [b["id"] for b in listed["backtests"]]


def test_bad_date_range_is_400_with_the_standard_body(
    http: httpx.Client, alice: dict[str, str], dj30: str
) -> None:
    reply = http.post(
        "/api/v1/backtests",
        headers=alice,
        json={
            "dataset_id": dj30,
            "baseline": "buy_and_hold",
            "start": "2021-09-01T00:00:00Z",
            "end": "2021-03-01T00:00:00Z",
        },
    )

    error = _assert_error(reply, 400, "INVALID_DATE_RANGE")
    assert "spec.date_range" in [v["field"] for v in error["field_violations"]]


def test_unknown_dataset_is_400_with_the_standard_body(
    http: httpx.Client, alice: dict[str, str]
) -> None:
    reply = http.post(
        "/api/v1/backtests",
        headers=alice,
        json={"dataset_id": "no.such.dataset.csv", "baseline": "buy_and_hold"},
    )

    error = _assert_error(reply, 400, "UNKNOWN_DATASET")
    assert "spec.dataset_id" in [v["field"] for v in error["field_violations"]]


def _train(http: httpx.Client, who: dict[str, str], strategy: dict[str, Any]) -> str:
    """Create ``strategy``, train it on the stack's Ray head, return the SUCCEEDED job's id."""
    created = http.post("/api/v1/strategies", headers=who, json=strategy)
    assert created.status_code == 201, created.text
    job = http.post(
        "/api/v1/training-jobs", headers=who, json={"strategy_id": created.json()["id"], "seed": 3}
    )
    assert job.status_code == 201, job.text
    job_id = str(job.json()["id"])
    deadline = time.monotonic() + 240
    while (state := http.get(f"/api/v1/training-jobs/{job_id}", headers=who).json())[
        "state"
    ] not in ("SUCCEEDED", "FAILED", "CANCELLED"):
        assert time.monotonic() < deadline, state
        time.sleep(0.5)
    assert state["state"] == "SUCCEEDED", state
    return job_id


def test_backtest_of_a_job_trained_by_the_trainer(
    http: httpx.Client, alice: dict[str, str], bob: dict[str, str], shared_data_dir: Any
) -> None:
    if not (shared_data_dir / "algorithmic_trading" / "BTC" / "test.csv").is_file():
        pytest.skip(f"algorithmic_trading/BTC is not in {shared_data_dir}")
    job_id = _train(
        http,
        alice,
        {
            "name": f"bt-trained-{uuid.uuid4().hex[:6]}",
            "task": "algorithmic_trading",
            "agent": "dqn",
            "dataset_id": "algorithmic_trading.btc.train.csv",
            "config": {
                "env": {"num_envs": 4, "episode_length": 64},
                "agent_params": {"learning_starts": 100, "hidden_sizes": [16, 16]},
                "training": {"total_steps": 800, "log_every_steps": 200},
            },
        },
    )

    request = {
        "training_job_id": job_id,
        "dataset_id": "algorithmic_trading.btc.test.csv",
        "fee_rate": 0.001,
    }
    foreign = http.post("/api/v1/backtests", headers=bob, json=request)
    created = http.post("/api/v1/backtests", headers=alice, json=request)

    assert foreign.status_code in (400, 404), foreign.text
    assert created.status_code == 201, created.text
    done = _wait(http, alice, created.json()["id"])
    assert done["state"] == "SUCCEEDED", done["failure_reason"]
    result = http.get(f"/api/v1/backtests/{done['id']}/result", headers=alice).json()
    assert len(result["equity_curve"]) == 425  # every bar of BTC test.csv
    assert {"total_return", "sharpe_ratio", "max_drawdown"} <= set(result["metrics"])


def test_portfolio_policy_trained_on_dj30_2020_backtests_on_2021(
    http: httpx.Client, alice: dict[str, str], dj30: str
) -> None:
    job_id = _train(
        http,
        alice,
        {
            "name": f"dj30-ppo-{uuid.uuid4().hex[:6]}",
            "task": "portfolio_management",
            "agent": "ppo",
            "dataset_id": "portfolio_management.dj30.valid.csv",
            "config": {
                "env": {"num_envs": 2, "episode_length": 32},
                "agent_params": {"num_steps": 32, "hidden_sizes": [32, 32]},
                "training": {"total_steps": 512, "log_every_steps": 128},
            },
        },
    )

    created = http.post(
        "/api/v1/backtests",
        headers=alice,
        json={"training_job_id": job_id, "dataset_id": dj30, "fee_rate": 0.001},
    )

    assert created.status_code == 201, created.text
    done = _wait(http, alice, created.json()["id"])
    assert done["state"] == "SUCCEEDED", done["failure_reason"]
    result = http.get(
        f"/api/v1/backtests/{done['id']}/result", headers=alice, params={"trades_page_size": 50}
    ).json()
    assert len(result["equity_curve"]) == 252  # DJ30 trading days of 2021
    assert {t["asset"] for t in result["trades"]} - {"CASH"}, "the policy traded DJ30 stocks"


HFT_SEGMENTS = "high_frequency_trading.small_btc.market_dynamics_model.btc.default"


@pytest.mark.parametrize(
    ("task", "agent", "train_on", "backtest_on", "config"),
    [
        (
            "order_execution",
            "ppo",
            "order_execution.btc.test.csv",
            "order_execution.btc.btc_mdm_processed.csv",
            {
                "env": {"num_envs": 2, "horizon": 20},
                "agent_params": {"num_steps": 32, "hidden_sizes": [16, 16]},
                "training": {"total_steps": 256, "log_every_steps": 128},
            },
        ),
        (
            "high_frequency_trading",
            "dqn",
            f"{HFT_SEGMENTS}.label_0.label_0_14.csv",
            f"{HFT_SEGMENTS}.label_2.label_2_5.csv",
            {
                "env": {"num_envs": 2, "episode_length": 64},
                "agent_params": {"learning_starts": 64, "hidden_sizes": [16, 16]},
                "training": {"total_steps": 256, "log_every_steps": 128},
            },
        ),
    ],
)
def test_order_book_policy_trained_by_the_trainer_backtests(
    http: httpx.Client,
    alice: dict[str, str],
    shared_data_dir: Any,
    task: str,
    agent: str,
    train_on: str,
    backtest_on: str,
    config: dict[str, Any],
) -> None:
    """OE and HFT models replay through their env on real BTC order books with the backtest's
    fees on every fill: HFT on another segment than the training one, OE on the labelled copy
    of its only file (the same 600 minutes; the data copy lacks the other OE minutes)."""
    if not (shared_data_dir / task).is_dir():
        pytest.skip(f"{task} data is not in {shared_data_dir}")
    job_id = _train(
        http,
        alice,
        {
            "name": f"bt-{task}-{uuid.uuid4().hex[:6]}",
            "task": task,
            "agent": agent,
            "dataset_id": train_on,
            "config": config,
        },
    )

    created = http.post(
        "/api/v1/backtests",
        headers=alice,
        json={"training_job_id": job_id, "dataset_id": backtest_on, "fee_rate": 0.0005},
    )

    assert created.status_code == 201, created.text
    done = _wait(http, alice, created.json()["id"])
    assert done["state"] == "SUCCEEDED", done["failure_reason"]
    result = http.get(
        f"/api/v1/backtests/{done['id']}/result", headers=alice, params={"max_equity_points": 0}
    ).json()
    assert result["metrics"]["total_fees"] > 0
    if task == "order_execution":  # 600 minutes: 29 orders of 20 after the 10-minute window
        assert result["metrics"]["orders"] == 29
        assert len(result["equity_curve"]) == 29 * 20 + 1
    else:  # every snapshot of the 241-row segment after the 10-snapshot window
        assert len(result["equity_curve"]) == 241 - 10 + 1
