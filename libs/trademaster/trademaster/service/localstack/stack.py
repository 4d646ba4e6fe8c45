"""The whole platform on loopback: PostgreSQL, Redis, a Ray head and the six services."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trademaster.service.localstack.postgres import PostgresServer
from trademaster.service.localstack.processes import LOOPBACK, resolve_port
from trademaster.service.localstack.prometheus import PrometheusServer
from trademaster.service.localstack.ray_head import RayHead
from trademaster.service.localstack.redis_server import RedisServer
from trademaster.service.localstack.services import (
    LATE_PEERS,
    SERVICE_NAMES,
    ServiceProcess,
    service_env,
    startup_waves,
)

_LOGGER = logging.getLogger(__name__)

NEEDS_RAY: frozenset[str] = frozenset({"trainer"})


@dataclass(frozen=True)
class StackPorts:
    """Fixed ports; None (or 0) means "pick a free one" (gRPC services then bind port 0)."""

    postgres: int | None = None
    redis: int | None = None
    ray: int | None = None
    ray_dashboard: int | None = None
    gateway_http: int | None = None
    prometheus: int | None = None
    grpc: Mapping[str, int] = field(default_factory=dict)
    metrics: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StackConfig:
    """What to start and where. External URLs reuse running servers instead of starting them."""

    work_dir: Path
    services: Sequence[str] = SERVICE_NAMES
    ports: StackPorts = field(default_factory=StackPorts)
    jwt_secret: str | None = None
    database_url: str | None = None
    redis_url: str | None = None
    ray_address: str | None = None
    ray_temp_dir: Path | None = None
    ray_num_cpus: int = 2
    durable: bool = False
    """Local stack: fsync on and Redis append-only, so data survives restarts."""
    admin_username: str = "admin"
    admin_password: str | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    """More env vars for every service (e.g. `TM_STRATEGY_DATA_DIR`)."""
    startup_timeout_s: float = 60.0
    monitoring: bool = False
    """Also run Prometheus scraping every service (services without a metrics port get one)."""


class Stack:
    """Starts everything in dependency order and stops it in reverse; a context manager."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.work_dir = Path(config.work_dir).absolute()
        self.jwt_secret = config.jwt_secret or secrets.token_urlsafe(32)
        self.admin_password = config.admin_password or secrets.token_urlsafe(12)
        self.database_url: str | None = config.database_url
        self.redis_url: str | None = config.redis_url
        self.ray_address: str | None = config.ray_address
        self.ray_dashboard_url: str | None = None
        self.gateway_url: str | None = None
        self.addresses: dict[str, str] = {}
        self._planned_ports = self._plan_late_peer_ports()
        self.startup_seconds: float | None = None
        self.postgres: PostgresServer | None = None
        self.redis: RedisServer | None = None
        self.ray: RayHead | None = None
        self.services: dict[str, ServiceProcess] = {}
        self.prometheus: PrometheusServer | None = None
        self.metrics_ports: dict[str, int] = {
            name: port for name, port in config.ports.metrics.items() if port
        }
        if config.monitoring:
            for name in config.services:
                self.metrics_ports.setdefault(name, resolve_port(None))
        # Groups of (name, stop) in start order; a group is stopped concurrently.
        self._stop_groups: list[list[tuple[str, Callable[[], object]]]] = []
        self._ray_pool: ThreadPoolExecutor | None = None
        self._ray_started: Future[object] | None = None

    def start(self) -> Stack:
        """Start everything; Ray boots in the background until a service that needs it starts."""
        began = time.monotonic()
        try:
            self._start_infrastructure()
            infra_s = time.monotonic() - began
            for wave in startup_waves(self.config.services):
                if NEEDS_RAY & set(wave):
                    self._wait_for_ray()
                self._start_wave(wave)
            self._wait_for_ray()
            if self.config.monitoring:
                self._start_prometheus()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        _LOGGER.info(
            "stack ready in %.1f s (infrastructure %.1f s, services=%s)",
            self.startup_seconds,
            infra_s,
            ",".join(self.config.services),
        )
        return self

    def stop(self) -> None:
        """Stop in reverse start order (a wave at a time); keeps going when a part fails."""
        if self._ray_started is not None:
            # A Ray head still booting must finish (or fail) before it can be stopped.
            wait([self._ray_started])
        while self._stop_groups:
            group = self._stop_groups.pop()
            with ThreadPoolExecutor(max_workers=len(group)) as pool:
                futures = {pool.submit(stop): name for name, stop in group}
            for future, name in futures.items():
                error = future.exception()
                if error is not None:
                    _LOGGER.error("stopping %s failed: %r", name, error)
        if self._ray_pool is not None:
            self._ray_pool.shutdown()
            self._ray_pool = None
        self._ray_started = None
        self.services.clear()

    def _wait_for_ray(self) -> None:
        if self._ray_started is not None:
            self._ray_started.result()
            if self.ray is not None:
                self.ray_dashboard_url = self.ray.dashboard_url

    def parts(self) -> dict[str, Any]:
        """Every started part by name: servers first, then services in start order."""
        found: dict[str, Any] = {}
        for name, server in (("postgres", self.postgres), ("redis", self.redis), ("ray", self.ray)):
            if server is not None:
                found[name] = server
        found.update(self.services)
        return found

    def restart(self, name: str) -> None:
        """Start one part again with its data and ports (the supervisor's recovery step)."""
        part = self.parts().get(name)
        if part is None:
            raise KeyError(f"no started part named {name!r}")
        part.restart()

    def dead_parts(self) -> list[str]:
        """Names of started parts whose process has exited."""
        running = {name: service.running for name, service in self.services.items()}
        for name, server in (
            ("postgres", self.postgres),
            ("redis", self.redis),
            ("ray", self.ray),
            ("prometheus", self.prometheus),
        ):
            if server is not None:
                running[name] = server.running
        return [name for name, alive in running.items() if not alive]

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def env_for(self, name: str) -> dict[str, str]:
        """The environment a service gets from this stack (peers started so far)."""
        if self.database_url is None or self.redis_url is None:
            raise RuntimeError("infrastructure must be started before services")
        ports = self.config.ports
        extra = dict(self.config.extra_env)
        if name == "gateway":
            extra["TM_GATEWAY_HTTP_PORT"] = str(self._gateway_port())
            extra["TM_GATEWAY_ADMIN_USERNAME"] = self.config.admin_username
            extra["TM_GATEWAY_ADMIN_PASSWORD"] = self.admin_password
        extra.setdefault("TM_STRATEGY_DATA_DIR", str(self.work_dir / "datasets"))
        artifacts = self.work_dir / "artifacts"
        # As in deploy/k8s: the backtest service's store is the platform's artifact root, so it
        # reads trained models (artifacts/trainer/...) by URI and writes artifacts/backtests/...
        own = artifacts if name == "backtest" else artifacts / name
        extra.setdefault(f"TM_{name.upper()}_ARTIFACT_DIR", str(own))
        # JSON logs rotated by size, searchable with `./tm logs` (trademaster.service.ops).
        extra.setdefault(f"TM_{name.upper()}_LOG_DIR", str(self.work_dir / "logs"))
        metrics = self.metrics_ports.get(name)
        return service_env(
            name,
            database_url=self.database_url,
            redis_url=self.redis_url,
            jwt_secret=self.jwt_secret,
            port_file=self._port_file(name),
            grpc_port=ports.grpc.get(name) or self._planned_ports.get(name, 0),
            metrics_port=metrics if metrics else None,
            addresses={
                **{peer: f"{LOOPBACK}:{port}" for peer, port in self._planned_ports.items()},
                **self.addresses,
            },
            ray_address=self.ray_address,
            extra=extra,
        )

    @property
    def metrics_addresses(self) -> dict[str, str]:
        """``127.0.0.1:PORT`` of each service's ``/metrics`` (services given a metrics port)."""
        return {
            name: f"{LOOPBACK}:{port}"
            for name, port in self.metrics_ports.items()
            if name in self.config.services
        }

    def _start_prometheus(self) -> None:
        self.prometheus = PrometheusServer(
            self.work_dir / "prometheus",
            self.metrics_addresses,
            self.config.ports.prometheus,
            log_path=self.work_dir / "logs" / "prometheus.log",
        )
        self._stop_groups.append([("prometheus", self.prometheus.stop)])
        self.prometheus.start()

    def _gateway_port(self) -> int:
        if self.gateway_url is None:
            port = resolve_port(self.config.ports.gateway_http)
            self.gateway_url = f"http://{LOOPBACK}:{port}"
        return int(self.gateway_url.rsplit(":", 1)[1])

    def _port_file(self, name: str) -> Path:
        return self.work_dir / "run" / f"{name}.port"

    def _plan_late_peer_ports(self) -> dict[str, int]:
        """gRPC ports of the services an earlier-started service calls (``LATE_PEERS``)."""
        wanted = set(self.config.services)
        late = {peer for name in wanted for peer in LATE_PEERS.get(name, ()) if peer in wanted}
        return {peer: resolve_port(self.config.ports.grpc.get(peer)) for peer in sorted(late)}

    def _start_infrastructure(self) -> None:
        """PostgreSQL and Redis start concurrently and are waited for; Ray only starts here."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        ports = self.config.ports
        tasks: list[Callable[[], object]] = []
        group: list[tuple[str, Callable[[], object]]] = []
        if self.database_url is None:
            self.postgres = PostgresServer(
                self.work_dir / "postgres",
                ports.postgres,
                fsync=self.config.durable,
                log_path=self.work_dir / "logs" / "postgres.log",
            )
            group.append(("postgres", self.postgres.stop))
            tasks.append(self.postgres.start)
        if self.redis_url is None:
            self.redis = RedisServer(
                self.work_dir / "redis",
                ports.redis,
                appendonly=self.config.durable,
                log_path=self.work_dir / "logs" / "redis.log",
            )
            group.append(("redis", self.redis.stop))
            tasks.append(self.redis.start)
        if self.ray_address is None and NEEDS_RAY & set(self.config.services):
            self.ray = RayHead(
                self.config.ray_temp_dir or self.work_dir / "ray",
                ports.ray,
                ports.ray_dashboard,
                num_cpus=self.config.ray_num_cpus,
                log_path=self.work_dir / "logs" / "ray.log",
            )
            # Ports are fixed at construction, so services can be told the address already.
            self.ray_address = self.ray.address
            group.append(("ray", self.ray.stop))
            self._ray_pool = ThreadPoolExecutor(max_workers=1)
            self._ray_started = self._ray_pool.submit(self.ray.start)
        self._stop_groups.append(group)
        _run_concurrently(tasks)
        if self.postgres is not None:
            self.database_url = self.postgres.dsn
        if self.redis is not None:
            self.redis_url = self.redis.url

    def _start_wave(self, wave: Sequence[str]) -> None:
        """Spawn every service of a wave at once, then wait for all of them."""
        began = time.monotonic()
        started = []
        group: list[tuple[str, Callable[[], object]]] = []
        self._stop_groups.append(group)
        for name in wave:
            process = ServiceProcess(
                name,
                self.env_for(name),
                self._port_file(name),
                log_path=self.work_dir / "logs" / f"{name}.log",
                http_port=self._gateway_port() if name == "gateway" else None,
                startup_timeout_s=self.config.startup_timeout_s,
            )
            self.services[name] = process
            group.append((name, process.stop))
            process.spawn()
            started.append(process)
        _run_concurrently([process.wait_ready for process in started])
        for process in started:
            if process.http_port is None:
                self.addresses[process.name] = process.address
        _LOGGER.info("services %s ready in %.1f s", ",".join(wave), time.monotonic() - began)


def _run_concurrently(tasks: Sequence[Callable[[], object]]) -> None:
    """Run blocking start-ups in threads; re-raise the first failure after all have finished."""
    if not tasks:
        return
    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        futures = [pool.submit(task) for task in tasks]
    for future in futures:
        future.result()
