"""A stand-in for the OpenTelemetry collector: a real OTLP/gRPC trace receiver on loopback.

It implements ``opentelemetry.proto.collector.trace.v1.TraceService/Export`` (the protocol the
services' ``OTLPSpanExporter`` speaks, the collector's port 4317 in the k8s manifests) and keeps
what it receives, so tests can check the spans real processes exported.
"""

from __future__ import annotations

import threading
import time
from concurrent import futures
from dataclasses import dataclass
from types import TracebackType

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    attributes: dict[str, str]


class _Receiver(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self.lock = threading.Lock()

    def Export(  # noqa: N802 - the OTLP method name
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: grpc.ServicerContext
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        received = []
        for resource_spans in request.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    received.append(
                        ReceivedSpan(
                            service=resource.get("service.name", ""),
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            kind=span.kind,
                            attributes={
                                a.key: a.value.string_value or str(a.value.int_value)
                                for a in span.attributes
                            },
                        )
                    )
        with self.lock:
            self.spans.extend(received)
        return trace_service_pb2.ExportTraceServiceResponse()


class OtlpCollector:
    """``with OtlpCollector() as collector:`` then point ``OTEL_EXPORTER_OTLP_ENDPOINT`` at
    ``collector.endpoint``."""

    def __init__(self) -> None:
        self._receiver = _Receiver()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(self._receiver, self._server)
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> OtlpCollector:
        self._server.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.stop(grace=None).wait()

    def spans(self, trace_id: str | None = None) -> list[ReceivedSpan]:
        with self._receiver.lock:
            found = list(self._receiver.spans)
        return [s for s in found if trace_id is None or s.trace_id == trace_id]

    def wait_for(
        self, trace_id: str, services: set[str], timeout_s: float = 30.0
    ) -> list[ReceivedSpan]:
        """Spans of ``trace_id`` once every one of ``services`` has exported some (or timeout)."""
        deadline = time.monotonic() + timeout_s
        while True:
            spans = self.spans(trace_id)
            if services <= {s.service for s in spans} or time.monotonic() > deadline:
                return spans
            time.sleep(0.2)
