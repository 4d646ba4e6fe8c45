"""The compliance report through the gateway (real identity database, real risk service on
loopback gRPC): JSON, the CSV zip and the HTML page agree with the totals, regenerate
byte-identically, state the chain verification; another owner gets 404, a bad range 400; the
CLI writes the same bytes."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from support.servers import PostgresHandle
from tm_gateway.app import create_app
from tm_gateway.backends import Backends
from tm_gateway.config import IdentitySettings
from tm_gateway.server import open_identity, start_http
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.cli.main import cli

from .conftest import JWT_SECRET, Harness

pytestmark = pytest.mark.integration

PASSWORD = "password-1234"
TODAY = datetime.now(UTC).date()
RANGE = {
    "from": (TODAY - timedelta(days=1)).isoformat(),
    "to": (TODAY + timedelta(days=1)).isoformat(),
}


@dataclass
class Gateway:
    api: httpx.AsyncClient
    app: object
    headers: dict[str, dict[str, str]]
    account: str


async def _login(api: httpx.AsyncClient, username: str) -> dict[str, str]:
    reply = await api.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return {"authorization": f"Bearer {reply.json()['access_token']}"}


@pytest.fixture(scope="module")
async def gateway(harness: Harness, postgres_server: PostgresHandle) -> AsyncIterator[Gateway]:
    await harness.instrument("CCC")
    dsn = postgres_server.create_database(f"gw_{uuid.uuid4().hex[:8]}")
    pool, identity = await open_identity(IdentitySettings(database_url=dsn, jwt_secret=JWT_SECRET))
    ids = {}
    for name, role in (("alice", "trader"), ("bob", "trader"), ("rita", "risk_officer")):
        ids[name] = str((await identity.create_user(name, PASSWORD, [role])).id)
    try:
        addresses = {n: "127.0.0.1:1" for n in ("strategy", "trainer", "backtest", "notifier")}
        backends = Backends({**addresses, "risk": f"127.0.0.1:{harness.services[-1].port}"}, 30)
        app = create_app(identity, backends, jwt_secret=JWT_SECRET, jwt_issuer="trademaster")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as api:
            headers = {name: await _login(api, name) for name in ids}
            account = await harness.account(ids["alice"], max_order_quantity="5")
            await harness.bar("CCC", 50.0, wait_account=account)
            await harness.submit(ids["alice"], account, "2", iid="CCC", coid="c-buy")
            await harness.bar("CCC", 51.0)
            await harness.wait_order(ids["alice"], account, "c-buy", pb.ORDER_STATUS_FILLED)
            await harness.submit(ids["alice"], account, "9", iid="CCC", coid="c-big")
            yield Gateway(api, app, headers, account)
        await backends.close()
    finally:
        await identity.close()
        await pool.close()


def _url(gw: Gateway) -> str:
    return f"/api/v1/accounts/{gw.account}/compliance-report"


async def _get(gw: Gateway, user: str, fmt: str, **extra: str) -> httpx.Response:
    return await gw.api.get(
        _url(gw), params={**RANGE, "format": fmt, **extra}, headers=gw.headers[user]
    )


def _csv(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode())))


async def test_csv_zip_rows_match_the_totals_and_regenerate_identically(gateway: Gateway) -> None:
    reply = await _get(gateway, "alice", "csv")
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(reply.content))
    summary = {r["key"]: r["value"] for r in _csv(archive, "summary.csv")}
    assert summary["chain.valid"] == "true"
    for section, total in (
        ("orders", "orders"), ("decisions", "decisions"), ("fills", "fills"),
        ("limit_breaches", "denied"), ("state_changes", "state_changes"),
        ("kill_switch_events", "kill_switch_events"),
    ):  # fmt: skip
        assert len(_csv(archive, f"{section}.csv")) == int(summary[f"totals.{total}"]), section
    assert int(summary["totals.orders"]) == 2 and int(summary["totals.denied"]) >= 1
    breaches = _csv(archive, "limit_breaches.csv")
    assert {r["client_order_id"] for r in breaches if r["dry_run"] != "true"} == {"c-big"}
    assert "ORDER_QUANTITY_EXCEEDED" in breaches[-1]["reasons"]
    positions = [r for r in _csv(archive, "positions.csv") if r["date"] == TODAY.isoformat()]
    assert [(p["instrument_id"], p["quantity"]) for p in positions] == [("CCC", "2")]
    again = await _get(gateway, "rita", "csv")
    assert again.content == reply.content


async def test_html_states_the_chain_and_draws_the_chart(gateway: Gateway) -> None:
    reply = await _get(gateway, "alice", "html")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/html")
    page = reply.text
    assert "Audit hash chain VERIFIED" in page and "<svg" in page and "<polyline" in page
    assert "Limit breaches" in page and "ORDER_QUANTITY_EXCEEDED" in page
    assert "no promotion approvals recorded by this platform version" in page
    assert (await _get(gateway, "alice", "html")).content == reply.content


async def test_json_is_the_report(gateway: Gateway) -> None:
    reply = await _get(gateway, "rita", "json")
    assert reply.status_code == 200
    data = reply.json()
    assert data["account_id"] == gateway.account and data["chain"]["valid"] is True
    assert data["totals"]["orders"] == len(data["orders"]) == 2
    assert data["decisions"][0]["decision"] in ("ALLOW", "DENY")


async def test_another_owner_gets_404(gateway: Gateway) -> None:
    reply = await _get(gateway, "bob", "html")
    assert reply.status_code == 404, reply.text
    assert reply.json()["error"]["reason"] == "ACCOUNT_NOT_FOUND"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": RANGE["to"], "to": RANGE["from"]}, "to"),
        ({"from": "2025-02-30"}, "from"),
        ({"to": "2030-01-01"}, "to"),
        ({"format": "pdf"}, "format"),
    ],
)
async def test_a_bad_request_is_400_naming_the_field(
    gateway: Gateway, params: dict[str, str], field: str
) -> None:
    reply = await gateway.api.get(
        _url(gateway),
        params={**RANGE, "format": "json", **params},
        headers=gateway.headers["alice"],
    )
    assert reply.status_code == 400, reply.text
    fields = [v["field"] for v in reply.json()["error"]["field_violations"]]
    assert any(f.endswith(field) for f in fields), fields


async def test_cli_writes_the_report(gateway: Gateway, tmp_path: Path) -> None:
    server = uvicorn.Server(
        uvicorn.Config(gateway.app, host="127.0.0.1", port=0, log_level="warning")  # type: ignore[arg-type]
    )
    task, port = await start_http(server)
    token = gateway.headers["alice"]["authorization"].split(" ", 1)[1]
    out = tmp_path / "report.zip"
    args = [
        "compliance", "report", gateway.account, "--from", RANGE["from"], "--to", RANGE["to"],
        "--format", "csv", "--out", str(out), "--url", f"http://127.0.0.1:{port}",
        "--token", token,
    ]  # fmt: skip
    try:
        result = await asyncio.to_thread(CliRunner().invoke, cli, args)
        refused = await asyncio.to_thread(
            CliRunner().invoke, cli, [*args[:3], "--from", RANGE["to"], *args[5:]]
        )
    finally:
        server.should_exit = True
        await task
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == (await _get(gateway, "alice", "csv")).content
    assert refused.exit_code == 1 and "to must be after from" in refused.output
