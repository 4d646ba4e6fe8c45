from __future__ import annotations

import uuid
from pathlib import Path

import grpc
import prometheus_client
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from opentelemetry.sdk.trace import TracerProvider
from trademaster.service.auth import Role
from trademaster.service.clients import insecure_channel
from trademaster.service.health import wait_for_serving
from trademaster.service.server import (
    MAX_MESSAGE_BYTES,
    create_server,
    stop_server,
    write_port_file,
)
from trademaster.service.settings import ServiceSettings

pytestmark = pytest.mark.unit

SERVICE = "tm.test.v1.Echo"


async def test_request_id_is_echoed_or_created(echo_server, bearer) -> None:
    call = echo_server.unary("WhoAmI")(b"", metadata=(*bearer(), ("x-request-id", "req-123")))
    await call
    fresh = echo_server.unary("WhoAmI")(b"", metadata=bearer())
    await fresh

    assert dict(await call.trailing_metadata())["x-request-id"] == "req-123"
    assert len(dict(await fresh.trailing_metadata())["x-request-id"]) == 32


async def test_metrics_count_requests_by_method_and_code(echo_server, bearer) -> None:
    method = f"/{SERVICE}/TradersOnly"

    def count(code: str) -> float:
        value = prometheus_client.REGISTRY.get_sample_value(
            "tm_unittest_rpc_requests_total", {"method": method, "code": code}
        )
        return value or 0.0

    ok_before, denied_before = count("OK"), count("PERMISSION_DENIED")
    await echo_server.unary("TradersOnly")(b"", metadata=bearer(Role.TRADER))
    with pytest.raises(grpc.aio.AioRpcError):
        await echo_server.unary("TradersOnly")(b"", metadata=bearer())

    assert count("OK") == ok_before + 1
    assert count("PERMISSION_DENIED") == denied_before + 1
    assert (
        prometheus_client.REGISTRY.get_sample_value(
            "tm_unittest_rpc_duration_seconds_count", {"method": method}
        )
        >= 2
    )


async def test_trace_context_is_propagated_to_server_span(echo_server, bearer) -> None:
    provider = TracerProvider()
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("client-side") as span:
        trace_id = format(span.get_span_context().trace_id, "032x")
        async with insecure_channel(echo_server.target) as channel:
            traceparent = await channel.unary_unary(f"/{SERVICE}/Header")(
                b"traceparent", metadata=bearer()
            )

    assert traceparent.decode().split("-")[1] == trace_id


async def test_requests_over_the_message_limit_are_resource_exhausted(echo_server, bearer) -> None:
    header = echo_server.unary("Header")

    small = await header(b"x-request-id", metadata=bearer())
    with pytest.raises(grpc.aio.AioRpcError) as too_big:
        await header(b"x" * (MAX_MESSAGE_BYTES + 1), metadata=bearer())

    assert small is not None
    assert too_big.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_reflection_lists_registered_services(echo_server) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(echo_server.channel)

    async def requests():
        yield reflection_pb2.ServerReflectionRequest(list_services="")

    names = []
    async for reply in stub.ServerReflectionInfo(requests()):
        names = [s.name for s in reply.list_services_response.service]

    assert SERVICE in names
    assert "grpc.health.v1.Health" in names


async def test_stop_server_flips_health_and_stops(tmp_path: Path) -> None:
    settings = ServiceSettings(
        database_url="postgresql://unused",
        redis_url="redis://unused",
        jwt_secret="x" * 32,
    )
    service = f"tm.test.v1.S{uuid.uuid4().hex[:6]}"
    server, port = await create_server(
        settings,
        service_name="lifecycle",
        register=lambda _server: None,
        full_service_names=[service],
    )
    target = f"127.0.0.1:{port}"
    await wait_for_serving(target, timeout_s=5, service=service)
    async with grpc.aio.insecure_channel(target) as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service=service)
        )
        first = await watch.read()
        await stop_server(server, grace_s=1)
        second = await watch.read()

    assert first.status == health_pb2.HealthCheckResponse.SERVING
    assert second.status == health_pb2.HealthCheckResponse.NOT_SERVING
    with pytest.raises(TimeoutError, match="not SERVING"):
        await wait_for_serving(target, timeout_s=0.3)


async def test_port_already_in_use_is_a_clear_error(echo_server) -> None:
    port = int(echo_server.target.rsplit(":", 1)[1])
    settings = ServiceSettings(
        database_url="postgresql://unused",
        redis_url="redis://unused",
        jwt_secret="x" * 32,
        grpc_port=port,
    )

    with pytest.raises(OSError, match=f"127.0.0.1:{port}"):
        await create_server(
            settings, service_name="clash", register=lambda _s: None, full_service_names=[]
        )


def test_port_file_is_written_whole(tmp_path: Path) -> None:
    path = tmp_path / "run" / "strategy.port"

    write_port_file(path, 50123)

    assert path.read_text() == "50123\n"
    assert [p.name for p in path.parent.iterdir()] == ["strategy.port"]
