"""Child-process supervision shared by the local stack and the test fixtures.

Every process is started in its own session (process group) so that stopping it can reach the
helpers it spawned, and every process we start is waited for: PID 1 on our machines does not
reap orphans, so an un-waited child would linger as a zombie.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Self

_LOGGER = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


class StartupError(RuntimeError):
    """A supervised process exited or did not become ready in time."""


def free_port() -> int:
    """Return a TCP port on loopback that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def resolve_port(port: int | None) -> int:
    """Return `port`, or a free port when it is None or 0."""
    if port is None or port == 0:
        return free_port()
    if not 0 < port < 65536:
        raise ValueError(f"port must be in 1..65535, was {port}")
    return port


def tail(path: Path, max_chars: int = 4000) -> str:
    """Return the end of a log file, for error messages; empty when it does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ""
    return data[-max_chars:].decode("utf-8", errors="replace")


def run_checked(
    args: Sequence[str], *, log_path: Path, env: Mapping[str, str] | None = None
) -> None:
    """Run a short setup command to completion, appending its output to `log_path`."""
    with log_path.open("ab") as log:
        result = subprocess.run(
            list(args), stdout=log, stderr=subprocess.STDOUT, env=dict(env) if env else None
        )
    if result.returncode != 0:
        raise StartupError(
            f"{args[0]} exited with status {result.returncode}; log {log_path}:\n{tail(log_path)}"
        )


class ManagedProcess:
    """One long-running child process with its own process group and log file."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
        stop_timeout_s: float = 15.0,
        signal_group: bool = False,
    ) -> None:
        self.name = name
        self.args = list(args)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.stop_signal = stop_signal
        self.stop_timeout_s = stop_timeout_s
        self.signal_group = signal_group
        self._popen: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen is not None else None

    @property
    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    @property
    def exit_code(self) -> int | None:
        """The exit status once the process has ended (negative: killed by that signal)."""
        return None if self._popen is None else self._popen.poll()

    def respawn(self) -> None:
        """Reap what is left of the previous run (its whole group), then start again."""
        self.stop()
        self._popen = None
        self.spawn()

    def spawn(self) -> None:
        """Start the process; readiness is the caller's business (see `wait_until`)."""
        if self._popen is not None:
            raise RuntimeError(f"{self.name} was already started (pid {self._popen.pid})")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        _LOGGER.debug("spawning %s: %s", self.name, " ".join(self.args))
        self._popen = subprocess.Popen(
            self.args,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )
        _LOGGER.info(
            "started %s (process.pid=%d, log=%s)", self.name, self._popen.pid, self.log_path
        )

    def wait_until(self, ready: Callable[[], bool], timeout_s: float, what: str) -> None:
        """Poll `ready` until it is true; fail early if the process dies, or after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        delay = 0.05
        while True:
            if self._popen is None or self._popen.poll() is not None:
                code = None if self._popen is None else self._popen.returncode
                raise StartupError(
                    f"{self.name} exited with status {code} before {what}; "
                    f"log {self.log_path}:\n{tail(self.log_path)}"
                )
            if ready():
                return
            if time.monotonic() > deadline:
                raise StartupError(
                    f"{self.name} did not reach {what} within {timeout_s:.0f} s; "
                    f"log {self.log_path}:\n{tail(self.log_path)}"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def stop(self) -> int | None:
        """Signal the process (or its whole group), wait, then SIGKILL whatever is left."""
        popen = self._popen
        if popen is None:
            return None
        if popen.poll() is None:
            deadline = time.monotonic() + self.stop_timeout_s
            try:
                if self.signal_group:
                    os.killpg(popen.pid, self.stop_signal)
                else:
                    popen.send_signal(self.stop_signal)
                popen.wait(timeout=self.stop_timeout_s)
                while group_members(popen.pid) and time.monotonic() < deadline:
                    time.sleep(0.1)
            except subprocess.TimeoutExpired:
                _LOGGER.warning(
                    "%s did not stop within %.0f s after %s; killing its process group",
                    self.name,
                    self.stop_timeout_s,
                    self.stop_signal.name,
                )
        _kill_group(popen.pid)
        popen.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        _LOGGER.info(
            "stopped %s (process.pid=%d, status=%s)", self.name, popen.pid, popen.returncode
        )
        return popen.returncode


class SupervisedServer(ABC):
    """An embedded server run as one :class:`ManagedProcess`: launch-and-wait, stop, status and
    context-manager use are the same for every such server."""

    _process: ManagedProcess | None = None

    @abstractmethod
    def start(self) -> Self:
        """Start the server and return once it is ready."""

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.running

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def exit_code(self) -> int | None:
        return self._process.exit_code if self._process else None

    @property
    def log_file(self) -> Path | None:
        return self._process.log_path if self._process else None

    def serving(self) -> bool:
        """Health right now (subclasses ask the server itself)."""
        return self.running

    def restart(self) -> None:
        """Stop what is left (if anything) and start again with the same data and port."""
        self.stop()
        self.start()

    def _launch(
        self, process: ManagedProcess, ready: Callable[[], bool], timeout_s: float, what: str
    ) -> None:
        """Spawn `process` as this server's and wait until `ready` (see `wait_until`)."""
        self._process = process
        process.spawn()
        process.wait_until(ready, timeout_s, what)

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _kill_group(pgid: int) -> None:
    """SIGKILL every process left in a group we created; a no-op when the group is empty."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return
    except PermissionError:
        _LOGGER.warning("cannot signal process group %d (permission denied)", pgid)


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is `pgid`, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces or parentheses; fields follow the last ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        state, process_group = fields[0], int(fields[2])
        if process_group == pgid and state not in ("Z", "X"):
            members.append(int(entry.name))
    return members
