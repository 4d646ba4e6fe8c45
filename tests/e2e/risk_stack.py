"""Helpers of the risk e2e tests: users with roles, logged in over HTTP, and the calls every
test repeats (open an account, place an order)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
from support import market_data
from trademaster.api.identity.v1 import identity_pb2, identity_pb2_grpc
from trademaster.service.localstack import Stack

PASSWORD = "correct-horse-battery"
LENIENT_LIMITS = {
    "reason": "e2e: a loaded machine must not make reference prices stale",
    "max_reference_age_ms": 3_600_000,
}
ROLES = {
    "viewer": identity_pb2.ROLE_VIEWER,
    "researcher": identity_pb2.ROLE_RESEARCHER,
    "trader": identity_pb2.ROLE_TRADER,
    "risk_officer": identity_pb2.ROLE_RISK_OFFICER,
    "admin": identity_pb2.ROLE_ADMIN,
}


@dataclass(frozen=True)
class User:
    username: str
    user_id: str
    headers: dict[str, str]


def login(http: httpx.Client, username: str, password: str) -> User:
    reply = http.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    token = body["access_token"]
    return User(username, body["user"]["id"], {"Authorization": f"Bearer {token}"})


def new_user(http: httpx.Client, stack: Stack, admin: User, role: str) -> User:
    """A new user with one role, created over the identity gRPC API by the admin."""
    username = f"{role[:6]}-{uuid.uuid4().hex[:8]}"
    port = stack.services["gateway"].port_file.read_text().strip()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        identity_pb2_grpc.IdentityServiceStub(channel).CreateUser(
            identity_pb2.CreateUserRequest(
                username=username, password=PASSWORD, roles=[ROLES[role]]
            ),
            metadata=[("authorization", admin.headers["Authorization"])],
            timeout=10,
        )
    return login(http, username, PASSWORD)


def open_account(http: httpx.Client, who: User, cash: str = "100000") -> dict[str, Any]:
    reply = http.post(
        "/api/v1/accounts",
        headers=who.headers,
        json={"name": f"paper-{uuid.uuid4().hex[:6]}", "initial_cash": cash},
    )
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def order_body(instrument: str, side: str = "BUY", quantity: str = "1", **extra: Any) -> dict:
    return {
        "client_order_id": f"e2e-{uuid.uuid4().hex[:12]}",
        "instrument_id": instrument,
        "side": side,
        "quantity": quantity,
        **extra,
    }


def assert_error(reply: httpx.Response, status: int, reason: str | None = None) -> dict:
    """The common error body with ``status`` (and ``reason`` when given)."""
    assert reply.status_code == status, reply.text
    error = reply.json()["error"]
    assert error["status"] == status and error["message"] and error["request_id"]
    if reason is not None:
        assert error["reason"] == reason, error
    return dict(error)


def new_instrument(http: httpx.Client, officer: User) -> str:
    """A fresh instrument (tick 0.01, lot 1), so tests never share positions or prices."""
    instrument_id = f"E2E-{uuid.uuid4().hex[:8].upper()}"
    reply = http.put(
        f"/api/v1/instruments/{instrument_id}",
        headers=officer.headers,
        json={"tick_size": "0.01", "lot_size": "1"},
    )
    assert reply.status_code == 200, reply.text
    return instrument_id


def publish_price(stack: Stack, instrument_id: str, price: float) -> None:
    """One flat bar of ``instrument_id`` at ``price`` on the stack's risk bar stream."""
    assert stack.redis_url is not None
    market_data.publish_price(stack.redis_url, instrument_id, price)


def wait_for(check: Any, what: str, timeout_s: float = 60.0) -> Any:
    """Poll ``check`` until it returns a truthy value (asynchronous fills, cancels)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)
