"""Users' datasets through the gateway: multipart import, report, blocked jobs, repair, labels,
and a large upload that streams through the gateway without being held in memory."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import numpy as np
import pandas as pd
import pytest
from trademaster.api.identity.v1 import identity_pb2, identity_pb2_grpc
from trademaster.config.strategy import default_config
from trademaster.service.localstack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "correct-horse-battery"


def _csv(n: int = 250, duplicates: int = 0) -> bytes:
    rng = np.random.default_rng(11)
    dates = pd.bdate_range("2019-01-01", periods=n).strftime("%Y-%m-%d")
    close = 100 * np.exp(np.cumsum(rng.normal(0.0005, 0.012, n)))
    df = pd.DataFrame(
        {
            "date": dates,
            "tic": "MINE",
            "open": close,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "volume": 1e5,
        }
    )
    if duplicates:
        df = pd.concat([df, df.iloc[:duplicates]])
    return df.to_csv(index=False).encode()


def _login(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    reply = http.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def _researcher(http: httpx.Client, stack: Stack) -> dict[str, str]:
    admin = _login(http, "admin", stack.admin_password)
    username = f"ds-{uuid.uuid4().hex[:8]}"
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
def http(stack: Stack) -> Iterator[httpx.Client]:
    assert stack.gateway_url is not None
    with httpx.Client(base_url=stack.gateway_url, timeout=120.0) as client:
        yield client


def _upload(
    http: httpx.Client, who: dict[str, str], data: bytes, name: str = "mine.csv", **headers: str
) -> httpx.Response:
    return http.post(
        "/api/v1/datasets", headers={**who, **headers}, files={"file": (name, data, "text/csv")}
    )


def _wait(http: httpx.Client, who: dict[str, str], backtest_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        body = http.get(f"/api/v1/backtests/{backtest_id}", headers=who).json()
        if body["state"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return body
        time.sleep(0.3)
    raise AssertionError(f"backtest {backtest_id} did not finish")


def test_upload_report_block_repair_label_backtest(http: httpx.Client, stack: Stack) -> None:
    alice, bob = _researcher(http, stack), _researcher(http, stack)
    reply = _upload(http, alice, _csv(duplicates=2), "dups.csv")
    assert reply.status_code == 201, reply.text
    blocked = reply.json()
    assert blocked["quality"]["status"] == "blocked"
    assert blocked["quality"]["error_codes"] == ["duplicate_rows"]
    report = http.get(blocked["quality"]["report_path"], headers=alice)
    assert report.status_code == 200 and report.json()["status"] == "blocked"
    assert http.get(blocked["quality"]["report_path"], headers=bob).status_code == 404
    assert http.get(f"/api/v1/datasets/{blocked['id']}", headers=bob).status_code == 404

    backtest = http.post(
        "/api/v1/backtests",
        headers=alice,
        json={"dataset_id": blocked["id"], "baseline": "buy_and_hold"},
    )
    assert backtest.status_code == 400, backtest.text
    assert blocked["quality"]["report_path"] in backtest.json()["error"]["message"]

    config = default_config("algorithmic_trading", "dqn")
    config["dataset_id"] = blocked["id"]
    strategy = http.post(
        "/api/v1/strategies",
        headers=alice,
        json={
            "name": f"mine-{uuid.uuid4().hex[:6]}",
            "task": "algorithmic_trading",
            "agent": "dqn",
            "dataset_id": blocked["id"],
            "config": config,
        },
    )
    assert strategy.status_code == 201, strategy.text
    job = http.post(
        "/api/v1/training-jobs", headers=alice, json={"strategy_id": strategy.json()["id"]}
    )
    assert job.status_code == 400, job.text
    assert job.json()["error"]["reason"] == "DATASET_BLOCKED"
    assert blocked["quality"]["report_path"] in job.json()["error"]["message"]

    repaired = http.post(
        f"/api/v1/datasets/{blocked['id']}:repair", headers=alice, json={"drop_duplicates": True}
    )
    assert repaired.status_code == 201, repaired.text
    assert repaired.json()["quality"]["status"] != "blocked"
    assert repaired.json()["parent_dataset_id"] == blocked["id"]
    labelled = http.post(
        f"/api/v1/datasets/{repaired.json()['id']}:label",
        headers=alice,
        json={"params": {"min_length": 12}},
    )
    assert labelled.status_code == 201, labelled.text
    labelled_id = labelled.json()["dataset"]["id"]
    listed = http.get("/api/v1/datasets", headers=alice, params={"page_size": 500}).json()
    mine = {d["id"]: d["version"] for d in listed["datasets"] if d["owner_id"]}
    assert mine == {
        blocked["id"]: "uploaded",
        repaired.json()["id"]: "repaired",
        labelled_id: "labelled",
    }

    created = http.post(
        "/api/v1/backtests",
        headers=alice,
        json={"dataset_id": labelled_id, "baseline": "buy_and_hold"},
    )
    assert created.status_code == 201, created.text
    done = _wait(http, alice, created.json()["id"])
    assert done["state"] == "SUCCEEDED", done
    result = http.get(f"/api/v1/backtests/{done['id']}/result", headers=alice).json()
    assert result["regimes"] and {r["regime"] for r in result["regimes"]} <= {"0", "1", "2"}
    # the equity curve carries each bar's label (chart shading); the dynamics test per label
    # compares the strategy (here buy-and-hold itself) with both baselines
    assert {p["regime"] for p in result["equity_curve"]} == {r["regime"] for r in result["regimes"]}
    assert result["dynamics_tests"], result
    for test in result["dynamics_tests"]:
        means = {p["policy"]: p["metrics"] for p in test["policies"]}
        assert list(means) == ["agent", "buy_and_hold", "do_nothing"] and test["segments"] >= 1
        agent, hold = means["agent"], means["buy_and_hold"]
        assert agent["total_return"] == pytest.approx(hold["total_return"])
        assert means["do_nothing"]["total_return"] == 0.0
    assert "dynamics_test.html" in {a["name"] for a in result["artifacts"]}


def test_bad_forms_are_4xx(http: httpx.Client, stack: Stack) -> None:
    alice = _researcher(http, stack)
    assert http.post("/api/v1/datasets", headers=alice, json={"x": 1}).status_code == 400
    no_file = http.post("/api/v1/datasets", headers=alice, files={"other": ("a.csv", b"x")})
    assert no_file.status_code == 400 and no_file.json()["error"]["reason"] == "FILE_MISSING"
    junk = _upload(http, alice, b"\x00\xff" * 1000, "junk.csv")
    assert junk.status_code == 400, junk.text
    assert http.post("/api/v1/datasets", files={"file": ("a.csv", _csv())}).status_code == 401


def _peak_rss_kib(pid: int) -> int:
    for line in open(f"/proc/{pid}/status").read().splitlines():  # noqa: SIM115
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_large_upload_streams_through_the_gateway(stack_factory: Any) -> None:
    """128 MiB against a 64 MiB strategy limit: every byte the strategy takes passes through
    the gateway, whose peak RSS must not grow by anything like the file's size."""
    small = stack_factory(
        services=("strategy", "gateway"), extra_env={"TM_STRATEGY_MAX_UPLOAD_BYTES": str(64 << 20)}
    )
    assert small.gateway_url is not None
    pid = small.services["gateway"].pid
    assert pid is not None
    size = 128 << 20
    line = b"2020-01-01,AAA,1,1,1,1,1\n"

    def body() -> Iterator[bytes]:
        yield (
            b'--BOUNDARY\r\nContent-Disposition: form-data; name="file"; '
            b'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
            b"date,tic,open,high,low,close,volume\n"
        )
        block = line * (1 << 16)
        for _ in range(size // len(block)):
            yield block
        yield b"\r\n--BOUNDARY--\r\n"

    with httpx.Client(base_url=small.gateway_url, timeout=600.0) as http:
        who = _researcher(http, small)
        before = _peak_rss_kib(pid)
        reply = http.post(
            "/api/v1/datasets",
            headers={**who, "Content-Type": "multipart/form-data; boundary=BOUNDARY"},
            content=body(),
        )
        after = _peak_rss_kib(pid)
    assert reply.status_code == 413, reply.text
    assert reply.json()["error"]["reason"] == "UPLOAD_TOO_LARGE"  # the strategy's limit
    grown_mib = (after - before) / 1024
    print(f"gateway peak RSS {before / 1024:.0f} -> {after / 1024:.0f} MiB for {size >> 20} MiB")
    assert grown_mib < 48, f"gateway peak RSS grew {grown_mib:.0f} MiB on a 128 MiB upload"


def test_cli_import_uploads_and_prints_the_report(
    http: httpx.Client, stack: Stack, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner
    from support.client_endpoints import client_env
    from trademaster.cli.main import cli

    monkeypatch.delenv("TM_CLIENT_TARGET", raising=False)
    for name, value in client_env(stack).items():
        monkeypatch.setenv(name, value)
    who = _researcher(http, stack)
    path = tmp_path / "mine.csv.gz"
    pd.read_csv(__import__("io").BytesIO(_csv(duplicates=1))).to_csv(path, index=False)
    token = who["Authorization"].split(" ", 1)[1]
    args = ["datasets", "import", str(path), "--name", "mine", "--token", token]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "quality: blocked" in result.output and "duplicate_rows" in result.output
    listed = http.get("/api/v1/datasets", headers=who, params={"page_size": 500}).json()
    mine = [d for d in listed["datasets"] if d["owner_id"]]
    assert [(d["name"], d["rows"]) for d in mine] == [("mine", 251)]
    refused = CliRunner().invoke(cli, [*args[:3], "--token", "not-a-token"])
    assert refused.exit_code != 0 and "UNAUTHENTICATED" in refused.output
