"""Prometheus metrics of an ASGI app's HTTP and WebSocket traffic, labelled by route template.

``tm_<service>_http_requests_total{method,route,status}``,
``tm_<service>_http_request_duration_seconds{method,route}``,
``tm_<service>_websocket_connections{route}`` (open now) and
``tm_<service>_websocket_messages_total{route,direction}``. The route is the template the
router matched (``/api/v1/strategies/{strategy_id}``), never the raw path, so ids do not
explode the label space; unmatched paths count as ``unmatched``. Framework-agnostic: it reads
``scope["route"].path`` as Starlette/FastAPI set it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNMATCHED = "unmatched"


@dataclass(frozen=True)
class HttpMetrics:
    requests: Counter
    duration: Histogram
    ws_connections: Gauge
    ws_messages: Counter


_METRICS: dict[tuple[str, int], HttpMetrics] = {}


def http_metrics(service: str, registry: CollectorRegistry = REGISTRY) -> HttpMetrics:
    """The HTTP metric families of ``service``, created once per registry."""
    key = (service, id(registry))
    if key not in _METRICS:
        _METRICS[key] = HttpMetrics(
            requests=Counter(
                f"tm_{service}_http_requests_total",
                "HTTP requests answered, by method, route template and status code.",
                ["method", "route", "status"],
                registry=registry,
            ),
            duration=Histogram(
                f"tm_{service}_http_request_duration_seconds",
                "Time to the end of the HTTP response, by method and route template.",
                ["method", "route"],
                registry=registry,
            ),
            ws_connections=Gauge(
                f"tm_{service}_websocket_connections",
                "WebSocket connections open now, by route template.",
                ["route"],
                registry=registry,
            ),
            ws_messages=Counter(
                f"tm_{service}_websocket_messages_total",
                "WebSocket messages, by route template and direction (in: from the client).",
                ["route", "direction"],
                registry=registry,
            ),
        )
    return _METRICS[key]


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return full_template(scope.get("path", ""), path) if isinstance(path, str) else UNMATCHED


def full_template(raw_path: str, template: str) -> str:
    """The whole route template of a request. Routes of included routers report their template
    relative to the router's prefix (``/auth/me`` for ``/api/v1/auth/me``); the prefix is the
    raw path's leading segments beyond the template's (ids never appear in it)."""
    if ":path}" in template:
        return template
    raw = [part for part in raw_path.split("/") if part]
    own = [part for part in template.split("/") if part]
    extra = len(raw) - len(own)
    return "/" + "/".join(raw[:extra]) + template if extra > 0 else template


class HttpMetricsMiddleware:
    """ASGI middleware; add it outermost so error responses are counted too."""

    def __init__(self, app: ASGIApp, service: str, registry: CollectorRegistry = REGISTRY) -> None:
        self.app = app
        self.metrics = http_metrics(service, registry)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        status = 500  # an exception before the response starts is answered 500 upstream

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            route, method = _route(scope), scope.get("method", "")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.duration.labels(method, route).observe(time.perf_counter() - start)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        metrics = self.metrics
        opened: list[str] = []

        async def receive_counted() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive":
                metrics.ws_messages.labels(_route(scope), "in").inc()
            return message

        async def send_counted(message: Message) -> None:
            await send(message)
            if message["type"] == "websocket.accept":
                opened.append(_route(scope))
                metrics.ws_connections.labels(opened[0]).inc()
            elif message["type"] == "websocket.send":
                metrics.ws_messages.labels(_route(scope), "out").inc()

        try:
            await self.app(scope, receive_counted, send_counted)
        finally:
            if opened:
                metrics.ws_connections.labels(opened[0]).dec()
