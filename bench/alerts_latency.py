"""Alert latency: EventBus.publish → notifier alert engine → webhook received, on a real local
stack (PostgreSQL, Redis, the notifier as its own process) and a loopback webhook receiver.
JSON lines on stdout.

Events are published at a fixed rate (default 10,000/minute), every one matching a webhook
rule; the figures are publish-to-receipt latencies and the count of events never delivered
(issue 14's goal: p99 <= 1 s at 10,000 events/minute, 0 lost).

Usage: .venv/bin/python bench/alerts_latency.py [--events 3000] [--rate 167]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import shutil
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
from trademaster.api.notifier.v1 import alerts_pb2, notifier_pb2_grpc
from trademaster.service.auth import issue_token
from trademaster.service.events import EventBus
from trademaster.service.localstack import Stack, StackConfig

TIME_LIMIT_S = 300.0
GOAL_P99_MS = 1000.0


def _emit(bench: str, value: float, unit: str, n: int, **extra: object) -> None:
    machine = f"{platform.machine()}-{os.cpu_count()}cpu"
    row = {"bench": bench, "value": round(value, 3), "unit": unit, "n": n, "machine": machine}
    print(json.dumps({**row, **extra}), flush=True)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _receiver(received: dict[str, float]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as webhook receivers do

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.setdefault(json.loads(body)["event_id"], time.time())
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


async def _run(stack: Stack, args: argparse.Namespace) -> None:
    assert stack.redis_url is not None
    received: dict[str, float] = {}
    server = _receiver(received)
    token = issue_token(stack.jwt_secret, "bench-user", ["researcher"])[0]
    async with grpc.aio.insecure_channel(stack.addresses["notifier"]) as channel:
        stub = notifier_pb2_grpc.NotifierServiceStub(channel)
        rule = alerts_pb2.AlertRule(
            name="bench", event_types=["job_state_changed"], in_app=False,
            webhook_url=f"http://127.0.0.1:{server.server_address[1]}/hook",
        )  # fmt: skip
        await stub.CreateAlertRule(
            alerts_pb2.CreateAlertRuleRequest(rule=rule, webhook_secret="b" * 32),
            metadata=(("authorization", f"Bearer {token}"),),
        )
    await asyncio.sleep(2.0)  # the engine's rule cache refreshes every second
    bus = EventBus(stack.redis_url)
    published: dict[str, float] = {}
    start = time.perf_counter()
    for i in range(args.events):
        await asyncio.sleep(max(0.0, start + i / args.rate - time.perf_counter()))
        sent = time.time()
        event_id = await bus.publish(
            f"training_job/b{i}", "bench-user", "job_state_changed",
            {"job_id": f"b{i}", "new_state": "FAILED"},
        )  # fmt: skip
        published[event_id] = sent
    deadline = time.monotonic() + 60
    while len(received) < len(published) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    await bus.close()
    server.shutdown()
    latencies = [(received[e] - t) * 1000 for e, t in published.items() if e in received]
    lost = len(published) - len(latencies)
    rate = args.rate * 60
    extra = {"events_per_minute": rate, "load_avg_1m": os.getloadavg()[0]}
    _emit("alerts.webhook_p50", _percentile(latencies, 0.5), "ms", len(latencies), **extra)
    _emit("alerts.webhook_p99", _percentile(latencies, 0.99), "ms", len(latencies),
          goal=GOAL_P99_MS, **extra)  # fmt: skip
    _emit("alerts.webhook_lost", lost, "events", len(published), goal=0, **extra)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=10_000 / 60, help="events/s")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    root = Path(tempfile.mkdtemp(prefix="tm-b-"))
    root.chmod(0o755)
    stack = Stack(StackConfig(work_dir=root, services=("notifier",)))
    try:
        stack.start()
        asyncio.run(asyncio.wait_for(_run(stack, args), TIME_LIMIT_S))
    finally:
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
