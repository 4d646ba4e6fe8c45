"""Risk service on loopback (real PostgreSQL, Redis, ``python -m tm_risk``): three benches.

- ``check``: sequential gRPC CheckOrder round trips (each one audited: a dry-run decision row is
  committed before the reply). Goal p99 <= 2 ms. Peer, interleaved on the same channel: the
  server's gRPC health Check (no auth, no database), so the ratio separates the service's work
  from what the (shared, loaded) machine charges any loopback round trip.
- ``submit``: SubmitOrder from ``--clients`` concurrent clients for ``--seconds`` (default 20 s;
  the issue asks 60 s), market orders alternating buy/sell, bars published at 50 Hz so every
  order fills; counts replies/s, reply latency p50/p99, and waits until every order is FILLED
  (decision + audit + order row committed + paper fill + fill row). Goal >= 500/s, p99 <= 10 ms.
  Where the time goes: the engine's own check latency (from the decision) and the writer's
  commits (batches/items from the service log are not read here; see the README).
- ``kill``: ``--kill-runs`` runs of 1,000 resting paper orders then KillSwitch(account);
  server-side halt, cancel (venue acknowledged every cancel) and total (statuses committed)
  latency. Goal <= 1 s.

The client runs on the same machine as the service, PostgreSQL and Redis (shared CPUs).
Usage: .venv/bin/python bench/risk_service.py [--only check,submit,kill]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import tempfile
import time
import uuid
from pathlib import Path

import grpc
import numpy as np
import psutil
import redis.asyncio as aioredis
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tm_risk.marketdata import Bar, publish_bar
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.api.risk.v1 import risk_pb2_grpc
from trademaster.service.auth import issue_token
from trademaster.service.localstack import Stack, StackConfig

STREAM = "tm:md:bars"


def _emit(bench: str, value: float, unit: str, n: int, **extra: object) -> dict:
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
    return row


def _service_process() -> psutil.Process:
    """The ``python -m tm_risk`` started by this bench's stack."""
    for child in psutil.Process().children(recursive=True):
        if "tm_risk" in " ".join(child.cmdline()):
            return child
    raise RuntimeError("the risk service process was not found")


