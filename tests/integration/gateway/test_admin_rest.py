"""Admin over REST on a real identity database and Redis: users, roles, tokens, audit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from tm_gateway.app import create_app
from tm_gateway.backends import Backends
from tm_gateway.config import IdentitySettings
from tm_gateway.routes_admin import TOKEN_CREATIONS_PER_MINUTE
from tm_gateway.server import open_identity

pytestmark = pytest.mark.integration

SECRET = "admin-rest-secret-0123456789abcdef"
PASSWORD = "password-1234"


@pytest.fixture
async def api(fresh_database: str, redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = IdentitySettings(database_url=fresh_database, redis_url=redis_url, jwt_secret=SECRET)
    pool, identity = await open_identity(settings)
    await identity.create_user("root", PASSWORD, ["admin"])
    backends = Backends({"strategy": "127.0.0.1:1"}, timeout_s=0.5)
    app = create_app(identity, backends, jwt_secret=SECRET, jwt_issuer="trademaster")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        yield client
    await backends.close()
    await identity.close()
    await pool.close()


async def _login(api: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict:
    reply = await api.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    return {"authorization": f"Bearer {reply.json()['access_token']}"}


async def _until_401(api: httpx.AsyncClient, headers: dict) -> httpx.Response:
    """The gateway caches a 'not revoked' answer for up to 2 s."""
    for _ in range(100):
        reply = await api.get("/api/v1/auth/me", headers=headers)
        if reply.status_code == 401:
            return reply
        await asyncio.sleep(0.1)
    raise AssertionError("old token still accepted after 10 s")


async def test_user_lifecycle_and_its_tokens_follow_each_change(api: httpx.AsyncClient) -> None:
    root = await _login(api, "root")
    created = await api.post(
        "/api/v1/admin/users",
        json={"username": "alice", "password": PASSWORD, "roles": ["researcher"]},
        headers=root,
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    alice = await _login(api, "alice")
    demoted = await api.patch(
        f"/api/v1/admin/users/{user_id}", json={"roles": ["viewer"]}, headers=root
    )
    refused = await _until_401(api, alice)
    alice = await _login(api, "alice")
    me = await api.get("/api/v1/auth/me", headers=alice)
    reset = await api.post(
        f"/api/v1/admin/users/{user_id}:reset-password",
        json={"password": "another-password-1"},
        headers=root,
    )
    await _until_401(api, alice)
    await _login(api, "alice", "another-password-1")
    await api.patch(f"/api/v1/admin/users/{user_id}", json={"disabled": True}, headers=root)
    login = await api.post(
        "/api/v1/auth/login", json={"username": "alice", "password": "another-password-1"}
    )
    listing = await api.get("/api/v1/admin/users", headers=root)
    audit = await api.get("/api/v1/admin/audit", headers=root)

    assert created.status_code == 201
    assert demoted.json()["roles"] == ["viewer"]
    assert refused.json()["error"]["reason"] == "TOKEN_REVOKED"
    assert me.json()["roles"] == ["viewer"]
    assert reset.status_code == 200
    assert login.status_code == 401
    assert {u["username"]: u["disabled"] for u in listing.json()["users"]}["alice"] is True
    assert [e["action"] for e in audit.json()["entries"]][:4] == [
        "user.disable",
        "user.password_reset",
        "user.roles",
        "user.create",
    ]
    assert all("password" not in str(e["detail"]) for e in audit.json()["entries"])


async def test_service_tokens_with_scopes_expiry_and_revocation(api: httpx.AsyncClient) -> None:
    root = await _login(api, "root")
    created = await api.post(
        "/api/v1/admin/service-tokens",
        json={"name": "ci-bot", "scopes": ["strategy:read"], "ttl_days": 7},
        headers=root,
    )
    body = created.json()
    bot = {"authorization": f"Bearer {body['token']}"}
    me = await api.get("/api/v1/auth/me", headers=bot)
    listed = await api.get("/api/v1/admin/service-tokens", headers=root)
    revoked = await api.post(
        f"/api/v1/admin/service-tokens/{body['service_token']['id']}:revoke", headers=root
    )
    after = await api.get("/api/v1/auth/me", headers=bot)
    bad_scope = await api.post(
        "/api/v1/admin/service-tokens", json={"name": "x", "scopes": ["strategy:explode"]},
        headers=root,
    )  # fmt: skip

    assert created.status_code == 201
    assert body["service_token"]["scopes"] == ["strategy:read"]
    assert me.json()["kind"] == "service"
    assert [t["name"] for t in listed.json()["service_tokens"]] == ["ci-bot"]
    assert "token" not in listed.json()["service_tokens"][0]
    assert revoked.json()["revoked_at"] is not None
    assert after.status_code == 401
    assert bad_scope.status_code == 400


async def test_token_creation_is_rate_limited_per_admin(api: httpx.AsyncClient) -> None:
    root = await _login(api, "root")
    codes = [
        (
            await api.post(
                "/api/v1/admin/service-tokens",
                json={"name": f"t{i}", "roles": ["viewer"]},
                headers=root,
            )
        ).status_code
        for i in range(TOKEN_CREATIONS_PER_MINUTE + 1)
    ]

    assert codes[:-1] == [201] * TOKEN_CREATIONS_PER_MINUTE
    assert codes[-1] == 429


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/admin/users"),
        ("POST", "/api/v1/admin/users"),
        ("GET", "/api/v1/admin/service-tokens"),
        ("POST", "/api/v1/admin/service-tokens"),
        ("GET", "/api/v1/admin/audit"),
    ],
)
async def test_non_admins_are_forbidden(api: httpx.AsyncClient, method: str, path: str) -> None:
    root = await _login(api, "root")
    await api.post(
        "/api/v1/admin/users",
        json={"username": "officer", "password": PASSWORD, "roles": ["risk_officer"]},
        headers=root,
    )
    officer = await _login(api, "officer")
    body = {"username": "x-user", "password": PASSWORD, "roles": ["viewer"]}
    if "tokens" in path:
        body = {"name": "x", "roles": ["viewer"]}

    reply = await api.request(
        method, path, headers=officer, json=body if method == "POST" else None
    )

    assert reply.status_code == 403
    assert reply.json()["error"]["reason"] == "MISSING_ROLE"
