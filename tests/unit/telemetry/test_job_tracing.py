"""Trace context from the trainer's request into the Ray job's span (environment carrier)."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import use_span
from tm_trainer.supervisor import trace_env
from trademaster.service.tracing import current_trace_carrier
from trademaster.training.job_tracing import SPAN_NAME, job_span

pytestmark = pytest.mark.unit


@pytest.fixture
def recorded() -> tuple[TracerProvider, InMemorySpanExporter]:
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def test_the_job_span_continues_the_submitting_trace(
    recorded: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = recorded
    parent = provider.get_tracer("test").start_span("trainer.submit_job")
    with use_span(parent, end_on_exit=True):
        env = trace_env(current_trace_carrier())
    assert set(env) == {"TRACEPARENT"}

    with job_span({"job.id": "j-1"}, provider=provider, environ=env):
        pass

    (job,) = [s for s in exporter.get_finished_spans() if s.name == SPAN_NAME]
    assert job.context.trace_id == parent.get_span_context().trace_id
    assert job.parent is not None and job.parent.span_id == parent.get_span_context().span_id
    assert job.attributes == {"job.id": "j-1"}


def test_without_a_trace_context_no_span_is_made(
    recorded: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = recorded
    with job_span({"job.id": "j-2"}, provider=provider, environ={}):
        pass
    assert exporter.get_finished_spans() == ()
    assert trace_env({}) == {}
