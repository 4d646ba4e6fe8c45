"""The Ray job's span: continues the trace of the request that started the training run.

The trainer passes the W3C trace context in the job's environment (``TRACEPARENT``,
``TRACESTATE``: the OpenTelemetry convention for environment carriers). Spans are exported over
OTLP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set. OpenTelemetry is optional here: the core
library does not require it, and without it (or without a trace context) this does nothing.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator, Mapping
from typing import Any

ENV_CARRIER = {"traceparent": "TRACEPARENT", "tracestate": "TRACESTATE"}
SPAN_NAME = "training_job.run"


@contextlib.contextmanager
def job_span(
    attributes: Mapping[str, str | int],
    provider: Any = None,
    environ: Mapping[str, str] = os.environ,
) -> Iterator[None]:
    """Run the block inside a span that is a child of the trace in ``environ`` (if any).

    ``provider`` overrides the tracer provider (tests); by default one is made for this
    process, exporting over OTLP when configured, and flushed when the block ends.
    """
    carrier = {key: environ[env] for key, env in ENV_CARRIER.items() if environ.get(env)}
    if "traceparent" not in carrier or importlib.util.find_spec("opentelemetry.sdk") is None:
        yield
        return
    from opentelemetry import propagate, trace

    own = provider is None
    if own:
        provider = _provider(environ)
    tracer = provider.get_tracer("trademaster.training")
    try:
        with tracer.start_as_current_span(
            SPAN_NAME,
            context=propagate.extract(carrier),
            kind=trace.SpanKind.CONSUMER,
            attributes=dict(attributes),
        ):
            yield
    finally:
        if own:
            provider.shutdown()


def _provider(environ: Mapping[str, str]) -> Any:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "tm-training-job"}))
    if environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") and importlib.util.find_spec(
        "opentelemetry.exporter.otlp"
    ):
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (  # type: ignore[import-not-found]
            OTLPSpanExporter,
        )

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider
