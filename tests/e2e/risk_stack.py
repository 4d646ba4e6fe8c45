"""Helpers of the risk e2e tests: users with roles, logged in over HTTP, and the calls every
test repeats (open an account, place an order)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
from trademaster.api.identity.v1 import identity_pb2, identity_pb2_grpc
from trademaster.service.localstack import Stack

PASSWORD = "correct-horse-battery"
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
