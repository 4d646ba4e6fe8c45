"""The supervisor restarts dead parts with doubling delays, logs why, and writes status."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from trademaster.service.localstack.processes import StartupError
from trademaster.service.localstack.supervisor import (
    STATUS_FILE,
    Supervisor,
    format_status,
    main,
    stop_running,
)

pytestmark = pytest.mark.unit


class _Part:
    def __init__(self, log: Path, fail_starts: int = 0) -> None:
        self.running = True
        self.pid: int | None = 100
        self.grpc_port = 5000
        self.exit_code: int | None = None
        self.log_file = log
        self.restarts = 0
        self.fail_starts = fail_starts

    def serving(self) -> bool:
        return self.running

    def restart(self) -> None:
        self.restarts += 1
        if self.fail_starts > 0:
            self.fail_starts -= 1
            raise StartupError("port in use")
        self.running, self.exit_code, self.pid = True, None, 100 + self.restarts

    def die(self, code: int) -> None:
        self.running, self.exit_code = False, code


class _Stack:
    def __init__(self, work_dir: Path, parts: dict[str, _Part]) -> None:
        self.work_dir = work_dir
        self._parts = parts

    def parts(self) -> dict[str, Any]:
        return self._parts

    def restart(self, name: str) -> None:
        self._parts[name].restart()


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _supervisor(tmp_path: Path, part: _Part) -> tuple[Supervisor, _Clock]:
    clock = _Clock()
    stack = _Stack(tmp_path, {"strategy": part})
    return Supervisor(stack, base_delay_s=1, max_delay_s=8, stable_s=60, clock=clock), clock  # type: ignore[arg-type]


def test_a_dead_part_is_restarted_after_the_delay_and_the_reason_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "strategy.log"
    log.write_text("starting\nFATAL: out of memory\n")
    part = _Part(log)
    supervisor, clock = _supervisor(tmp_path, part)
    supervisor.poll()

    part.die(-9)
    supervisor.poll()
    waiting = part.restarts
    clock.now = 1.0
    supervisor.poll()
    status = json.loads((tmp_path / STATUS_FILE).read_text())["parts"][0]

    assert waiting == 0
    assert part.restarts == 1 and part.running
    assert status["restarts"] == 1 and status["state"] == "running" and status["pid"] == 101
    assert "killed by signal 9" in status["last_exit"]
    assert "FATAL: out of memory" in status["last_exit"]
    assert "strategy died (killed by signal 9" in caplog.text


def test_delays_double_while_it_keeps_failing_and_reset_once_stable(tmp_path: Path) -> None:
    part = _Part(tmp_path / "none.log", fail_starts=2)
    supervisor, clock = _supervisor(tmp_path, part)
    supervisor.poll()
    part.die(1)
    tries = []
    for second in range(0, 40):
        clock.now = float(second)
        before = part.restarts
        supervisor.poll()
        if part.restarts != before:
            tries.append(second)

    assert tries == [1, 3, 7]  # waits 1, then 2, then 4 s
    assert part.running
    part.die(1)
    clock.now = 200.0  # up for > stable_s: the delay is back to the base
    supervisor.poll()
    clock.now = 201.0
    supervisor.poll()
    assert part.restarts == 4


def test_status_table_names_each_part() -> None:
    data = {
        "written_at": 100.0,
        "supervisor_pid": 1,
        "parts": [
            {"name": "postgres", "state": "running", "pid": 7, "port": 55432, "restarts": 2,
             "health": "serving", "last_exit": "killed by signal 9"},
        ],
    }  # fmt: skip

    table = format_status(data, now=101.0)

    assert "postgres" in table and "55432" in table and "serving" in table
    assert "killed by signal 9" in table


def _status_file(tmp_path: Path, pid: int) -> Path:
    path = tmp_path / STATUS_FILE
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"written_at": 0, "supervisor_pid": pid, "parts": []}))
    return path


def test_down_stops_the_running_stack_and_waits_for_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Stands in for `./tm up`: exits on SIGTERM (Python's default), like the stack's handler.
    up = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    reaper = threading.Thread(target=up.wait)  # ./tm down is not its parent: no zombie
    reaper.start()
    path = _status_file(tmp_path, up.pid)
    try:
        assert stop_running(path, timeout_s=30) == 0
        assert up.returncode == -15
    finally:
        if up.returncode is None:
            up.kill()
        reaper.join(timeout=5)
    assert "TradeMaster stopped" in capsys.readouterr().out


def test_down_when_nothing_runs_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["down", "--var-dir", str(tmp_path)]) == 0
    path = _status_file(tmp_path, 2**22 + 12345)  # above pid_max defaults: no such process

    assert stop_running(path) == 0
    out = capsys.readouterr().out
    assert "has not run here" in out and "not running" in out
