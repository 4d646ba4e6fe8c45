"""Prometheus RPC metrics: ``tm_<service>_rpc_requests_total`` and ``..._rpc_duration_seconds``."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import prometheus_client

from trademaster.service.handler_wrapping import wrap_handler
from trademaster.service.logs import rpc_code

_LOGGER = logging.getLogger(__name__)

_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class RpcMetrics:
    requests: prometheus_client.Counter
    duration: prometheus_client.Histogram


_METRICS: dict[tuple[str, int], RpcMetrics] = {}


def rpc_metrics(
    service: str, registry: prometheus_client.CollectorRegistry = prometheus_client.REGISTRY
) -> RpcMetrics:
    """The RPC metric families of ``service``; created once per registry (servers may restart)."""
    if not _SERVICE_NAME.match(service):
        raise ValueError(f"service must match {_SERVICE_NAME.pattern}, was {service!r}")
    key = (service, id(registry))
    if key not in _METRICS:
        _METRICS[key] = RpcMetrics(
            requests=prometheus_client.Counter(
                f"tm_{service}_rpc_requests_total",
                "gRPC requests handled, by method and status code.",
                ["method", "code"],
                registry=registry,
            ),
            duration=prometheus_client.Histogram(
                f"tm_{service}_rpc_duration_seconds",
                "gRPC handler duration, by method.",
                ["method"],
                registry=registry,
            ),
        )
    return _METRICS[key]


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    """Counts every RPC by method and final code, and observes its duration."""

    def __init__(
        self,
        service: str,
        registry: prometheus_client.CollectorRegistry = prometheus_client.REGISTRY,
    ) -> None:
        self._metrics = rpc_metrics(service, registry)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method = handler_call_details.method
        handler = await continuation(handler_call_details)
        metrics = self._metrics

        @asynccontextmanager
        async def around(_request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
            start = time.perf_counter()
            failed = False
            try:
                yield
            except BaseException:
                failed = True
                raise
            finally:
                metrics.duration.labels(method).observe(time.perf_counter() - start)
                metrics.requests.labels(method, rpc_code(context, failed).name).inc()

        return wrap_handler(handler, around)


def start_metrics_server(port: int, host: str = "127.0.0.1") -> int:
    """Serve ``/metrics`` over HTTP in a background thread; returns the bound port."""
    server, _thread = prometheus_client.start_http_server(port, addr=host)
    bound = int(server.server_port)
    _LOGGER.info("metrics.ready host=%s port=%d", host, bound)
    return bound
