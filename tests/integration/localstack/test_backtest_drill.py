"""Crash drills of backtests: kill -9 the backtest service while backtests run and wait in its
queue, and kill -9 the worker process that runs one. Nothing may be lost or stuck: every
backtest created ends SUCCEEDED (re-run after the restart, or on a new worker pool) or FAILED
with a reason (only the one the killed worker ran), none is duplicated, and new backtests run.
Recovery times go to TM_DRILL_REPORT (JSON lines)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from trademaster.service.localstack import Stack, StackConfig
from trademaster.service.localstack.supervisor import Supervisor

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DATASET = "synthetic.gbm_daily.csv"
BACKTESTS = 8
FINAL = ("SUCCEEDED", "FAILED", "CANCELLED")
LIMIT_S = 300.0
"""Generous bound for a loaded 2-core machine; the measured times are reported."""


@pytest.fixture
def stack() -> Iterator[Stack]:
    root = Path(tempfile.mkdtemp(prefix="tm-bt-drill-"))
    root.chmod(0o755)
    stack = Stack(
        StackConfig(
            work_dir=root / "stack",
            services=("strategy", "backtest", "gateway"),
            durable=True,
            startup_timeout_s=180,
            # One worker: the others wait QUEUED, so the kill finds both states.
            extra_env={"TM_BACKTEST_WORKERS": "1"},
        )
    )
    stack.start()
    yield stack
    stack.stop()
    shutil.rmtree(root, ignore_errors=True)


@contextmanager
def _client(stack: Stack) -> Iterator[httpx.Client]:
    """An HTTP client of the gateway, signed in as the admin."""
    assert stack.gateway_url is not None and stack.admin_password is not None
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as client:
        login = client.post(
            "/api/v1/auth/login", json={"username": "admin", "password": stack.admin_password}
        )
        login.raise_for_status()
        client.headers["authorization"] = f"Bearer {login.json()['access_token']}"
        yield client


def _create(client: httpx.Client, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        reply = client.post(
            "/api/v1/backtests",
            json={
                "dataset_id": DATASET,
                "baseline": "buy_and_hold",
                "fee_rate": 0.001,
                "request_id": f"drill-{uuid.uuid4().hex}",
            },
        )
        assert reply.status_code == 201, reply.text
        ids.append(reply.json()["id"])
    return ids


def _states(client: httpx.Client, ids: list[str]) -> dict[str, dict[str, Any]]:
    out = {}
    for backtest_id in ids:
        reply = client.get(f"/api/v1/backtests/{backtest_id}")
        if reply.status_code == 200:
            out[backtest_id] = reply.json()
    return out


def _settle(client: httpx.Client, supervisor: Supervisor, ids: list[str]) -> dict[str, Any]:
    began = time.monotonic()
    while True:
        supervisor.poll()
        try:
            states = _states(client, ids)
        except httpx.TransportError:
            states = {}
        if len(states) == len(ids) and all(b["state"] in FINAL for b in states.values()):
            return states
        assert time.monotonic() - began < LIMIT_S, {k: v["state"] for k, v in states.items()}
        time.sleep(0.3)


def _wait_running(client: httpx.Client, ids: list[str]) -> dict[str, dict[str, Any]]:
    began = time.monotonic()
    while True:
        states = _states(client, ids)
        if any(b["state"] == "RUNNING" for b in states.values()):
            return states
        assert time.monotonic() - began < LIMIT_S, "no backtest started"
        time.sleep(0.05)


def _report(row: dict[str, Any]) -> None:
    out = os.environ.get("TM_DRILL_REPORT")
    if out:
        with open(out, "a") as handle:
            handle.write(json.dumps(row) + "\n")


def _check_all_kept(client: httpx.Client, ids: list[str], settled: dict[str, Any]) -> None:
    listed = client.get("/api/v1/backtests", params={"page_size": 500}).json()["backtests"]
    assert sorted(b["id"] for b in listed) == sorted(ids), "a backtest was lost or duplicated"
    for backtest_id, body in settled.items():
        if body["state"] == "FAILED":
            assert body["failure_reason"], body
        else:
            assert body["state"] == "SUCCEEDED", body
            result = client.get(f"/api/v1/backtests/{backtest_id}/result")
            assert result.status_code == 200, result.text


def test_kill_9_of_the_backtest_service_requeues_and_finishes_every_backtest(
    stack: Stack,
) -> None:
    supervisor = Supervisor(stack, base_delay_s=0.5)
    supervisor.poll()
    with _client(stack) as client:
        ids = _create(client, BACKTESTS)
        at_kill = _wait_running(client, ids)
        part = stack.parts()["backtest"]
        pid = part.pid
        assert pid is not None
        killed = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        while not (part.pid != pid and part.running and part.serving()):
            supervisor.poll()
            assert time.monotonic() - killed < LIMIT_S, "the backtest service did not come back"
            time.sleep(0.2)
        recovery_s = time.monotonic() - killed
        settled = _settle(client, supervisor, ids)
        settled_s = time.monotonic() - killed
        again = _create(client, 1)  # the restarted service takes new work
        _settle(client, supervisor, again)
        _check_all_kept(client, ids + again, settled)

    unfinished = sorted({b["state"] for b in at_kill.values() if b["state"] not in FINAL})
    _report(
        {
            "component": "backtest",
            "recovery_s": round(recovery_s, 2),
            "all_settled_s": round(settled_s, 2),
            "states_at_kill": unfinished,
            "final": sorted({b["state"] for b in settled.values()}),
        }
    )
    assert "RUNNING" in unfinished
    assert [b["state"] for b in settled.values()].count("SUCCEEDED") == len(ids)


def test_kill_9_of_the_worker_running_a_backtest_ends_it_clearly(stack: Stack) -> None:
    supervisor = Supervisor(stack, base_delay_s=0.5)
    supervisor.poll()
    with _client(stack) as client:
        ids = _create(client, BACKTESTS)
        _wait_running(client, ids)
        service = psutil.Process(stack.parts()["backtest"].pid)
        workers = [p for p in service.children(recursive=True) if "python" in p.name().lower()]
        assert workers, "the backtest service has no worker process"
        killed = time.monotonic()
        for worker in workers:
            worker.send_signal(signal.SIGKILL)
        settled = _settle(client, supervisor, ids)
        settled_s = time.monotonic() - killed
        again = _create(client, 1)
        after = _settle(client, supervisor, again)
        _check_all_kept(client, ids + again, settled | after)

    failed = [b for b in settled.values() if b["state"] == "FAILED"]
    _report(
        {
            "component": "backtest-worker",
            "all_settled_s": round(settled_s, 2),
            "failed": len(failed),
            "succeeded": len(settled) - len(failed),
        }
    )
    # Only what the killed worker was running fails (one worker); the rest run on a new pool.
    assert len(failed) <= 1, failed
    assert all("terminated abruptly" in b["failure_reason"] for b in failed), failed
    assert [b["state"] for b in after.values()] == ["SUCCEEDED"]
