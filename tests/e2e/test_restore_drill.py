"""Restore drill: data made through the API, backed up online, changed and deleted, restored with
`./tm restore`, and every record, artifact and the risk audit chain found as it was."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from risk_stack import PASSWORD, User, login, new_user, open_account, order_body
from support.servers import PostgresHandle
from trademaster.data.synthetic import sine_trend, write_synthetic_dataset
from trademaster.service.localstack import Stack, StackConfig

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("strategy", "notifier", "backtest", "risk", "gateway")
"""Everything that keeps records, without the trainer (no Ray head needed)."""
DATASET = "drill.csv"
UNKNOWN = "NO-SUCH-INSTRUMENT"  # orders for it are denied, and each denial is audited
ADMIN_PASSWORD = "drill-admin-password-123"


class Drill:
    """One stack's work dir and database, started and stopped as the drill needs."""

    def __init__(self, work_dir: Path, database_url: str) -> None:
        self.work_dir = work_dir
        self.database_url = database_url
        self.stack: Stack | None = None

    def start(self) -> Stack:
        self.stack = Stack(
            StackConfig(
                work_dir=self.work_dir,
                services=SERVICES,
                database_url=self.database_url,
                admin_password=ADMIN_PASSWORD,
                extra_env={"TM_STRATEGY_DATA_DIR": str(self.work_dir / "datasets")},
                startup_timeout_s=float(os.environ.get("TM_TEST_STACK_TIMEOUT_S", "90")),
            )
        )
        return self.stack.start()

    def stop(self) -> None:
        if self.stack is not None:
            self.stack.stop()
            self.stack = None

    def tm(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "TM_LOCAL_VAR_DIR": str(self.work_dir),
            "TM_STRATEGY_DATA_DIR": str(self.work_dir / "datasets"),
        }
        return subprocess.run(
            [sys.executable, "-m", "trademaster.service.ops", *args, "--database-url"]
            + [self.database_url],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )


@pytest.fixture(scope="module")
def drill(tm_session_dir: Path, postgres_server: PostgresHandle) -> Iterator[Drill]:
    name = f"drill_{uuid.uuid4().hex[:8]}"
    work_dir = tm_session_dir / name
    write_synthetic_dataset(work_dir / "datasets" / DATASET, sine_trend(200, 2, seed=7, period=25))
    runner = Drill(work_dir, postgres_server.create_database(name))
    yield runner
    runner.stop()


def _client(stack: Stack) -> httpx.Client:
    assert stack.gateway_url is not None
    return httpx.Client(base_url=stack.gateway_url, timeout=60.0)


def _ok(reply: httpx.Response, status: int = 200) -> Any:
    assert reply.status_code == status, reply.text
    return reply.json()


