"""Users for tests against a real gateway: log in over REST, create researchers over gRPC."""

from __future__ import annotations

import uuid

import grpc
import httpx
from trademaster.api.identity.v1 import identity_pb2, identity_pb2_grpc
from trademaster.service.localstack import Stack

PASSWORD = "correct-horse-battery"


def login(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    reply = http.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def new_researcher(http: httpx.Client, stack: Stack, prefix: str = "u") -> dict[str, str]:
    """A fresh researcher's Authorization header (the admin creates it on the gateway)."""
    admin = login(http, "admin", stack.admin_password)
    username = f"{prefix}-{uuid.uuid4().hex[:8]}"
    address = f"127.0.0.1:{stack.services['gateway'].port_file.read_text().strip()}"
    with grpc.insecure_channel(address) as channel:
        identity_pb2_grpc.IdentityServiceStub(channel).CreateUser(
            identity_pb2.CreateUserRequest(
                username=username, password=PASSWORD, roles=[identity_pb2.ROLE_RESEARCHER]
            ),
            metadata=[("authorization", admin["Authorization"])],
            timeout=10,
        )
    return login(http, username, PASSWORD)
