"""Helpers of the browser tests: users, gateway calls, sign-in and screenshots."""

from __future__ import annotations

import json
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from trademaster.api.identity.v1 import identity_pb2, identity_pb2_grpc

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "test-output" / "browser"
PASSWORD = "browser-test-password"


@dataclass(frozen=True)
class UiUser:
    username: str
    password: str


@dataclass(frozen=True)
class UiStack:
    url: str
    admin: UiUser
    grpc_gateway: str
    redis_url: str = ""


def http_json(method: str, url: str, body: Any = None, token: str | None = None) -> Any:
    """One JSON call to the gateway (tests arrange data through the real API)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def login_token(stack: UiStack, user: UiUser) -> str:
    reply = http_json(
        "POST",
        f"{stack.url}/api/v1/auth/login",
        {"username": user.username, "password": user.password},
    )
    return str(reply["access_token"])


def create_user(stack: UiStack, prefix: str, role: int = identity_pb2.ROLE_RESEARCHER) -> UiUser:
    """A new user (a researcher unless ``role`` says otherwise), created by the admin through
    the identity gRPC API."""
    user = UiUser(f"{prefix}_{uuid.uuid4().hex[:8]}", PASSWORD)
    token = login_token(stack, stack.admin)
    with grpc.insecure_channel(stack.grpc_gateway) as channel:
        identity_pb2_grpc.IdentityServiceStub(channel).CreateUser(
            identity_pb2.CreateUserRequest(
                username=user.username,
                password=user.password,
                roles=[role],
            ),
            metadata=[("authorization", f"Bearer {token}")],
            timeout=30,
        )
    return user


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, stack: UiStack, user: UiUser, path: str = "/") -> None:
    page.goto(f"{stack.url}{path}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