def _backtest(http: httpx.Client, who: User) -> dict[str, Any]:
    body = {"dataset_id": DATASET, "baseline": "buy_and_hold", "fee_rate": 0.001}
    created = _ok(http.post("/api/v1/backtests", headers=who.headers, json=body), 201)
    deadline = time.monotonic() + 180
    while True:
        state = _ok(http.get(f"/api/v1/backtests/{created['id']}", headers=who.headers))
        if state["state"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            assert state["state"] == "SUCCEEDED", state
            return dict(state)
        assert time.monotonic() < deadline, state
        time.sleep(0.25)


def _snapshot(http: httpx.Client, people: dict[str, User], ids: dict[str, str]) -> dict[str, Any]:
    """Everything the drill compares, read through the API."""
    trader, officer, researcher = people["trader"], people["officer"], people["researcher"]
    account = ids["account"]
    backtest = ids["backtest"]
    result = _ok(http.get(f"/api/v1/backtests/{backtest}/result", headers=researcher.headers))
    report = http.get(
        f"/api/v1/backtests/{backtest}/artifacts/report.html", headers=researcher.headers
    )
    assert report.status_code == 200, report.text
    return {
        "accounts": _ok(http.get("/api/v1/accounts", headers=trader.headers)),
        "orders": _ok(http.get(f"/api/v1/accounts/{account}/orders", headers=trader.headers)),
        "limits": _ok(http.get(f"/api/v1/accounts/{account}/limits", headers=trader.headers)),
        "decisions": _ok(http.get("/api/v1/decisions", headers=officer.headers)),
        "strategies": _ok(http.get("/api/v1/strategies", headers=researcher.headers)),
        "backtests": _ok(http.get("/api/v1/backtests", headers=researcher.headers)),
        "result": result,
        "report_sha256": hashlib.sha256(report.content).hexdigest(),
        "audit": _ok(http.get("/api/v1/audit/verify", headers=officer.headers)),
    }


def _artifact_hashes(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_restore_brings_back_records_artifacts_and_a_valid_audit_chain(drill: Drill) -> None:
    # Arrange: records in every service, made through the API, on a running stack.
    stack = drill.start()
    with _client(stack) as http:
        admin = login(http, "admin", ADMIN_PASSWORD)
        people = {
            role: new_user(http, stack, admin, kind)
            for role, kind in (
                ("trader", "trader"),
                ("officer", "risk_officer"),
                ("researcher", "researcher"),
            )
        }
        trader, researcher = people["trader"], people["researcher"]
        account = open_account(http, trader)["id"]
        for _ in range(3):
            _ok(
                http.post(
                    f"/api/v1/accounts/{account}/orders",
                    headers=trader.headers,
                    json=order_body(UNKNOWN),
                ),
                201,
            )
        strategy = _ok(
            http.post(
                "/api/v1/strategies",
                headers=researcher.headers,
                json={"name": "drill", "task": "portfolio_management", "agent": "ppo"},
            ),
            201,
        )
        ids = {"account": account, "backtest": _backtest(http, researcher)["id"]}
        before = _snapshot(http, people, ids)
        artifacts_before = _artifact_hashes(drill.work_dir / "artifacts")
        assert before["audit"]["valid"] and before["audit"]["entries_checked"] >= 3
        assert any(name.endswith("report.html") for name in artifacts_before)

        # Act 1: an online backup while the stack serves.
        made = drill.tm("backup")
        assert made.returncode == 0, made.stderr

        # Act 2: change and delete things, through the API and on disk.
        _ok(
            http.post(
                f"/api/v1/accounts/{account}/orders",
                headers=trader.headers,
                json=order_body(UNKNOWN),
            ),
            201,
        )
        open_account(http, trader)
        deleted = http.delete(f"/api/v1/strategies/{strategy['id']}", headers=researcher.headers)
        assert deleted.status_code in (200, 204), deleted.text
        for path in (drill.work_dir / "artifacts").rglob("report.html"):
            path.unlink()
        orders = _ok(http.get(f"/api/v1/accounts/{account}/orders", headers=trader.headers))
        assert len(orders["orders"]) == len(before["orders"]["orders"]) + 1
        accounts = _ok(http.get("/api/v1/accounts", headers=trader.headers))["accounts"]
        assert len(accounts) == len(before["accounts"]["accounts"]) + 1
        assert _ok(http.get("/api/v1/strategies", headers=researcher.headers))["strategies"] == []
        report = f"/api/v1/backtests/{ids['backtest']}/artifacts/report.html"
        assert http.get(report, headers=researcher.headers).status_code != 200

    # Act 3: restore with the services stopped (PostgreSQL keeps running).
    drill.stop()
    restored = drill.tm("restore", "latest")
    assert restored.returncode == 0, restored.stderr + restored.stdout
    assert "verified:" in restored.stdout

    # Assert: every record and artifact as backed up, and the audit chain verifies.
    stack = drill.start()
    with _client(stack) as http:
        people = {role: login(http, user.username, PASSWORD) for role, user in people.items()}
        after = _snapshot(http, people, ids)
    assert after == before
    assert after["audit"]["valid"] is True
    assert _artifact_hashes(drill.work_dir / "artifacts") == artifacts_before
