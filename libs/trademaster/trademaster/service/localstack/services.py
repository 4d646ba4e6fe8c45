"""Platform services as supervised child processes, and the order they start in."""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from trademaster.service.localstack.processes import LOOPBACK, ManagedProcess

_LOGGER = logging.getLogger(__name__)

SERVICE_NAMES: tuple[str, ...] = ("strategy", "notifier", "backtest", "risk", "trainer", "gateway")
"""Every platform service, in start order."""

GRPC_SERVICES: tuple[str, ...] = ("strategy", "notifier", "backtest", "risk", "trainer")
"""Services that speak gRPC; the gateway speaks HTTP to the outside."""

DEPENDENCIES: Mapping[str, tuple[str, ...]] = {
    "strategy": (),
    "notifier": (),
    "backtest": ("strategy", "notifier", "trainer"),
    "risk": ("notifier",),
    "trainer": ("strategy", "notifier"),
    "gateway": GRPC_SERVICES,
}
"""Which services a service calls; it starts only after those are SERVING."""

LATE_PEERS: Mapping[str, tuple[str, ...]] = {
    "strategy": ("trainer", "backtest"),
    "trainer": ("risk", "backtest"),
}
"""Peers a service calls at request time that start after it (the model registry in the
strategy service asks the trainer and the backtest service, which themselves need the strategy
service to start): their gRPC ports are chosen before anything starts, so the earlier service
can be given their addresses."""


def missing_entry_points(services: Sequence[str]) -> list[str]:
    """Services among `services` whose package has no `__main__` module yet."""
    missing = []
    for name in services:
        try:
            spec = importlib.util.find_spec(f"tm_{name}.__main__")
        except ModuleNotFoundError:
            spec = None
        if spec is None:
            missing.append(name)
    return missing


def startup_waves(
    services: Sequence[str], dependencies: Mapping[str, Sequence[str]] = DEPENDENCIES
) -> list[list[str]]:
    """Group `services` into waves: each wave depends only on earlier waves.

    Dependencies outside `services` are ignored, so a test can start a subset.
    Raises ValueError for unknown names or a dependency cycle.
    """
    unknown = [name for name in services if name not in dependencies]
    if unknown:
        raise ValueError(f"unknown services {unknown}; expected names from {sorted(dependencies)}")
    wanted = list(dict.fromkeys(services))
    started: set[str] = set()
    waves: list[list[str]] = []
    while len(started) < len(wanted):
        wave = [
            name
            for name in wanted
            if name not in started
            and all(dep in started or dep not in wanted for dep in dependencies[name])
        ]
        if not wave:
            raise ValueError(f"dependency cycle among {sorted(set(wanted) - started)}")
        waves.append(wave)
        started.update(wave)
    return waves


def env_prefix(name: str) -> str:
    return f"TM_{name.upper()}_"


