"""Event latency: EventBus.publish → notifier → gateway WebSocket → client, on a real local
stack (PostgreSQL, Redis, strategy, notifier, gateway) on loopback. JSON lines on stdout.

Two cases: one subscriber receiving ``--events`` events (goal p99 <= 100 ms), and
``--subscribers`` concurrent subscribers on one job topic (no event may be lost). Events are
published at a fixed rate so the figures are latencies, not queueing under overload.

Usage: .venv/bin/python bench/events_latency.py [--events 1000] [--subscribers 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from trademaster.service.events import EventBus
from trademaster.service.localstack import Stack, StackConfig
from websockets.asyncio.client import ClientConnection, connect

_LOGGER = logging.getLogger(__name__)

SERVICES = ("strategy", "notifier", "gateway")
TIME_LIMIT_S = 120.0
GOAL_P99_MS = 100.0


def _machine() -> str:
    return f"{platform.machine()}-{os.cpu_count()}cpu"


def _emit(bench: str, value: float, unit: str, n: int, **extra: object) -> None:
    row = {"bench": bench, "value": round(value, 3), "unit": unit, "n": n, "machine": _machine()}
    print(json.dumps({**row, **extra}), flush=True)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _subscriber(url: str, topic: str) -> ClientConnection:
    ws = await connect(url, max_queue=None)
    await ws.send(json.dumps({"type": "subscribe", "topics": [topic]}))
    first = json.loads(await asyncio.wait_for(ws.recv(), 30))
    if first.get("type") != "heartbeat":
        raise RuntimeError(f"expected the subscription's first heartbeat, got {first}")
    return ws


async def _collect(
    ws: ClientConnection, n: int, sent: dict[int, float], latencies: list[float]
) -> set[int]:
    """Receive until ``n`` events arrived; record latency per event; return the steps seen."""
    steps: set[int] = set()
    while len(steps) < n:
        message = json.loads(await ws.recv())
        now = time.perf_counter()
        if message["type"] != "training_progress":
            continue
        step = int(message["payload"]["step"])
        steps.add(step)
        latencies.append((now - sent[step]) * 1000)
    return steps


async def _publish(bus: EventBus, topic: str, n: int, rate_hz: float, sent: dict[int, float]):
    interval = 1.0 / rate_hz
    began = time.perf_counter()
    for step in range(n):
        delay = began + step * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent[step] = time.perf_counter()
        await bus.publish(
            topic,
            "",
            "training_progress",
            {"job_id": "bench", "step": step, "total_steps": n, "fraction": step / n},
        )


async def _case(
    ws_url: str, redis_url: str, *, subscribers: int, events: int, rate_hz: float
) -> tuple[list[float], list[int]]:
    """Latencies of every delivery, and events received per subscriber."""
    topic = f"training_job/bench-{uuid.uuid4().hex[:8]}"
    clients = await asyncio.gather(*(_subscriber(ws_url, topic) for _ in range(subscribers)))
    bus = EventBus(redis_url)
    sent: dict[int, float] = {}
    latencies: list[float] = []
    try:
        collectors = [asyncio.create_task(_collect(ws, events, sent, latencies)) for ws in clients]
        await _publish(bus, topic, events, rate_hz, sent)
        done, pending = await asyncio.wait(collectors, timeout=30)
        for task in pending:
            task.cancel()
        received = [len(t.result()) if t in done else -1 for t in collectors]
    finally:
        await bus.close()
        await asyncio.gather(*(ws.close() for ws in clients))
    return latencies, received


async def _run(stack: Stack, args: argparse.Namespace) -> None:
    assert stack.gateway_url is not None and stack.redis_url is not None
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as http:
        reply = await http.post(
            "/api/v1/auth/login", json={"username": "admin", "password": stack.admin_password}
        )
        reply.raise_for_status()
        token = reply.json()["access_token"]
    ws_url = stack.gateway_url.replace("http://", "ws://") + f"/api/v1/events?access_token={token}"

    latencies, received = await _case(
        ws_url, stack.redis_url, subscribers=1, events=args.events, rate_hz=args.rate
    )
    p50, p99 = _percentile(latencies, 0.5), _percentile(latencies, 0.99)
    _emit("events_ws_latency_p50", p50, "ms", len(latencies), rate_hz=args.rate)
    _emit("events_ws_latency_p99", p99, "ms", len(latencies), rate_hz=args.rate)
    _emit("events_ws_latency_max", max(latencies), "ms", len(latencies))
    lost_single = args.events - received[0]

    fan_events = args.fanout_events
    latencies_fan, received_fan = await _case(
        ws_url,
        stack.redis_url,
        subscribers=args.subscribers,
        events=fan_events,
        rate_hz=args.fanout_rate,
    )
    lost = sum(fan_events - r for r in received_fan)
    fan_p50, fan_p99 = _percentile(latencies_fan, 0.5), _percentile(latencies_fan, 0.99)
    _emit(
        "events_ws_fanout_latency_p50",
        fan_p50,
        "ms",
        len(latencies_fan),
        subscribers=args.subscribers,
        rate_hz=args.fanout_rate,
    )
    _emit(
        "events_ws_fanout_latency_p99",
        fan_p99,
        "ms",
        len(latencies_fan),
        subscribers=args.subscribers,
        rate_hz=args.fanout_rate,
    )
    _emit("events_ws_fanout_lost", lost, "events", args.subscribers * fan_events)
    _emit(
        "events_latency_summary",
        p99,
        "ms",
        args.events,
        goal_p99_ms=GOAL_P99_MS,
        p99_ok=p99 <= GOAL_P99_MS,
        lost_single=lost_single,
        p50_ms=round(p50, 3),
        fanout_subscribers=args.subscribers,
        fanout_events=fan_events,
        fanout_p99_ms=round(fan_p99, 3),
        fanout_lost=lost,
        fanout_mean_ms=round(statistics.fmean(latencies_fan), 3),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000, help="events to one subscriber")
    parser.add_argument("--rate", type=float, default=200.0, help="publish rate, events/s")
    parser.add_argument("--subscribers", type=int, default=100, help="concurrent subscribers")
    parser.add_argument("--fanout-events", type=int, default=200, help="events in fan-out case")
    parser.add_argument("--fanout-rate", type=float, default=20.0, help="fan-out rate, events/s")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    root = Path(tempfile.mkdtemp(prefix="tm-b-"))
    root.chmod(0o755)
    stack = Stack(StackConfig(work_dir=root, services=SERVICES))
    try:
        stack.start()
        asyncio.run(asyncio.wait_for(_run(stack, args), TIME_LIMIT_S))
    finally:
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
