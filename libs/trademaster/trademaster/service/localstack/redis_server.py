"""An embedded Redis server on loopback."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import redis

from trademaster.service.localstack.processes import (
    LOOPBACK,
    ManagedProcess,
    StartupError,
    resolve_port,
)

_LOGGER = logging.getLogger(__name__)


class RedisServer:
    """redis-server with its files in `data_dir`; `appendonly` keeps streams across restarts."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        appendonly: bool = False,
        log_path: Path | None = None,
        startup_timeout_s: float = 30.0,
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = resolve_port(port)
        self.appendonly = appendonly
        self.log_path = log_path or self.data_dir / "redis.log"
        self.startup_timeout_s = startup_timeout_s
        self._process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.running

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise StartupError("redis-server not found on PATH (apt-get install redis-server)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            LOOPBACK,
            "--dir",
            str(self.data_dir),
            "--save",
            "",
            "--appendonly",
            "yes" if self.appendonly else "no",
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
        ]
        self._process = ManagedProcess("redis", args, log_path=self.log_path)
        self._process.spawn()
        self._process.wait_until(self._answers_ping, self.startup_timeout_s, "answering PING")
        _LOGGER.info("redis ready (port=%d, appendonly=%s)", self.port, self.appendonly)
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _answers_ping(self) -> bool:
        client = redis.Redis(host=LOOPBACK, port=self.port, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except (redis.ConnectionError, redis.BusyLoadingError):
            return False
        finally:
            client.close()