def service_env(
    name: str,
    *,
    database_url: str,
    redis_url: str,
    jwt_secret: str,
    port_file: Path,
    grpc_port: int = 0,
    metrics_port: int | None = None,
    addresses: Mapping[str, str] | None = None,
    ray_address: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The `TM_<NAME>_*` variables one service needs, with peers as `TM_<NAME>_<PEER>_ADDR`."""
    prefix = env_prefix(name)
    env = {
        f"{prefix}DATABASE_URL": database_url,
        f"{prefix}REDIS_URL": redis_url,
        f"{prefix}JWT_SECRET": jwt_secret,
        f"{prefix}GRPC_PORT": str(grpc_port),
        f"{prefix}PORT_FILE": str(port_file),
    }
    if metrics_port is not None:
        env[f"{prefix}METRICS_PORT"] = str(metrics_port)
    for peer, address in (addresses or {}).items():
        if peer != name:
            env[f"{prefix}{peer.upper()}_ADDR"] = address
    if ray_address is not None:
        env[f"{prefix}RAY_ADDRESS"] = ray_address
    env.update(extra or {})
    return env


def grpc_serving(target: str, timeout_s: float = 1.0) -> bool:
    """One standard health check: True when `target` answers SERVING for the server as a whole."""
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout_s)
        except grpc.RpcError:
            return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING


def http_ready(url: str, timeout_s: float = 1.0) -> bool:
    """True when `url` answers 200."""
    try:
        # url is always http://127.0.0.1:<port>/... built by the stack, never user input.
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # nosec B310
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


class ServiceProcess:
    """`python -m tm_<name>`, ready when its port file exists and it answers health checks.

    gRPC services are probed with `grpc.health.v1`; when `http_port` is given (the gateway),
    readiness is `GET /readyz` on that port instead.
    """

    def __init__(
        self,
        name: str,
        env: Mapping[str, str],
        port_file: Path,
        *,
        log_path: Path | None = None,
        http_port: int | None = None,
        startup_timeout_s: float = 60.0,
        stop_timeout_s: float = 15.0,
    ) -> None:
        self.name = name
        self.port_file = Path(port_file)
        self.http_port = http_port
        self.log_path = log_path or self.port_file.with_suffix(".log")
        self.startup_timeout_s = startup_timeout_s
        bin_dir = str(Path(sys.executable).parent)
        full_env = dict(os.environ)
        full_env.update(env)
        full_env["PATH"] = f"{bin_dir}{os.pathsep}{full_env.get('PATH', '')}"
        full_env["PYTHONUNBUFFERED"] = "1"
        self._process = ManagedProcess(
            name,
            [sys.executable, "-m", f"tm_{name}"],
            log_path=self.log_path,
            env=full_env,
            stop_timeout_s=stop_timeout_s,
        )
        self.grpc_port: int | None = None

    @property
    def address(self) -> str:
        """`127.0.0.1:PORT` of the gRPC server (known once started)."""
        if self.grpc_port is None:
            raise RuntimeError(f"{self.name} has not reported its port yet")
        return f"{LOOPBACK}:{self.grpc_port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.running

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def start(self) -> ServiceProcess:
        self.spawn()
        self.wait_ready()
        return self

    def spawn(self) -> None:
        self.port_file.parent.mkdir(parents=True, exist_ok=True)
        self.port_file.unlink(missing_ok=True)
        self.grpc_port = None
        self._process.spawn()

    def wait_ready(self) -> None:
        if self.http_port is not None:
            url = f"http://{LOOPBACK}:{self.http_port}/readyz"
            self._process.wait_until(lambda: http_ready(url), self.startup_timeout_s, f"200 {url}")
            # The gateway also serves IdentityService over gRPC; its port file says where.
            self._process.wait_until(self._read_port, self.startup_timeout_s, "gRPC port file")
        else:
            self._process.wait_until(self._serving, self.startup_timeout_s, "gRPC SERVING")
        _LOGGER.info(
            "%s ready (grpc.port=%s, http.port=%s)", self.name, self.grpc_port, self.http_port
        )

    def stop(self) -> int | None:
        return self._process.stop()

    @property
    def exit_code(self) -> int | None:
        return self._process.exit_code

    @property
    def log_file(self) -> Path:
        return self.log_path

    def restart(self) -> None:
        """Start the service again (same environment and ports) and wait until it serves.

        A service started on an ephemeral port (0) is pinned to the port it had: its peers
        were given that address and never learn a new one."""
        if self.grpc_port is not None and self._process.env is not None:
            self._process.env[f"TM_{self.name.upper()}_GRPC_PORT"] = str(self.grpc_port)
        self.port_file.unlink(missing_ok=True)
        self.grpc_port = None
        self._process.respawn()
        self.wait_ready()

    def serving(self) -> bool:
        """Health right now: gRPC SERVING, or the gateway's /readyz answering 200."""
        if self.http_port is not None:
            return http_ready(f"http://{LOOPBACK}:{self.http_port}/readyz")
        return self.grpc_port is not None and grpc_serving(self.address)

    def _read_port(self) -> bool:
        if self.grpc_port is None:
            try:
                text = self.port_file.read_text().strip()
            except FileNotFoundError:
                return False
            if not text.isdigit():
                return False
            self.grpc_port = int(text)
        return True

    def _serving(self) -> bool:
        return self._read_port() and grpc_serving(self.address)
