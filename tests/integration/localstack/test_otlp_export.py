"""OTLP export for real: service processes and a training job send spans to a collector.

The collector is a real OTLP/gRPC receiver on loopback (support.otlp_collector), configured
the way the k8s manifests configure it (``TM_<SERVICE>_OTEL_EXPORTER=otlp`` plus the standard
``OTEL_EXPORTER_OTLP_ENDPOINT``; deploy/k8s/base/platform/telemetry.yaml). The gateway and the
strategy service run as separate processes (the local stack); the request carries a browser's
``traceparent``, so the test checks the whole chain: browser span → gateway HTTP span →
strategy SERVER span (``traceparent`` in the gRPC metadata), one trace id, exported by two
processes, and the strategy's JSON log line of that RPC carries the trace id. The Ray job's hop
is the job entrypoint's span (``trademaster.runner.tracing``) in a fresh process given
the trace context in its environment, as the trainer passes it to a Ray job.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from support.otlp_collector import OtlpCollector
from support.servers import PostgresHandle
from trademaster.service.localstack import Stack, StackConfig

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVER, CONSUMER = Span.SPAN_KIND_SERVER, Span.SPAN_KIND_CONSUMER
LIST_STRATEGIES = "trademaster.api.strategy.v1.StrategyService/ListStrategies"


def _otlp_env(collector: OtlpCollector) -> dict[str, str]:
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
        "OTEL_EXPORTER_OTLP_INSECURE": "true",
        "OTEL_BSP_SCHEDULE_DELAY": "200",  # ms; the default 5 s only slows the test
    }


def test_gateway_and_strategy_export_one_trace_over_otlp(
    tm_session_dir: Path, postgres_server: PostgresHandle
) -> None:
    browser_trace, browser_span = secrets.token_hex(16), secrets.token_hex(8)
    with OtlpCollector() as collector:
        config = StackConfig(
            work_dir=tm_session_dir / "otlp",
            services=("strategy", "gateway"),
            database_url=postgres_server.create_database("otlp"),
            extra_env={
                **_otlp_env(collector),
                "TM_GATEWAY_OTEL_EXPORTER": "otlp",
                "TM_STRATEGY_OTEL_EXPORTER": "otlp",
            },
        )
        with Stack(config) as stack:
            url = stack.gateway_url
            login = httpx.post(
                f"{url}/api/v1/auth/login",
                json={"username": "admin", "password": stack.admin_password},
                timeout=30,
            )
            assert login.status_code == 200, login.text
            reply = httpx.get(
                f"{url}/api/v1/strategies",
                headers={
                    "Authorization": f"Bearer {login.json()['access_token']}",
                    "traceparent": f"00-{browser_trace}-{browser_span}-01",
                },
                timeout=30,
            )
            assert reply.status_code == 200, reply.text
            spans = collector.wait_for(browser_trace, {"tm-gateway", "tm-strategy"})
            # The searchable JSON log of each service (stderr keeps only errors).
            logs = {
                name: (stack.work_dir / "logs" / f"{name}.jsonl").read_text()
                for name in ("strategy",)
            }

    by_id = {span.span_id: span for span in spans}
    (http,) = [s for s in spans if s.service == "tm-gateway" and s.kind == SERVER]
    assert http.name == "GET /api/v1/strategies"  # the route template
    assert http.parent_span_id == browser_span  # continues the browser's trace
    (server,) = [s for s in spans if s.service == "tm-strategy" and s.name == LIST_STRATEGIES]
    assert server.kind == SERVER
    # The kit's client interceptor propagates the gateway's current span as the RPC's parent.
    ancestor = by_id[server.parent_span_id]
    assert ancestor.service == "tm-gateway"
    while ancestor.parent_span_id in by_id:
        ancestor = by_id[ancestor.parent_span_id]
    assert ancestor == http, "the gRPC call descends from the HTTP request's span"
    # JSON logs carry the trace id of the request they were written for.
    for name, text in logs.items():
        records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        assert any(record.get("trace_id") == browser_trace for record in records), (
            name,
            records[-5:],
        )


def test_a_training_job_process_exports_its_span_into_the_callers_trace(tmp_path: Path) -> None:
    caller_trace, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    code = (
        "from trademaster.runner.tracing import job_span\n"
        "with job_span({'job_id': 'job-1'}):\n"
        "    pass\n"
    )
    with OtlpCollector() as collector:
        env = {
            **os.environ,
            **_otlp_env(collector),
            "TRACEPARENT": f"00-{caller_trace}-{caller_span}-01",
        }
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        # The job flushes its provider when the block ends: the span is there already.
        (span,) = collector.spans(caller_trace)
    assert (span.service, span.name, span.kind) == ("tm-training-job", "training_job.run", CONSUMER)
    assert span.parent_span_id == caller_span
    assert span.attributes["job_id"] == "job-1"