def _cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _meta(secret: str, subject: str, role: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {issue_token(secret, subject, [role], ttl_s=7200)[0]}")]


class Bench:
    def __init__(self, stack: Stack) -> None:
        assert stack.redis_url is not None
        self.channel = grpc.aio.insecure_channel(stack.addresses["risk"])
        self.stub = risk_pb2_grpc.RiskServiceStub(self.channel)
        self.redis = aioredis.Redis.from_url(stack.redis_url, decode_responses=True)
        self.trader = _meta(stack.jwt_secret, "bench-trader", "trader")
        self.admin = _meta(stack.jwt_secret, "bench-admin", "admin")

    async def setup_account(self, cash: str = "1000000000") -> str:
        await self.stub.PutInstrument(
            pb.PutInstrumentRequest(
                instrument=pb.Instrument(instrument_id="BEN", tick_size="0.01", lot_size="1")
            ),
            metadata=self.admin,
        )
        reply = await self.stub.CreateAccount(
            pb.CreateAccountRequest(
                account=pb.Account(
                    name=f"bench-{uuid.uuid4().hex[:6]}",
                    mode=pb.ACCOUNT_MODE_PAPER,
                    initial_cash=cash,
                )
            ),
            metadata=self.trader,
        )
        return reply.account.account_id

    async def bar(self, price: float = 100.0) -> None:
        await publish_bar(
            self.redis, Bar("BEN", time.time_ns(), price, price, price, price, 1e12), STREAM
        )

    def order(self, account: str, coid: str, side: int, limit: str = "") -> pb.Order:
        return pb.Order(
            client_order_id=coid,
            account_id=account,
            instrument_id="BEN",
            side=side,
            order_type=pb.ORDER_TYPE_LIMIT if limit else pb.ORDER_TYPE_MARKET,
            quantity="1",
            limit_price=limit,
            time_in_force=pb.TIME_IN_FORCE_GTC if limit else pb.TIME_IN_FORCE_DAY,
        )

    async def wait_reference(self, account: str) -> None:
        while True:
            await self.bar()
            reply = await self.stub.CheckOrder(
                pb.CheckOrderRequest(order=self.order(account, "", pb.ORDER_SIDE_BUY)),
                metadata=self.trader,
            )
            if reply.decision.reference_price:
                return
            await asyncio.sleep(0.05)


async def bench_check(b: Bench, n: int) -> None:
    account = await b.setup_account()
    await b.wait_reference(account)
    lat, engine, peer = [], [], []
    request = pb.CheckOrderRequest(order=b.order(account, "", pb.ORDER_SIDE_BUY))
    health = health_pb2_grpc.HealthStub(b.channel)
    probe = health_pb2.HealthCheckRequest(service="")
    for i in range(n + 200):
        if i % 100 == 0:
            await b.bar()  # keep the reference fresh
        start = time.perf_counter()
        reply = await b.stub.CheckOrder(request, metadata=b.trader, timeout=10)
        checked = time.perf_counter()
        await health.Check(probe, timeout=10)  # the peer: same server, channel and moment
        if i >= 200:
            lat.append((checked - start) * 1e3)
            peer.append((time.perf_counter() - checked) * 1e3)
            engine.append(reply.decision.check_latency.ToNanoseconds() / 1e3)
    arr, base = np.array(lat), np.array(peer)
    _emit("risk_grpc_check_order_p50", float(np.percentile(arr, 50)), "ms", n)
    _emit("risk_grpc_check_order_p99", float(np.percentile(arr, 99)), "ms", n, goal_ms=2.0)
    _emit("risk_grpc_check_order_engine_p50", float(np.median(engine)), "us", n)
    _emit("risk_grpc_health_check_p50", float(np.percentile(base, 50)), "ms", n, peer=True)
    _emit("risk_grpc_health_check_p99", float(np.percentile(base, 99)), "ms", n, peer=True)
    _emit(
        "risk_grpc_check_order_over_health_p50",
        float(np.percentile(arr, 50) / np.percentile(base, 50)),
        "ratio",
        n,
    )


async def bench_submit(b: Bench, seconds: float, clients: int) -> None:
    account = await b.setup_account()
    await b.wait_reference(account)
    lat: list[float] = []
    denied = 0
    stop_at = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def client(k: int) -> None:
        nonlocal denied
        while time.perf_counter() < stop_at:
            n = next(counter)
            side = pb.ORDER_SIDE_BUY if n % 2 else pb.ORDER_SIDE_SELL
            request = pb.SubmitOrderRequest(order=b.order(account, f"s-{n}", side))
            start = time.perf_counter()
            reply = await b.stub.SubmitOrder(request, metadata=b.trader, timeout=30)
            lat.append((time.perf_counter() - start) * 1e3)
            denied += reply.decision.decision != pb.DECISION_ALLOW

    async def bars() -> None:
        while time.perf_counter() < stop_at + 60:
            await b.bar()
            await asyncio.sleep(0.02)

    ticker = asyncio.create_task(bars())
    service = _service_process()
    cpu0, own0 = _cpu_s(service), time.process_time()
    began = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(clients)))
    elapsed = time.perf_counter() - began
    cpu, own = _cpu_s(service) - cpu0, time.process_time() - own0
    total = len(lat)
    arr = np.array(lat)
    _emit(
        "risk_submit_order_throughput",
        total / elapsed,
        "orders/s",
        total,
        seconds=round(elapsed, 1),
        clients=clients,
        denied=denied,
        goal=500,
    )
    _emit("risk_submit_order_p50", float(np.percentile(arr, 50)), "ms", total)
    _emit("risk_submit_order_p99", float(np.percentile(arr, 99)), "ms", total, goal_ms=10.0)
    # CPU time per order: the figure the machine's other tenants do not move (wall time is
    # what the 2 shared cores give the service, PostgreSQL, Redis and this client together).
    _emit("risk_submit_order_service_cpu", cpu / total * 1e3, "ms/order", total)
    _emit("risk_submit_order_client_cpu", own / total * 1e3, "ms/order", total)
    settle_start = time.perf_counter()
    filled = 0
    while time.perf_counter() - settle_start < 120:
        page = await b.stub.ListOrders(
            pb.ListOrdersRequest(account_id=account, working_only=True, page_size=1),
            metadata=b.trader,
        )
        if not page.orders:
            break
        await asyncio.sleep(0.2)
    fills = 0
    token = ""
    while True:
        page = await b.stub.ListFills(
            pb.ListFillsRequest(account_id=account, page_size=500, page_token=token),
            metadata=b.trader,
        )
        fills += len(page.fills)
        token = page.next_page_token
        if not token:
            break
    filled = fills
    _emit(
        "risk_submit_order_fills",
        filled,
        "fills",
        total,
        settle_s=round(time.perf_counter() - settle_start, 2),
    )
    ticker.cancel()


