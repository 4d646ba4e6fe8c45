"""gRPC server bootstrap shared by all services: interceptors, health, reflection, lifecycle.

``create_server`` builds and STARTS a server (tests bind port 0 and call it directly);
``serve`` is the whole process lifecycle used by each service's ``__main__``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from trademaster.service.auth import AuthInterceptor
from trademaster.service.domain_metrics import set_process_service
from trademaster.service.errors import ErrorInterceptor
from trademaster.service.logs import RequestContextInterceptor, configure_logging
from trademaster.service.metrics import MetricsInterceptor, start_metrics_server
from trademaster.service.revocation import RevokedTokens
from trademaster.service.settings import ServiceSettings
from trademaster.service.tracing import TracingInterceptor, configure_tracing

_LOGGER = logging.getLogger(__name__)

_HEALTH: weakref.WeakKeyDictionary[grpc.aio.Server, health.aio.HealthServicer] = (
    weakref.WeakKeyDictionary()
)
_REVOCATIONS: weakref.WeakKeyDictionary[grpc.aio.Server, RevokedTokens] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class ServiceParts:
    """What a service contributes to ``serve``: its servicers, names, and clean-up."""

    register: Callable[[grpc.aio.Server], None]
    """Adds the service's servicers, e.g. ``lambda s: add_XServicer_to_server(x, s)``."""
    full_service_names: Sequence[str]
    """Fully qualified proto service names, for health and reflection."""
    public_methods: frozenset[str] = frozenset()
    """Full method names (``/pkg.Service/Method``) callable without a token."""
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = field(default_factory=tuple)
    """Run in order after the server stopped (close pools, clients)."""


async def create_server(
    settings: ServiceSettings,
    *,
    service_name: str,
    register: Callable[[grpc.aio.Server], None],
    full_service_names: Sequence[str],
    public_methods: frozenset[str] = frozenset(),
) -> tuple[grpc.aio.Server, int]:
    """Build, bind and start a server; returns it and the bound port (``grpc_port=0`` → ephemeral).

    Interceptors, outermost first: tracing, request context, metrics, auth, errors. Health
    reports SERVING for ``""`` and every name in ``full_service_names``. Stop it with
    ``stop_server`` so health flips to NOT_SERVING before draining. With a ``redis_url`` the
    server refuses revoked tokens (``trademaster.service.revocation``).
    """
    revocations = RevokedTokens.from_url(settings.redis_url) if settings.redis_url else None
    server = grpc.aio.server(
        # Without this a second server silently shares the port with the first.
        options=[("grpc.so_reuseport", 0)],
        interceptors=[
            # Tracing outermost: the per-RPC log line is written inside the span (its trace_id).
            TracingInterceptor(),
            RequestContextInterceptor(),
            MetricsInterceptor(service_name),
            AuthInterceptor(
                settings.jwt_keys(),
                settings.jwt_issuer,
                public_methods,
                revocations=revocations,
            ),
            ErrorInterceptor(),
        ],
    )
    register(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [*full_service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    address = f"{settings.grpc_host}:{settings.grpc_port}"
    try:
        port = server.add_insecure_port(address)
    except RuntimeError as error:
        raise OSError(f"cannot bind gRPC server to {address}: {error}") from error
    if port == 0:
        raise OSError(f"cannot bind gRPC server to {address}")
    await server.start()
    for name in ("", *full_service_names):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    _HEALTH[server] = health_servicer
    if revocations is not None:
        _REVOCATIONS[server] = revocations
    return server, port


async def stop_server(server: grpc.aio.Server, grace_s: float) -> None:
    """Graceful stop: health NOT_SERVING first (load balancers stop routing), then drain."""
    health_servicer = _HEALTH.pop(server, None)
    if health_servicer is not None:
        await health_servicer.enter_graceful_shutdown()
    await server.stop(grace_s)
    revocations = _REVOCATIONS.pop(server, None)
    if revocations is not None:
        await revocations.close()


def write_port_file(path: Path, port: int) -> None:
    """Atomically write ``port`` so a watcher never reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(f"{port}\n")
    tmp.replace(path)


async def serve(
    settings: ServiceSettings,
    *,
    service_name: str,
    build: Callable[[ServiceSettings], Awaitable[ServiceParts]],
) -> None:
    """Run a service until SIGTERM/SIGINT, then shut down gracefully.

    ``build`` does the start-up work (pools, migrations, servicers) and returns the parts.
    """
    configure_logging(
        service_name,
        settings.log_level,
        log_dir=settings.log_dir,
        max_bytes=settings.log_max_bytes,
        backups=settings.log_backups,
    )
    provider = configure_tracing(service_name, settings.otel_exporter)
    set_process_service(service_name)
    if settings.metrics_port is not None:
        start_metrics_server(settings.metrics_port, settings.metrics_host)
    parts = await build(settings)
    server, port = await create_server(
        settings,
        service_name=service_name,
        register=parts.register,
        full_service_names=parts.full_service_names,
        public_methods=parts.public_methods,
    )
    if settings.port_file is not None:
        write_port_file(settings.port_file, port)
    _LOGGER.info("service.ready port=%d", port, extra={"service.port": port})

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
        _LOGGER.info("service.stopping grace_s=%.1f", settings.shutdown_grace_s)
        await stop_server(server, settings.shutdown_grace_s)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        for callback in parts.on_shutdown:
            await callback()
        provider.shutdown()
        if settings.port_file is not None:
            settings.port_file.unlink(missing_ok=True)
        _LOGGER.info("service.stopped")
