"""HttpMetricsMiddleware on a real Starlette app: route templates, statuses, WebSockets."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket
from trademaster.service.http_metrics import HttpMetricsMiddleware

pytestmark = pytest.mark.unit


async def _item(request):  # type: ignore[no-untyped-def]
    if request.path_params["item_id"] == "boom":
        raise RuntimeError("boom")
    return PlainTextResponse("ok", status_code=201)


async def _echo(websocket: WebSocket) -> None:
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text(text)
    await websocket.send_text(text)
    await websocket.close()


@pytest.fixture
def app_and_registry() -> tuple[TestClient, CollectorRegistry]:
    registry = CollectorRegistry()
    app = Starlette(routes=[Route("/items/{item_id}", _item), WebSocketRoute("/ws", _echo)])
    app.add_middleware(HttpMetricsMiddleware, service="unit", registry=registry)
    return TestClient(app, raise_server_exceptions=False), registry


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_requests_are_counted_by_route_template_and_status(
    app_and_registry: tuple[TestClient, CollectorRegistry],
) -> None:
    client, registry = app_and_registry
    for item in ("a", "b", "c"):
        assert client.get(f"/items/{item}").status_code == 201
    assert client.get("/nowhere").status_code == 404
    assert client.get("/items/boom").status_code == 500
    total = "tm_unit_http_requests_total"
    assert _value(registry, total, method="GET", route="/items/{item_id}", status="201") == 3
    assert _value(registry, total, method="GET", route="unmatched", status="404") == 1
    assert _value(registry, total, method="GET", route="/items/{item_id}", status="500") == 1
    count = _value(
        registry,
        "tm_unit_http_request_duration_seconds_count",
        method="GET",
        route="/items/{item_id}",
    )
    assert count == 4


def test_websocket_connections_and_messages(
    app_and_registry: tuple[TestClient, CollectorRegistry],
) -> None:
    client, registry = app_and_registry
    with client.websocket_connect("/ws") as ws:
        assert _value(registry, "tm_unit_websocket_connections", route="/ws") == 1
        ws.send_text("hi")
        assert ws.receive_text() == "hi" and ws.receive_text() == "hi"
    assert _value(registry, "tm_unit_websocket_connections", route="/ws") == 0
    messages = "tm_unit_websocket_messages_total"
    assert _value(registry, messages, route="/ws", direction="in") == 1
    assert _value(registry, messages, route="/ws", direction="out") == 2


def test_routes_of_an_included_router_are_labelled_with_the_whole_template() -> None:
    from fastapi import APIRouter, FastAPI

    registry = CollectorRegistry()
    router = APIRouter()

    @router.get("/strategies/{strategy_id}")
    async def one(strategy_id: str) -> dict[str, str]:
        return {"id": strategy_id}

    api = APIRouter(prefix="/api/v1")
    api.include_router(router)
    app = FastAPI()
    app.include_router(api)
    app.add_middleware(HttpMetricsMiddleware, service="unit", registry=registry)

    assert TestClient(app).get("/api/v1/strategies/s-1").status_code == 200
    total = "tm_unit_http_requests_total"
    route = "/api/v1/strategies/{strategy_id}"
    assert _value(registry, total, method="GET", route=route, status="200") == 1
