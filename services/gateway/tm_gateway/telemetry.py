"""HTTP-layer telemetry of the gateway: Prometheus metrics by route template, and an
OpenTelemetry SERVER span per request, so a trace starts at the browser's request and continues
through every gRPC call the handler makes (the kit's client interceptor propagates it)."""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from trademaster.service.http_metrics import HttpMetricsMiddleware

# Probes are polled every few seconds by the kubelet; tracing them would drown real traffic.
UNTRACED = "healthz,readyz"


def instrument(app: FastAPI, service: str = "gateway") -> None:
    """Add metrics middleware and request spans to ``app`` (call once, after its routes)."""
    app.add_middleware(HttpMetricsMiddleware, service=service)
    FastAPIInstrumentor.instrument_app(app, excluded_urls=UNTRACED)
