"""One trace from the gateway's HTTP layer into a backend service (in-memory span exporter).

The gateway app and the strategy gRPC server run in this process on real PostgreSQL/Redis,
wired exactly as in production (``create_app`` with the FastAPI instrumentation,
``create_server`` with the kit's tracing interceptor, the kit's client channel in between).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from tm_gateway.app import create_app
from tm_gateway.backends import Backends
from tm_gateway.config import IdentitySettings
from tm_gateway.server import open_identity
from tm_strategy.config import StrategySettings
from tm_strategy.server import FULL_SERVICE_NAME
from tm_strategy.server import build as build_strategy
from trademaster.service.server import create_server, stop_server

pytestmark = pytest.mark.integration

SECRET = "trace-test-secret-0123456789abcdef"
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
async def gateway(
    fresh_database: str, redis_url: str, tmp_path: Path, spans: InMemorySpanExporter
) -> AsyncIterator[httpx.AsyncClient]:
    settings = StrategySettings(
        database_url=fresh_database,
        redis_url=redis_url,
        jwt_secret=SECRET,
        data_dir=tmp_path / "datasets",
    )
    parts = await build_strategy(settings)
    server, port = await create_server(
        settings,
        service_name="strategy",
        register=parts.register,
        full_service_names=[FULL_SERVICE_NAME],
    )
    pool, identity = await open_identity(
        IdentitySettings(database_url=fresh_database, jwt_secret=SECRET)
    )
    await identity.bootstrap_admin("admin", PASSWORD)
    backends = Backends({"strategy": f"127.0.0.1:{port}"}, timeout_s=10.0)
    app = create_app(identity, backends, jwt_secret=SECRET, jwt_issuer="trademaster")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client
    await backends.close()
    await identity.close()
    await pool.close()
    await stop_server(server, 0)
    for callback in parts.on_shutdown:
        await callback()


async def test_one_trace_spans_gateway_http_and_the_strategy_rpc(
    gateway: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    login = await gateway.post(
        "/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    spans.clear()

    reply = await gateway.get("/api/v1/strategies", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.text

    finished = spans.get_finished_spans()
    http = [
        s
        for s in finished
        if s.kind is trace.SpanKind.SERVER and "rpc.system" not in (s.attributes or {})
    ]
    rpc = [s for s in finished if (s.attributes or {}).get("rpc.system") == "grpc"]
    (root,) = [s for s in http if s.parent is None]
    assert root.name == "GET /api/v1/strategies"  # the route template, not the raw path
    assert rpc, [s.name for s in finished]
    for span in rpc:
        assert span.context.trace_id == root.context.trace_id
        assert span.parent is not None and span.parent.trace_id == root.context.trace_id
    assert {s.name for s in rpc} >= {"trademaster.api.strategy.v1.StrategyService/ListStrategies"}
