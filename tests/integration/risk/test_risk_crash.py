"""Crash: kill -9 the risk service during a 1,000-order burst, restart, retry every order.

Nothing is lost or doubled: every client_order_id has one order and one (non-dry-run)
decision, a reply seen before the kill is replayed unchanged after it, no order is left
in flight (PENDING_NEW), and both the RPC and the CLI verify the hash chain.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import psycopg
import pytest
import redis.asyncio as aioredis
from support.servers import PostgresHandle
from tm_risk.marketdata import Bar, publish_bar
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.api.risk.v1 import risk_pb2_grpc
from trademaster.service.localstack import ServiceProcess

from .conftest import JWT_SECRET, auth

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ORDERS = 1000
KILL_AFTER = 300
OWNER = "crash-owner"


@pytest.fixture
def env(postgres_server: PostgresHandle, redis_url: str, tm_session_dir: Path) -> Iterator[dict]:
    name = f"riskc_{uuid.uuid4().hex[:8]}"
    yield {
        "TM_RISK_DATABASE_URL": postgres_server.create_database(name),
        "TM_RISK_REDIS_URL": redis_url,
        "TM_RISK_JWT_SECRET": JWT_SECRET,
        "TM_RISK_GRPC_PORT": "0",
        "TM_RISK_MARKET_DATA_STREAM": f"tm:md:{name}",
        "work": str(tm_session_dir / name),
    }


def _process(env: dict, n: int) -> ServiceProcess:
    work = Path(env["work"])
    service_env = {k: v for k, v in env.items() if k.startswith("TM_")}
    return ServiceProcess(
        "risk",
        {**service_env, "TM_RISK_PORT_FILE": str(work / "risk.port")},
        work / "risk.port",
        log_path=work / f"risk-{n}.log",
    )


def _order(account: str, n: int) -> pb.SubmitOrderRequest:
    return pb.SubmitOrderRequest(
        order=pb.Order(
            client_order_id=f"burst-{n:04d}",
            account_id=account,
            instrument_id="CRS",
            side=pb.ORDER_SIDE_BUY,
            order_type=pb.ORDER_TYPE_LIMIT,
            quantity="1",
            limit_price="90.00",
            time_in_force=pb.TIME_IN_FORCE_GTC,
        )
    )


async def _burst(
    stub: risk_pb2_grpc.RiskServiceStub, account: str, seen: dict[str, str], stop_after: int | None
) -> None:
    meta = auth(OWNER, "trader")
    limit = asyncio.Semaphore(32)

    async def one(n: int) -> None:
        async with limit:
            try:
                reply = await stub.SubmitOrder(_order(account, n), metadata=meta, timeout=30)
            except grpc.aio.AioRpcError:
                return  # the kill: no reply, the client will retry
            seen.setdefault(reply.order.client_order_id, reply.decision.decision_id)

    tasks = [asyncio.create_task(one(n)) for n in range(ORDERS)]
    if stop_after is None:
        await asyncio.gather(*tasks)
        return
    while len(seen) < stop_after:
        await asyncio.sleep(0.005)


async def test_kill_9_during_burst_loses_and_doubles_nothing(env: dict) -> None:
    admin = auth("crash-admin", "admin")
    first = await asyncio.to_thread(_process(env, 0).start)
    redis = aioredis.Redis.from_url(env["TM_RISK_REDIS_URL"], decode_responses=True)
    channel = grpc.aio.insecure_channel(first.address)
    stub = risk_pb2_grpc.RiskServiceStub(channel)
    try:
        await stub.PutInstrument(
            pb.PutInstrumentRequest(
                instrument=pb.Instrument(instrument_id="CRS", tick_size="0.01", lot_size="1")
            ),
            metadata=admin,
            timeout=30,
        )
        created = await stub.CreateAccount(
            pb.CreateAccountRequest(
                account=pb.Account(name="crash", mode=pb.ACCOUNT_MODE_PAPER, initial_cash="1000000")
            ),
            metadata=auth(OWNER, "trader"),
            timeout=30,
        )
        account = created.account.account_id
        await publish_bar(
            redis,
            Bar("CRS", time.time_ns(), 100, 100, 100, 100, 1e9),
            env["TM_RISK_MARKET_DATA_STREAM"],
        )
        deadline = time.monotonic() + 60
        while True:  # until the reference price arrived
            check = await stub.CheckOrder(
                pb.CheckOrderRequest(order=_order(account, 0).order),
                metadata=auth(OWNER, "trader"),
                timeout=30,
            )
            if check.decision.reference_price:
                break
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)

        seen: dict[str, str] = {}
        await _burst(stub, account, seen, stop_after=KILL_AFTER)
        os.kill(first.pid or 0, signal.SIGKILL)
        await asyncio.to_thread(first.stop)
        await channel.close()
        answered_before_kill = dict(seen)
        assert KILL_AFTER <= len(answered_before_kill) < ORDERS

        second = await asyncio.to_thread(_process(env, 1).start)
        channel = grpc.aio.insecure_channel(second.address)
        stub = risk_pb2_grpc.RiskServiceStub(channel)
        retried: dict[str, str] = {}
        await _burst(stub, account, retried, stop_after=None)
        assert len(retried) == ORDERS
        for coid, decision_id in answered_before_kill.items():
            assert retried[coid] == decision_id, coid

        verified = await stub.VerifyAuditChain(
            pb.VerifyAuditChainRequest(), metadata=admin, timeout=60
        )
        assert verified.valid, verified
        await asyncio.to_thread(second.stop)
    finally:
        await channel.close()
        await redis.aclose()

    async with await psycopg.AsyncConnection.connect(env["TM_RISK_DATABASE_URL"]) as conn:
        cur = await conn.execute(
            "SELECT count(*), count(DISTINCT client_order_id), "
            "count(*) FILTER (WHERE status='PENDING_NEW') FROM risk.orders"
        )
        assert await cur.fetchone() == (ORDERS, ORDERS, 0)
        cur = await conn.execute(
            "SELECT client_order_id, count(*) FROM risk.audit WHERE kind='decision' AND NOT "
            "dry_run GROUP BY client_order_id HAVING count(*) <> 1"
        )
        assert await cur.fetchall() == []
        cur = await conn.execute(
            "SELECT count(*) FROM risk.orders o JOIN risk.audit a ON a.entry_id = o.decision_id"
        )
        assert (await cur.fetchone()) == (ORDERS,)
    cli = subprocess.run(
        [sys.executable, "-m", "tm_risk", "audit", "verify"],
        env={**os.environ, **{k: v for k, v in env.items() if k.startswith("TM_")}},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "audit chain valid" in cli.stdout
