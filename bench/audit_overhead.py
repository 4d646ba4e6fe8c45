"""Action-audit overhead: latency of a mutating REST route with and without the audit, on a
real PostgreSQL (the gateway app served by uvicorn on loopback, as in production). JSON lines
on stdout. The audit row is written after the response is sent, so what the caller sees is the
middleware's work, not the insert's commit (which the next request on that worker follows).

The route is ``PATCH /api/v1/admin/users/{id}`` of an unknown id, answered 404 by the real
identity store, so each call does the same database work; the audit adds one chained insert
(issue 14's goal: ≤ 1 ms added at p50). Cases alternate in rounds so load drifts hit both.

Usage: .venv/bin/python bench/audit_overhead.py [--calls 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import uvicorn
from tm_gateway.action_audit import ActionAudit
from tm_gateway.app import create_app
from tm_gateway.backends import Backends
from tm_gateway.config import IdentitySettings
from tm_gateway.server import open_identity, start_http
from trademaster.service.localstack.postgres import PostgresServer

SECRET = "bench-audit-secret-0123456789abcdef"
PASSWORD = "password-1234"
BODY = {"disabled": True}
ROUTE = f"/api/v1/admin/users/{uuid.uuid4()}"


def _emit(bench: str, value: float, unit: str, n: int, **extra: object) -> None:
    machine = f"{platform.machine()}-{os.cpu_count()}cpu"
    row = {"bench": bench, "value": round(value, 3), "unit": unit, "n": n, "machine": machine}
    print(json.dumps({**row, **extra}), flush=True)


async def _timed(client: httpx.AsyncClient, headers: dict[str, str], calls: int) -> list[float]:
    out = []
    for _ in range(calls):
        started = time.perf_counter()
        reply = await client.patch(ROUTE, json=BODY, headers=headers)
        out.append((time.perf_counter() - started) * 1000)
        assert reply.status_code == 404, reply.text
    return out


async def _run(dsn: str, args: argparse.Namespace) -> None:
    settings = IdentitySettings(database_url=dsn, jwt_secret=SECRET)  # type: ignore[arg-type]
    pool, identity = await open_identity(settings)
    await identity.create_user("root", PASSWORD, ["admin"])
    backends = Backends({"strategy": "127.0.0.1:1"}, timeout_s=0.5)
    apps = {
        "without": create_app(identity, backends, jwt_secret=SECRET, jwt_issuer="trademaster"),
        "with": create_app(
            identity, backends, jwt_secret=SECRET, jwt_issuer="trademaster",
            audit=ActionAudit(pool),
        ),
    }  # fmt: skip
    samples: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(args.rounds):
        for name, app in apps.items():
            config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
            server = uvicorn.Server(config)
            task, port = await start_http(server)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                login = await client.post(
                    "/api/v1/auth/login", json={"username": "root", "password": PASSWORD}
                )
                headers = {"authorization": f"Bearer {login.json()['access_token']}"}
                await _timed(client, headers, 20)  # warm-up
                samples[name] += await _timed(client, headers, args.calls)
            server.should_exit = True
            await task
    p50 = {name: statistics.median(values) for name, values in samples.items()}
    extra = {"load_avg_1m": os.getloadavg()[0]}
    for name, value in p50.items():
        _emit(f"audit.route_p50_{name}", value, "ms", len(samples[name]), **extra)
    _emit("audit.added_p50", p50["with"] - p50["without"], "ms", len(samples["with"]),
          goal=1.0, **extra)  # fmt: skip
    await backends.close()
    await identity.close()
    await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="tm-b-"))
    root.chmod(0o755)
    server = PostgresServer(root / "pg")
    try:
        server.start()
        asyncio.run(_run(server.dsn, args))
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
