"""Events WebSocket and training-job routes through the gateway on the whole stack."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import pytest
import websockets
from trademaster.api.identity.v1 import identity_pb2, identity_pb2_grpc
from trademaster.service.auth import issue_token
from trademaster.service.events import EventBus
from trademaster.service.localstack import Stack
from websockets.asyncio.client import ClientConnection, connect

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "correct-horse-battery"
TIMEOUT_S = 15.0


@pytest.fixture(scope="module")
def http(stack: Stack) -> Iterator[httpx.Client]:
    assert stack.gateway_url is not None
    with httpx.Client(base_url=stack.gateway_url, timeout=30.0) as client:
        yield client


def _login(http: httpx.Client, username: str, password: str) -> tuple[str, str]:
    reply = http.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    return str(body["access_token"]), str(body["user"]["id"])


def _new_user(http: httpx.Client, stack: Stack, admin_token: str) -> tuple[str, str]:
    """(token, user id) of a new researcher."""
    username = f"r-{uuid.uuid4().hex[:8]}"
    port = stack.services["gateway"].port_file.read_text().strip()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        identity_pb2_grpc.IdentityServiceStub(channel).CreateUser(
            identity_pb2.CreateUserRequest(
                username=username, password=PASSWORD, roles=[identity_pb2.ROLE_RESEARCHER]
            ),
            metadata=[("authorization", f"Bearer {admin_token}")],
            timeout=10,
        )
    return _login(http, username, PASSWORD)


@pytest.fixture(scope="module")
def users(http: httpx.Client, stack: Stack) -> dict[str, tuple[str, str]]:
    admin = _login(http, "admin", stack.admin_password)
    return {
        "admin": admin,
        "alice": _new_user(http, stack, admin[0]),
        "bob": _new_user(http, stack, admin[0]),
    }


def _ws_url(stack: Stack, token: str | None = None) -> str:
    assert stack.gateway_url is not None
    url = stack.gateway_url.replace("http://", "ws://") + "/api/v1/events"
    return f"{url}?access_token={token}" if token else url


async def _next(ws: ClientConnection, *, skip_heartbeats: bool = True) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))
        if not (skip_heartbeats and message["type"] == "heartbeat"):
            return message


async def _subscribe(ws: ClientConnection, topics: list[str], last_event_id: str = "") -> None:
    await ws.send(
        json.dumps({"type": "subscribe", "topics": topics, "last_event_id": last_event_id})
    )
    first = await _next(ws, skip_heartbeats=False)
    assert first["type"] == "heartbeat", first


async def _publish(stack: Stack, topic: str, owner: str, steps: range) -> list[str]:
    assert stack.redis_url is not None
    bus = EventBus(stack.redis_url)
    try:
        return [
            await bus.publish(
                topic,
                owner,
                "training_progress",
                {"job_id": "j", "step": step, "total_steps": 100, "fraction": step / 100},
            )
            for step in steps
        ]
    finally:
        await bus.close()


async def test_ws_without_token_is_closed_with_4401(stack: Stack) -> None:
    async with connect(_ws_url(stack)) as ws:
        await ws.send(json.dumps({"type": "subscribe", "topics": ["x"]}))
        error = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), TIMEOUT_S)

    assert error["type"] == "error"
    assert error["error"]["reason"] == "TOKEN_MISSING"
    assert ws.close_code == 4401


async def test_ws_with_bad_token_is_closed_with_4401(stack: Stack) -> None:
    async with connect(_ws_url(stack, "not-a-jwt")) as ws:
        error = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), TIMEOUT_S)

    assert error["error"]["code"] == "UNAUTHENTICATED"
    assert ws.close_code == 4401


async def test_ws_streams_own_events_and_resumes_after_reconnect(
    stack: Stack, users: dict[str, tuple[str, str]]
) -> None:
    alice_token, alice_id = users["alice"]
    topic = f"training_job/{uuid.uuid4().hex[:8]}"

    async with connect(_ws_url(stack, alice_token)) as ws:
        await _subscribe(ws, [topic])
        ids = await _publish(stack, topic, alice_id, range(5))
        first = [await _next(ws) for _ in range(3)]
    ids += await _publish(stack, topic, alice_id, range(5, 10))
    # Token in the first message this time.
    async with connect(_ws_url(stack)) as ws:
        await ws.send(json.dumps({"type": "auth", "access_token": alice_token}))
        await _subscribe(ws, [topic], last_event_id=first[-1]["event_id"])
        rest = [await _next(ws) for _ in range(7)]

    assert [m["event_id"] for m in first + rest] == ids
    assert [m["payload"]["step"] for m in rest] == list(range(3, 10))
    assert rest[0]["type"] == "training_progress"
    assert rest[0]["topic"] == topic
    assert rest[0]["time"].endswith("Z")


async def test_ws_user_gets_nothing_of_another_users_topic(
    stack: Stack, users: dict[str, tuple[str, str]]
) -> None:
    _, alice_id = users["alice"]
    bob_token, bob_id = users["bob"]
    topic = f"training_job/{uuid.uuid4().hex[:8]}"
    await _publish(stack, topic, alice_id, range(3))

    async with connect(_ws_url(stack, bob_token)) as ws:
        await _subscribe(ws, [topic], last_event_id=f"{topic}@0-1")
        await _publish(stack, topic, alice_id, range(3, 6))
        (marker,) = await _publish(stack, topic, bob_id, range(99, 100))
        received = await _next(ws)

    assert received["event_id"] == marker


async def test_ws_invalid_subscribe_answers_error_and_stays_open(
    stack: Stack, users: dict[str, tuple[str, str]]
) -> None:
    async with connect(_ws_url(stack, users["alice"][0])) as ws:
        await ws.send(json.dumps({"type": "subscribe", "topics": "not-a-list"}))
        bad_message = await _next(ws)
        await ws.send(json.dumps({"type": "subscribe", "topics": []}))
        bad_topics = await _next(ws)
        await ws.send(json.dumps({"type": "ping"}))
        pong = await _next(ws)

    assert bad_message["error"]["reason"] == "INVALID_MESSAGE"
    assert bad_topics["error"]["code"] == "INVALID_ARGUMENT"
    assert pong == {"type": "pong"}


def _assert_error_body(reply: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    error = reply.json()["error"]
    assert (error["status"], error["code"]) == (status, code)
    assert error["message"] and error["reason"] and error["request_id"]
    return error


def test_job_routes_map_errors_to_the_error_body(
    http: httpx.Client, users: dict[str, tuple[str, str]]
) -> None:
    auth = {"Authorization": f"Bearer {users['alice'][0]}"}
    missing = str(uuid.uuid4())

    _assert_error_body(http.get("/api/v1/training-jobs"), 401, "UNAUTHENTICATED")
    _assert_error_body(http.get(f"/api/v1/training-jobs/{missing}", headers=auth), 404, "NOT_FOUND")
    _assert_error_body(
        http.post(f"/api/v1/training-jobs/{missing}:cancel", headers=auth), 404, "NOT_FOUND"
    )
    invalid = _assert_error_body(
        http.post("/api/v1/training-jobs", json={"seed": -1}, headers=auth),
        400,
        "INVALID_ARGUMENT",
    )
    unknown_strategy = http.post(
        "/api/v1/training-jobs", json={"strategy_id": missing}, headers=auth
    )
    _assert_error_body(
        http.get("/api/v1/training-jobs", params={"state": "NOPE"}, headers=auth),
        400,
        "INVALID_ARGUMENT",
    )

    assert {v["field"] for v in invalid["field_violations"]} >= {"strategy_id", "seed"}
    assert unknown_strategy.status_code in (400, 404), unknown_strategy.text
    assert "error" in unknown_strategy.json()


def test_job_list_and_cluster_answer(http: httpx.Client, users: dict[str, tuple[str, str]]) -> None:
    auth = {"Authorization": f"Bearer {users['alice'][0]}"}

    jobs = http.get("/api/v1/training-jobs", headers=auth)
    cluster = http.get("/api/v1/cluster", headers=auth)

    assert jobs.status_code == 200, jobs.text
    assert jobs.json()["jobs"] == []
    assert cluster.status_code == 200, cluster.text
    assert cluster.json()["cpus_total"] >= 0


def test_events_route_documents_the_websocket_protocol(http: httpx.Client) -> None:
    reply = http.get("/api/v1/events")
    spec = http.get("/openapi.json").json()

    _assert_error_body(reply, 426, "FAILED_PRECONDITION")
    description = spec["paths"]["/api/v1/events"]["get"]["description"]
    assert "last_event_id" in description and "access_token" in description
    for path in (
        "/api/v1/training-jobs",
        "/api/v1/training-jobs/{job_id}",
        "/api/v1/training-jobs/{job_id}:pause",
        "/api/v1/training-jobs/{job_id}:resume",
        "/api/v1/training-jobs/{job_id}:cancel",
        "/api/v1/training-jobs/{job_id}/metrics",
        "/api/v1/cluster",
    ):
        assert path in spec["paths"], path


async def _closed(ws: ClientConnection) -> dict[str, Any]:
    """The error message sent before the server closes; waits past the 5 s recheck."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 30.0))
        if message["type"] == "error":
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 30.0)
            return message


