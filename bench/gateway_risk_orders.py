"""What the gateway's REST layer adds to risk calls: the same orders sent straight to the risk
service over gRPC and through ``POST /api/v1/accounts/{id}/orders[:check]``, interleaved in one
run on a real local stack (PostgreSQL, Redis, strategy, notifier, risk, gateway on loopback).

Two cases, each ``--n`` sequential calls per path: ``check`` (CheckOrder, an audited dry run)
and ``submit`` (SubmitOrder of a limit buy resting far below the market: decision, audit row,
order row and the paper venue's acknowledgement). JSON lines: p50/p99 per path and the ratio
gateway/direct, which holds across noisy machines where absolute times do not.

Usage: .venv/bin/python bench/gateway_risk_orders.py [--n 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import grpc
import httpx
import numpy as np
import redis.asyncio as aioredis
from tm_risk.marketdata import Bar, publish_bar
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.api.risk.v1 import risk_pb2_grpc
from trademaster.service.localstack import Stack, StackConfig

SERVICES = ("strategy", "notifier", "risk", "gateway")
INSTRUMENT = "BENCH"
TIME_LIMIT_S = 900.0


def _emit(bench: str, value: float, unit: str, n: int, **extra: object) -> None:
    row = {
        "bench": bench,
        "value": round(value, 3),
        "unit": unit,
        "n": n,
        "machine": f"{platform.machine()}-{os.cpu_count()}cpu",
        "loadavg": round(os.getloadavg()[0], 2),
        **extra,
    }
    print(json.dumps(row), flush=True)


def _order_json(kind: str, i: int) -> dict[str, str]:
    return {
        "client_order_id": f"{kind}-{i}-{uuid.uuid4().hex[:8]}",
        "instrument_id": INSTRUMENT,
        "side": "BUY",
        "order_type": "LIMIT",
        "quantity": "1",
        "limit_price": "50",
        "time_in_force": "GTC",
    }


def _order_pb(account_id: str, body: dict[str, str]) -> pb.Order:
    return pb.Order(
        client_order_id=body["client_order_id"],
        account_id=account_id,
        instrument_id=INSTRUMENT,
        side=pb.ORDER_SIDE_BUY,
        order_type=pb.ORDER_TYPE_LIMIT,
        quantity="1",
        limit_price="50",
        time_in_force=pb.TIME_IN_FORCE_GTC,
    )


async def _setup(stack: Stack, http: httpx.AsyncClient) -> tuple[str, str]:
    """(token, account id): admin login, a paper account with lenient limits, one instrument
    and a fresh price."""
    login = await http.post(
        "/api/v1/auth/login",
        json={"username": stack.config.admin_username, "password": stack.admin_password},
    )
    token = login.json()["access_token"]
    http.headers["Authorization"] = f"Bearer {token}"
    account = (
        await http.post("/api/v1/accounts", json={"name": "bench", "initial_cash": "1000000000"})
    ).json()["id"]
    limits = {"reason": "bench", "max_reference_age_ms": 3_600_000}
    (await http.put(f"/api/v1/accounts/{account}/limits", json=limits)).raise_for_status()
    rules = {"tick_size": "0.01", "lot_size": "1"}
    (await http.put(f"/api/v1/instruments/{INSTRUMENT}", json=rules)).raise_for_status()
    assert stack.redis_url is not None
    client = aioredis.from_url(stack.redis_url)
    await publish_bar(client, Bar(INSTRUMENT, time.time_ns(), 100.0, 100.0, 100.0, 100.0, 1e9))
    await client.aclose()
    return token, account


async def _case(
    kind: str,
    n: int,
    http: httpx.AsyncClient,
    stub: risk_pb2_grpc.RiskServiceStub,
    meta: list[tuple[str, str]],
    account: str,
) -> None:
    path = f"/api/v1/accounts/{account}/orders" + (":check" if kind == "check" else "")
    direct: list[float] = []
    gateway: list[float] = []
    for i in range(n):
        body = _order_json(kind, i)
        start = time.perf_counter()
        if kind == "check":
            reply = await stub.CheckOrder(
                pb.CheckOrderRequest(order=_order_pb(account, body)), metadata=meta, timeout=30
            )
        else:
            reply = await stub.SubmitOrder(
                pb.SubmitOrderRequest(order=_order_pb(account, body)), metadata=meta, timeout=30
            )
        direct.append(time.perf_counter() - start)
        assert reply.decision.decision == pb.DECISION_ALLOW, reply.decision
        body = _order_json(kind, i)
        start = time.perf_counter()
        answer = await http.post(path, json=body)
        gateway.append(time.perf_counter() - start)
        answer.raise_for_status()
        decision = answer.json() if kind == "check" else answer.json()["decision"]
        assert decision["decision"] == "ALLOW", decision
    for name, values in (("direct_grpc", direct), ("gateway_rest", gateway)):
        ms = np.array(values) * 1e3
        _emit(f"risk_{kind}_{name}_p50", float(np.percentile(ms, 50)), "ms", n)
        _emit(f"risk_{kind}_{name}_p99", float(np.percentile(ms, 99)), "ms", n)
    ratio = float(np.percentile(gateway, 50) / np.percentile(direct, 50))
    _emit(f"risk_{kind}_gateway_over_direct_p50", ratio, "ratio", n)


async def _run(stack: Stack, n: int) -> None:
    assert stack.gateway_url is not None
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30.0) as http:
        token, account = await _setup(stack, http)
        meta = [("authorization", f"Bearer {token}")]
        async with grpc.aio.insecure_channel(stack.addresses["risk"]) as channel:
            stub = risk_pb2_grpc.RiskServiceStub(channel)
            for kind in ("check", "submit"):
                await _case(kind, n, http, stub, meta, account)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="Calls per path and case.")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="tm-bench-gw-risk-"))
    root.chmod(0o755)  # PostgreSQL runs as user postgres and must reach its data dir
    stack = Stack(StackConfig(work_dir=root, services=SERVICES))
    try:
        stack.start()
        asyncio.run(asyncio.wait_for(_run(stack, args.n), TIME_LIMIT_S))
    finally:
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
