"""The action audit on a real identity database: generated from the authorization table, every
mutating route called produces exactly one row naming the route, the caller and the outcome;
denials and authentication failures are recorded, allowed reads are not; the hash chain
verifies, and editing one row is detected."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from psycopg_pool import AsyncConnectionPool
from tm_gateway.action_audit import ActionAudit
from tm_gateway.app import create_app
from tm_gateway.backends import Backends
from tm_gateway.config import IdentitySettings
from tm_gateway.server import open_identity, start_http
from trademaster.cli.main import cli
from trademaster.service.authz import ROUTES

pytestmark = pytest.mark.integration

SECRET = "audit-rest-secret-0123456789abcdef"
PASSWORD = "password-1234"
Gateway = tuple[httpx.AsyncClient, AsyncConnectionPool, dict[str, str], "ActionAudit"]
MUTATING = sorted(key for key in ROUTES if not key.startswith("GET "))


@pytest.fixture(scope="module", autouse=True)
def tracer_provider() -> None:
    """Real spans (ids) for the trace ids the audit records; shared with other modules."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


@pytest.fixture
async def gateway(fresh_database: str, redis_url: str) -> AsyncIterator[Gateway]:
    settings = IdentitySettings(database_url=fresh_database, redis_url=redis_url, jwt_secret=SECRET)
    pool, identity = await open_identity(settings)
    ids = {}
    for name, role in (("root", "admin"), ("vera", "viewer"), ("rita", "risk_officer")):
        ids[name] = str((await identity.create_user(name, PASSWORD, [role])).id)
    # Every backend is unreachable: routes answer 503 after authorization, and are audited.
    backends = Backends(
        {n: "127.0.0.1:1" for n in ("strategy", "trainer", "backtest", "risk", "notifier")},
        timeout_s=0.5,
    )
    audit = ActionAudit(pool)
    app = create_app(identity, backends, jwt_secret=SECRET, jwt_issuer="trademaster", audit=audit)
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        yield client, pool, ids, audit
    await backends.close()
    await identity.close()
    await pool.close()


async def _login(api: httpx.AsyncClient, username: str) -> dict[str, str]:
    reply = await api.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return {"authorization": f"Bearer {reply.json()['access_token']}", "user-agent": "audit-test"}


def _path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), template)


async def _rows(pool: AsyncConnectionPool, audit: ActionAudit) -> list[tuple]:
    await audit.flush()  # rows are written behind the responses
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT route, actor_id, status, outcome, request_id, client_addr, user_agent "
            "FROM identity.action_audit ORDER BY id"
        )
        return await cursor.fetchall()


async def test_every_mutating_route_is_audited_once_with_actor_and_outcome(
    gateway: Gateway,
) -> None:
    api, pool, ids, audit = gateway
    root = await _login(api, "root")
    before = len(await _rows(pool, audit))
    answers = []
    for key in MUTATING:
        method, template = key.split(" ", 1)
        reply = await api.request(method, _path(template), json={}, headers=root)
        assert reply.status_code < 500 or reply.status_code == 503, (key, reply.text)
        answers.append((key, reply.status_code, reply.headers["x-request-id"]))
    rows = (await _rows(pool, audit))[before:]
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [
        (key, ids["root"], status, request_id) for key, status, request_id in answers
    ]
    assert {(r[5], r[6]) for r in rows} == {("10.1.2.3", "audit-test")}


async def test_denials_and_authentication_failures_are_recorded_allowed_reads_are_not(
    gateway: Gateway,
) -> None:
    api, pool, ids, audit = gateway
    vera, rita = await _login(api, "vera"), await _login(api, "rita")
    before = len(await _rows(pool, audit))
    assert (await api.get("/api/v1/alerts", headers=vera)).status_code == 503  # allowed read
    assert (await api.get("/api/v1/admin/users", headers=vera)).status_code == 403
    assert (await api.post("/api/v1/strategies", json={}, headers=vera)).status_code == 403
    assert (await api.delete(f"/api/v1/strategies/{uuid.uuid4()}")).status_code == 401
    bad = {"authorization": "Bearer not-a-jwt"}
    assert (await api.get("/api/v1/strategies", headers=bad)).status_code == 401
    rows = (await _rows(pool, audit))[before:]
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("GET /api/v1/admin/users", ids["vera"], "denied"),
        ("POST /api/v1/strategies", ids["vera"], "denied"),
        ("DELETE /api/v1/strategies/{strategy_id}", "", "unauthenticated"),
        ("GET /api/v1/strategies", "", "unauthenticated"),
    ]
    # Risk officers search (JSON and CSV); viewers may not.
    found = await api.get("/api/v1/audit/actions", params={"actor_id": ids["vera"]}, headers=rita)
    assert found.status_code == 200, found.text
    entries = found.json()["entries"]
    assert [e["route"] for e in entries] == ["POST /api/v1/strategies", "GET /api/v1/admin/users"]
    assert entries[0]["resource"] == "strategy" and entries[0]["action"] == "create"
    assert entries[0]["roles"] == ["viewer"] and len(entries[0]["trace_id"]) == 32
    exported = await api.get(
        "/api/v1/audit/actions",
        params={"outcome": "unauthenticated", "format": "csv"},
        headers=rita,
    )
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["route"] for r in table] == [
        "GET /api/v1/strategies", "DELETE /api/v1/strategies/{strategy_id}",
    ]  # fmt: skip
    assert (await api.get("/api/v1/audit/actions", headers=vera)).status_code == 403


async def test_the_chain_verifies_and_an_edited_row_is_detected(
    gateway: Gateway,
) -> None:
    api, pool, _, audit = gateway
    root, rita = await _login(api, "root"), await _login(api, "rita")
    for _ in range(3):
        await api.post("/api/v1/strategies", json={}, headers=root)
    check = (await api.get("/api/v1/audit/actions:verify", headers=rita)).json()
    assert check["verified"] is True and check["rows"] >= 3
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT id FROM identity.action_audit ORDER BY id LIMIT 1 OFFSET 1"
        )
        (second,) = await cursor.fetchone()  # type: ignore[misc]
        await conn.execute("UPDATE identity.action_audit SET status = 201 WHERE id = %s", (second,))
    broken = (await api.get("/api/v1/audit/actions:verify", headers=rita)).json()
    assert broken == {"verified": False, "rows": 1, "broken_at": second}


async def test_cli_searches_exports_and_verifies(
    gateway: Gateway,
) -> None:
    api, pool, ids, audit = gateway
    root, rita = await _login(api, "root"), await _login(api, "rita")
    created = await api.post("/api/v1/strategies", json={}, headers=root)
    app = api._transport.app  # type: ignore[attr-defined]  # noqa: SLF001 - serve the same app
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    task, port = await start_http(server)
    token = rita["authorization"].split(" ", 1)[1]
    where = ["--url", f"http://127.0.0.1:{port}", "--token", token]
    try:
        runner = CliRunner()
        found = await asyncio.to_thread(
            runner.invoke, cli, ["audit", "search", "--actor", ids["root"], "--csv", *where]
        )
        verified = await asyncio.to_thread(runner.invoke, cli, ["audit", "verify", *where])
    finally:
        server.should_exit = True
        await task
    assert found.exit_code == 0, found.output
    table = list(csv.DictReader(io.StringIO(found.output)))
    assert [r["route"] for r in table] == ["POST /api/v1/strategies"]
    assert table[0]["status"] == str(created.status_code) and table[0]["outcome"] == "rejected"
    assert verified.exit_code == 0 and "verified" in verified.output