async def _ticker(b: Bench) -> None:
    """Bars at 20 Hz so reference prices stay fresh (max age 5 s) while orders are placed."""
    while True:
        await b.bar()
        await asyncio.sleep(0.05)


async def bench_kill(b: Bench, runs: int, orders: int) -> None:
    halt, cancel, total, client = [], [], [], []
    ticker = asyncio.create_task(_ticker(b))
    for run in range(runs):
        account = await b.setup_account()
        await b.wait_reference(account)
        sem = asyncio.Semaphore(16)

        async def one(
            n: int, account: str = account, run: int = run, sem: asyncio.Semaphore = sem
        ) -> None:
            async with sem:
                reply = await b.stub.SubmitOrder(
                    pb.SubmitOrderRequest(
                        order=b.order(account, f"k{run}-{n}", pb.ORDER_SIDE_BUY, limit="50.00")
                    ),
                    metadata=b.trader,
                    timeout=30,
                )
                assert reply.decision.decision == pb.DECISION_ALLOW, reply.decision.violations

        await asyncio.gather(*(one(n) for n in range(orders)))
        start = time.perf_counter()
        reply = await b.stub.KillSwitch(
            pb.KillSwitchRequest(scope=pb.SCOPE_ACCOUNT, scope_id=account, reason="bench"),
            metadata=b.trader,
            timeout=60,
        )
        client.append((time.perf_counter() - start) * 1e3)
        assert reply.cancels_acknowledged == orders, reply
        halt.append(reply.halt_latency.ToNanoseconds() / 1e6)
        cancel.append(reply.cancel_latency.ToNanoseconds() / 1e6)
        total.append(reply.total_latency.ToNanoseconds() / 1e6)
    ticker.cancel()
    for name, values in (("halt", halt), ("cancel", cancel), ("total", total), ("client", client)):
        arr = np.array(values)
        _emit(
            f"risk_kill_switch_{name}_p50", float(np.percentile(arr, 50)), "ms", runs, orders=orders
        )
        _emit(
            f"risk_kill_switch_{name}_p99",
            float(np.percentile(arr, 99)),
            "ms",
            runs,
            orders=orders,
            goal_ms=1000.0,
        )


async def main_async(stack: Stack, args: argparse.Namespace) -> None:
    b = Bench(stack)
    try:
        only = set(args.only.split(","))
        if "check" in only:
            await bench_check(b, args.checks)
        if "submit" in only:
            await bench_submit(b, args.seconds, args.clients)
        if "kill" in only:
            await bench_kill(b, args.kill_runs, args.kill_orders)
    finally:
        await b.channel.close()
        await b.redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="check,submit,kill")
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--kill-runs", type=int, default=10)
    parser.add_argument("--kill-orders", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tm-bench-risk-") as tmp:
        os.chmod(tmp, 0o755)  # PostgreSQL runs as user postgres and must reach its data dir
        config = StackConfig(
            work_dir=Path(tmp), services=("risk",), extra_env={"TM_RISK_LOG_LEVEL": "WARNING"}
        )
        with Stack(config) as stack:
            asyncio.run(main_async(stack, args))


if __name__ == "__main__":
    main()
