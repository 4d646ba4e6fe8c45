"""Keeps the local stack alive: a part whose process died is restarted with backoff, and why
it died is logged; ``var/run/status.json`` says what each part is doing (``./tm status``).

Restarts reuse the part's data directory and port, so peers keep their addresses and nothing
committed is lost (PostgreSQL replays its WAL, Redis its append-only file). The delay doubles
from ``base_delay_s`` to ``max_delay_s`` while a part keeps dying, and resets once it has stayed
up for ``stable_s``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from trademaster.service.localstack.processes import StartupError, tail
from trademaster.service.localstack.stack import Stack

_LOGGER = logging.getLogger(__name__)

STATUS_FILE = Path("run") / "status.json"


@dataclass
class PartStatus:
    name: str
    state: str = "running"
    """running, restarting (waiting for its next try) or failed (the last try did not start)."""
    pid: int | None = None
    port: int | None = None
    restarts: int = 0
    health: str = "unknown"
    last_exit: str = ""
    """Why it last died: exit status and the last line of its log."""


@dataclass
class _Backoff:
    delay_s: float
    next_try: float | None = None
    up_since: float | None = None


def _port_of(part: Any) -> int | None:
    for attribute in ("http_port", "grpc_port", "port"):
        value = getattr(part, attribute, None)
        if isinstance(value, int):
            return value
    return None


def _why(part: Any) -> str:
    code = part.exit_code
    status = f"exit status {code}" if code is None or code >= 0 else f"killed by signal {-code}"
    log = getattr(part, "log_file", None)
    last = ""
    if log is not None and Path(log).is_file():
        lines = [line for line in tail(Path(log), 2000).splitlines() if line.strip()]
        last = lines[-1][:300] if lines else ""
    return f"{status}; last log line: {last}" if last else status


class Supervisor:
    """Call :meth:`poll` about once a second from the stack's main loop."""

    def __init__(
        self,
        stack: Stack,
        *,
        base_delay_s: float = 1.0,
        max_delay_s: float = 60.0,
        stable_s: float = 60.0,
        health_every_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stack = stack
        self._base = base_delay_s
        self._max = max_delay_s
        self._stable = stable_s
        self._health_every = health_every_s
        self._clock = clock
        self._status: dict[str, PartStatus] = {}
        self._backoff: dict[str, _Backoff] = {}
        self._last_health = float("-inf")

    def poll(self) -> None:
        """Restart dead parts whose delay has passed; refresh health and the status file."""
        now = self._clock()
        for name, part in self._stack.parts().items():
            status = self._status.setdefault(name, PartStatus(name))
            backoff = self._backoff.setdefault(name, _Backoff(self._base, up_since=now))
            if part.running:
                status.state = "running"
            else:
                self._recover(name, part, status, backoff, now)
            status.pid = part.pid if part.running else None
            status.port = _port_of(part)
        if now - self._last_health >= self._health_every:
            self._last_health = now
            for name, part in self._stack.parts().items():
                self._status[name].health = "serving" if _serving(part) else "not serving"
        self.write_status()

    def _recover(
        self, name: str, part: Any, status: PartStatus, backoff: _Backoff, now: float
    ) -> None:
        if backoff.next_try is None:
            if backoff.up_since is not None and now - backoff.up_since >= self._stable:
                backoff.delay_s = self._base  # it had been fine for a while: start over
            status.last_exit = _why(part)
            status.state = "restarting"
            backoff.next_try = now + backoff.delay_s
            _LOGGER.error(
                "%s died (%s); restarting in %.0f s", name, status.last_exit, backoff.delay_s
            )
            return
        if now < backoff.next_try:
            return
        status.restarts += 1
        began = self._clock()
        try:
            self._stack.restart(name)
        except (StartupError, OSError) as error:
            backoff.delay_s = min(self._max, backoff.delay_s * 2)
            backoff.next_try = self._clock() + backoff.delay_s
            status.state = "failed"
            _LOGGER.error(
                "%s did not come back (%s); next try in %.0f s", name, error, backoff.delay_s
            )
            return
        backoff.next_try = None
        backoff.up_since = self._clock()
        backoff.delay_s = min(self._max, backoff.delay_s * 2)
        status.state = "running"
        _LOGGER.warning(
            "%s restarted (restart %d, back in %.1f s)",
            name,
            status.restarts,
            self._clock() - began,
        )

    def statuses(self) -> list[PartStatus]:
        return list(self._status.values())

    def write_status(self) -> None:
        path = self._stack.work_dir / STATUS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "written_at": time.time(),
            "supervisor_pid": os.getpid(),
            "parts": [asdict(s) for s in self._status.values()],
        }
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1))
        temporary.replace(path)


def _serving(part: Any) -> bool:
    try:
        return bool(part.serving())
    except Exception:  # noqa: BLE001 - a failing probe means "not serving", nothing more
        return False


def format_status(data: dict[str, Any], now: float | None = None) -> str:
    """The table ``./tm status`` prints from a status file."""
    now = time.time() if now is None else now
    age = now - float(data.get("written_at", 0))
    pid = data.get("supervisor_pid")
    alive = isinstance(pid, int) and _pid_alive(pid)
    lines = []
    if not alive or age > 30:
        lines.append(f"the local stack is not running (status written {age:.0f} s ago)")
    header = f"{'component':<12} {'state':<11} {'pid':>7} {'port':>6} {'restarts':>8}  health"
    lines.append(header)
    for part in data.get("parts", []):
        lines.append(
            f"{part['name']:<12} {part['state']:<11} {part['pid'] or '-':>7} "
            f"{part['port'] or '-':>6} {part['restarts']:>8}  {part['health']}"
            + (f"  (last exit: {part['last_exit']})" if part.get("last_exit") else "")
        )
    return "\n".join(lines)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_running(path: Path, timeout_s: float = 120.0) -> int:
    """``./tm down``: SIGTERM the ``./tm up`` that wrote ``path`` (it stops every part in
    order, as Ctrl-C does) and wait until it has exited."""
    pid = json.loads(path.read_text()).get("supervisor_pid")
    if not isinstance(pid, int) or not _pid_alive(pid):
        print("the local stack is not running")
        return 0
    print(f"stopping the local stack (pid {pid})", flush=True)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while _pid_alive(pid):
        if time.monotonic() > deadline:
            print(f"pid {pid} still running after {timeout_s:.0f} s; its log is ./var/logs")
            return 1
        time.sleep(0.5)
    print("TradeMaster stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``./tm status`` (print the state of each part) and ``./tm down`` (stop the stack)."""
    parser = argparse.ArgumentParser(prog="python -m trademaster.service.localstack.supervisor")
    parser.add_argument("command", nargs="?", choices=("status", "down"), default="status")
    parser.add_argument(
        "--var-dir", type=Path, default=Path(os.environ.get("TM_LOCAL_VAR_DIR") or "var")
    )
    args = parser.parse_args(argv)
    path = args.var_dir / STATUS_FILE
    if not path.is_file():
        print(f"no status at {path}: the local stack has not run here (./tm up)")
        return 0 if args.command == "down" else 1
    if args.command == "down":
        return stop_running(path)
    print(format_status(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
