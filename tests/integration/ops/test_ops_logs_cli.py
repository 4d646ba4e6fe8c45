"""`./tm logs` (python -m trademaster.service.ops logs) against a real service's log files."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from trademaster.service.localstack import Stack

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def notifier_stack(stack_factory) -> Stack:  # type: ignore[no-untyped-def]
    return stack_factory(services=("notifier",))


def _health_check(stack: Stack, request_id: str) -> None:
    with grpc.insecure_channel(stack.addresses["notifier"]) as channel:
        health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""),
            metadata=(("x-request-id", request_id),),
            timeout=5,
        )


def _tm_logs(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TM_LOCAL_VAR_DIR": str(stack.work_dir)}
    return subprocess.run(
        [sys.executable, "-m", "trademaster.service.ops", "logs", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _wait_logged(path: Path, text: str) -> None:
    deadline = time.monotonic() + 10
    while text not in path.read_text():
        assert time.monotonic() < deadline, f"{text!r} never reached {path}"
        time.sleep(0.1)


def test_service_writes_json_lines_with_service_level_and_event(notifier_stack: Stack) -> None:
    request_id = f"req-{uuid.uuid4().hex}"
    _health_check(notifier_stack, request_id)
    log = notifier_stack.work_dir / "logs" / "notifier.jsonl"
    _wait_logged(log, request_id)

    entries = [json.loads(line) for line in log.read_text().splitlines()]
    rpc = next(entry for entry in entries if entry.get("request_id") == request_id)
    assert rpc["service"] == "notifier" and rpc["level"] == "INFO"
    assert rpc["event"] == "rpc.done"
    assert rpc["message"].startswith("rpc.done method=/grpc.health.v1.Health/Check")
    assert rpc["rpc.code"] == "OK" and "trace_id" in rpc
    assert any(entry["message"].startswith("service.ready") for entry in entries)


def test_grep_finds_one_request_and_since_excludes_older_lines(notifier_stack: Stack) -> None:
    request_id = f"req-{uuid.uuid4().hex}"
    _health_check(notifier_stack, request_id)
    _wait_logged(notifier_stack.work_dir / "logs" / "notifier.jsonl", request_id)

    found = _tm_logs(notifier_stack, "notifier", "--grep", request_id.upper())
    assert found.returncode == 0, found.stderr
    lines = found.stdout.splitlines()
    assert len(lines) == 1
    assert " notifier INFO " in lines[0] and f"request_id={request_id}" in lines[0]

    as_json = _tm_logs(notifier_stack, "--grep", request_id, "--json")
    assert json.loads(as_json.stdout)["request_id"] == request_id

    future = _tm_logs(notifier_stack, "--grep", request_id, "--since", "2099-01-01T00:00:00")
    assert future.returncode == 1 and future.stdout == ""
    recent = _tm_logs(notifier_stack, "--grep", request_id, "--since", "5m")
    assert recent.returncode == 0 and request_id in recent.stdout


def test_unknown_service_and_bad_since_are_clear_errors(notifier_stack: Stack) -> None:
    missing = _tm_logs(notifier_stack, "nosuch")
    assert missing.returncode == 2
    assert "no log for nosuch" in missing.stderr and "notifier" in missing.stderr
    bad = _tm_logs(notifier_stack, "--since", "yesterday")
    assert bad.returncode == 2 and "--since must be a duration" in bad.stderr


@pytest.fixture
def follower(notifier_stack: Stack) -> Iterator[subprocess.Popen[str]]:
    env = {**os.environ, "TM_LOCAL_VAR_DIR": str(notifier_stack.work_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "trademaster.service.ops", "logs", "notifier", "--follow"]
        + ["--grep", "follow-me", "--json"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    yield process
    process.terminate()
    process.wait(10)


def test_follow_prints_lines_written_after_it_started(
    notifier_stack: Stack, follower: subprocess.Popen[str]
) -> None:
    request_id = f"follow-me-{uuid.uuid4().hex}"
    time.sleep(2.0)  # the follower starts at the end of the file: let it open it first
    _health_check(notifier_stack, request_id)
    assert follower.stdout is not None
    readable, _, _ = select.select([follower.stdout], [], [], 30)
    assert readable, "the follower printed nothing within 30 s"
    line = follower.stdout.readline()
    assert json.loads(line)["request_id"] == request_id
