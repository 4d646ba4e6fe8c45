"""Alerts over REST: the gateway app (real identity database) in front of a real notifier
(PostgreSQL, Redis, gRPC) and a loopback webhook receiver."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tm_gateway.app import create_app
from tm_gateway.backends import Backends
from tm_gateway.config import IdentitySettings
from tm_gateway.server import open_identity

from .alert_receivers import WebhookReceiver
from .conftest import SECRET, Notifier, NotifierFactory
from .test_alerts import FAST, job_state

pytestmark = pytest.mark.integration

PASSWORD = "password-1234"


@pytest.fixture
async def stack(
    notifier_factory: NotifierFactory, fresh_database: str, redis_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Notifier, dict[str, str]]]:
    notifier = await notifier_factory(database_url=fresh_database, **FAST)
    settings = IdentitySettings(database_url=fresh_database, redis_url=redis_url, jwt_secret=SECRET)
    pool, identity = await open_identity(settings)
    ids = {}
    for name, role in (("alice", "researcher"), ("bob", "viewer")):
        ids[name] = str((await identity.create_user(name, PASSWORD, [role])).id)
    backends = Backends({"strategy": "127.0.0.1:1", "notifier": notifier.address}, timeout_s=5)
    app = create_app(identity, backends, jwt_secret=SECRET, jwt_issuer="trademaster")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gw"
    ) as client:
        yield client, notifier, ids
    await backends.close()
    await identity.close()
    await pool.close()


async def _login(api: httpx.AsyncClient, username: str) -> dict[str, str]:
    reply = await api.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return {"authorization": f"Bearer {reply.json()['access_token']}"}


async def _until(api: httpx.AsyncClient, path: str, headers: dict[str, str], key: str) -> Any:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        body = (await api.get(path, headers=headers)).json()
        if body[key]:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} stayed empty")


async def test_rules_bell_and_delivery_log_over_rest(
    stack: tuple[httpx.AsyncClient, Notifier, dict[str, str]],
) -> None:
    api, notifier, ids = stack
    alice, bob = await _login(api, "alice"), await _login(api, "bob")
    webhook = WebhookReceiver().start()
    try:
        bad = await api.post(
            "/api/v1/alert-rules",
            json={"name": "x", "event_types": ["no_such_event"]},
            headers=alice,
        )
        assert bad.status_code == 400, bad.text
        assert "rule.event_types" in bad.text
        created = await api.post(
            "/api/v1/alert-rules",
            json={
                "name": "failed jobs",
                "event_types": ["job_state_changed"],
                "match": {"new_state": "FAILED"},
                "webhook_url": webhook.url,
                "webhook_secret": "s" * 20,
            },
            headers=alice,
        )
        assert created.status_code == 201, created.text
        rule = created.json()
        assert rule["webhook_signed"] is True and "webhook_secret" not in rule
        await job_state(notifier.bus, ids["alice"], "j1", "FAILED")
        bell = await _until(api, "/api/v1/alerts", alice, "alerts")
        assert bell["unread_count"] == 1 and bell["alerts"][0]["payload"]["job_id"] == "j1"
        log = await _until(api, "/api/v1/alert-deliveries", alice, "deliveries")
        assert log["deliveries"][0]["channel"] == "webhook"
        marked = await api.post("/api/v1/alerts:mark-read", json={"all": True}, headers=alice)
        assert marked.json() == {"marked": 1}
        assert (await api.get("/api/v1/alerts", headers=alice)).json()["unread_count"] == 0
        # Bob (a viewer) has his own, empty, lists and cannot reach Alice's rule.
        assert (await api.get("/api/v1/alert-rules", headers=bob)).json()["rules"] == []
        gone = await api.delete(f"/api/v1/alert-rules/{rule['id']}", headers=bob)
        assert gone.status_code == 404, gone.text
        deleted = await api.delete(f"/api/v1/alert-rules/{rule['id']}", headers=alice)
        assert deleted.status_code == 204
        unknown = await api.post("/api/v1/alert-deliveries/not-a-uuid:replay", headers=alice)
        assert unknown.status_code == 400 and "delivery_id" in unknown.text
    finally:
        webhook.stop()