async def test_ws_closes_when_its_token_expires(stack: Stack, users: dict) -> None:
    assert stack.jwt_secret is not None
    short, _ = issue_token(stack.jwt_secret, users["alice"][1], ["researcher"], ttl_s=2)

    async with connect(_ws_url(stack, short)) as ws:
        await _subscribe(ws, [f"training_job/{uuid.uuid4()}"])
        error = await _closed(ws)

    assert error["error"]["reason"] == "TOKEN_EXPIRED"
    assert ws.close_code == 4401


async def test_ws_and_http_refuse_a_token_once_its_user_is_demoted(
    http: httpx.Client, stack: Stack, users: dict
) -> None:
    token, user_id = _new_user(http, stack, users["admin"][0])
    port = stack.services["gateway"].port_file.read_text().strip()

    async with connect(_ws_url(stack, token)) as ws:
        await _subscribe(ws, [f"training_job/{uuid.uuid4()}"])
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            identity_pb2_grpc.IdentityServiceStub(channel).UpdateUserRoles(
                identity_pb2.UpdateUserRolesRequest(
                    user_id=user_id, roles=[identity_pb2.ROLE_VIEWER]
                ),
                metadata=[("authorization", f"Bearer {users['admin'][0]}")],
                timeout=10,
            )
        error = await _closed(ws)
    reply = http.get("/api/v1/strategies", headers={"authorization": f"Bearer {token}"})

    assert error["error"]["reason"] == "TOKEN_REVOKED"
    assert ws.close_code == 4401
    assert reply.status_code == 401
    assert reply.json()["error"]["reason"] == "TOKEN_REVOKED"
