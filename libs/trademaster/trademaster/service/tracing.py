"""OpenTelemetry setup and W3C ``traceparent`` propagation over gRPC metadata."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal

import grpc
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from trademaster.service.handler_wrapping import CallDetailsClientInterceptor, wrap_handler
from trademaster.service.logs import rpc_code

_LOGGER = logging.getLogger(__name__)
_TRACER_NAME = "trademaster.service"


def configure_tracing(service: str, exporter: Literal["none", "console", "otlp"]) -> TracerProvider:
    """Install the global tracer provider; with ``none`` spans get ids (logs, propagation) only.

    ``otlp`` needs ``opentelemetry-exporter-otlp``; without it we warn and export nothing.
    """
    provider = TracerProvider(resource=Resource.create({"service.name": f"tm-{service}"}))
    if exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "none":
        pass
    elif importlib.util.find_spec("opentelemetry.exporter.otlp") is None:
        _LOGGER.warning(
            "tracing.otlp_unavailable: install opentelemetry-exporter-otlp; spans are not exported"
        )
    else:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (  # type: ignore[import-not-found]
            OTLPSpanExporter,
        )

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def _carrier(metadata: Any) -> dict[str, str]:
    return {
        key: value if isinstance(value, str) else value.decode()
        for key, value in metadata or ()
        if not key.endswith("-bin")
    }


class TracingInterceptor(grpc.aio.ServerInterceptor):
    """A SERVER span per RPC, continuing the caller's trace from ``traceparent`` metadata."""

    def __init__(self) -> None:
        self._tracer: trace.Tracer | None = None

    def _get_tracer(self) -> trace.Tracer:
        """One tracer per interceptor (``get_tracer`` builds a new one per call: a cost on every
        RPC); before a provider is set it is OpenTelemetry's proxy, which follows the provider."""
        if self._tracer is None:
            self._tracer = trace.get_tracer(_TRACER_NAME)
        return self._tracer

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method = handler_call_details.method
        carrier = _carrier(handler_call_details.invocation_metadata)
        handler = await continuation(handler_call_details)
        service, _, short_method = method.lstrip("/").partition("/")

        @asynccontextmanager
        async def around(_request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
            tracer = self._get_tracer()
            parent = propagate.extract(carrier)
            failed = False
            with tracer.start_as_current_span(
                method.lstrip("/"),
                context=parent,
                kind=trace.SpanKind.SERVER,
                attributes={
                    "rpc.system": "grpc",
                    "rpc.service": service,
                    "rpc.method": short_method,
                },
                record_exception=False,
                set_status_on_exception=False,
            ) as span:
                try:
                    yield
                except BaseException:
                    failed = True
                    raise
                finally:
                    code = rpc_code(context, failed)
                    span.set_attribute("rpc.grpc.status_code", code.value[0])
                    if code is not grpc.StatusCode.OK:
                        span.set_status(trace.Status(trace.StatusCode.ERROR, code.name))

        return wrap_handler(handler, around)


def current_trace_carrier() -> dict[str, str]:
    """W3C ``traceparent``/``tracestate`` of the current span (empty outside a trace)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=otel_context.get_current())
    return carrier


def child_span(name: str, carrier: dict[str, str]) -> Any:
    """A span continuing the trace in ``carrier`` (context manager); for work that runs later
    than the request that asked for it (a queued job's submission)."""
    return trace.get_tracer(_TRACER_NAME).start_as_current_span(
        name, context=propagate.extract(carrier)
    )


def inject_trace_context(metadata: list[tuple[str, str | bytes]]) -> None:
    """Append ``traceparent``/``tracestate`` of the current span to outgoing metadata."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=otel_context.get_current())
    metadata.extend(carrier.items())


class TracingClientInterceptor(CallDetailsClientInterceptor):
    """Injects W3C trace context into every outgoing call's metadata."""

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata: list[tuple[str, str | bytes]] = list(details.metadata or ())
        inject_trace_context(metadata)
        return grpc.aio.ClientCallDetails(
            details.method,
            details.timeout,
            grpc.aio.Metadata(*metadata),
            details.credentials,
            details.wait_for_ready,
        )
