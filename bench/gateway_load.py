"""Gateway under load: N users (log in once, then a mix of list/get strategies, datasets,
training jobs and job metrics) plus M WebSocket subscribers receiving a job topic's progress
events, for a fixed time, against a real local stack on loopback. JSON lines on stdout.

Reported: requests/s, latency p50/p99, errors, events delivered to every subscriber and their
delivery lag p99 (publish time → received), gateway RSS at start and end. Goals (issue 15):
>= 1,000 req/s, p99 <= 50 ms, 0 errors, lag p99 <= 100 ms, RSS stable.

Events are appended with ``EventBus.publish`` (what the trainer does) at ``--event-rate`` per
second, owned by the subscribing user, so the fan-out path (Redis → notifier → gateway → every
socket) is measured without a training job's CPU cost on the same two cores.

Usage: .venv/bin/python bench/gateway_load.py [--users 100] [--subscribers 100] [--duration 60]
       [--with-trainer]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from trademaster.service.events import EventBus
from trademaster.service.localstack import Stack, StackConfig
from websockets.asyncio.client import connect

PASSWORD = "bench-password-123"


def _emit(bench: str, value: float, unit: str, n: int, **extra: object) -> None:
    row = {
        "bench": bench,
        "value": round(value, 3),
        "unit": unit,
        "n": n,
        "machine": f"{platform.machine()}-{os.cpu_count()}cpu",
        "load_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps({**row, **extra}), flush=True)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _rss_mb(pid: int | None) -> float:
    if pid is None:
        return float("nan")
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _login(client: httpx.AsyncClient, username: str, password: str) -> str:
    reply = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    reply.raise_for_status()
    return str(reply.json()["access_token"])


async def _users(client: httpx.AsyncClient, admin: str, count: int) -> list[tuple[str, str]]:
    """(token, user id) per user; created through the admin REST API."""
    out = []
    for index in range(count):
        reply = await client.post(
            "/api/v1/admin/users",
            json={"username": f"load-{index}-{uuid.uuid4().hex[:4]}", "password": PASSWORD,
                  "roles": ["researcher"]},
            headers={"authorization": f"Bearer {admin}"},
        )  # fmt: skip
        reply.raise_for_status()
        body = reply.json()
        out.append((await _login(client, body["username"], PASSWORD), body["id"]))
    return out


async def _worker(
    client: httpx.AsyncClient, token: str, paths: list[str], until: float, out: dict
) -> None:
    headers = {"authorization": f"Bearer {token}"}
    while time.monotonic() < until:
        path = random.choice(paths)
        began = time.perf_counter()
        try:
            reply = await client.get(path, headers=headers)
            ok = reply.status_code < 400
        except httpx.HTTPError:
            ok = False
        out["latencies"].append(time.perf_counter() - began)
        if not ok:
            out["errors"] += 1


async def _subscriber(
    url: str, topic: str, until: float, lags: list[float], got: list[int]
) -> None:
    index = len(got)
    got.append(0)
    async with connect(url, max_queue=None) as ws:
        await ws.send(json.dumps({"type": "subscribe", "topics": [topic]}))
        while time.monotonic() < until + 5:
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            except TimeoutError:
                continue
            if message.get("type") == "training_progress":
                sent = float(message["payload"]["fraction"])  # carries the publish time
                lags.append(time.time() - sent)
                got[index] += 1


async def run(args: argparse.Namespace, stack: Stack) -> None:
    assert stack.gateway_url is not None and stack.redis_url is not None
    limits = httpx.Limits(max_connections=args.users + 10)
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30, limits=limits) as client:
        admin = await _login(client, "admin", stack.admin_password)
        users = await _users(client, admin, args.users)
        admin_headers = {"authorization": f"Bearer {admin}"}
        reply = await client.get("/api/v1/datasets?page_size=5", headers=admin_headers)
        datasets = reply.json()
        paths = ["/api/v1/strategies", "/api/v1/datasets?page_size=20", "/api/v1/auth/me"]
        paths += [f"/api/v1/datasets/{d['id']}" for d in datasets.get("datasets", [])[:3]]
        if args.with_trainer:
            paths += ["/api/v1/training-jobs", "/api/v1/cluster"]
        owner_token, owner_id = users[0]
        topic = f"training_job/{uuid.uuid4()}"
        ws_url = (
            stack.gateway_url.replace("http://", "ws://")
            + f"/api/v1/events?access_token={owner_token}"
        )
        gateway_pid = stack.services["gateway"].pid
        rss_start = _rss_mb(gateway_pid)
        until = time.monotonic() + args.duration
        lags: list[float] = []
        got: list[int] = []
        subs = [asyncio.create_task(_subscriber(ws_url, topic, until, lags, got))
                for _ in range(args.subscribers)]  # fmt: skip
        await asyncio.sleep(3)  # let every subscription join
        stats: dict = {"latencies": [], "errors": 0}
        bus = EventBus(stack.redis_url)
        published = 0

        async def publish() -> None:
            nonlocal published
            while time.monotonic() < until:
                await bus.publish(topic, owner_id, "training_progress",
                                  {"job_id": "bench", "step": published, "total_steps": 0,
                                   "fraction": time.time()})  # fmt: skip
                published += 1
                await asyncio.sleep(1 / args.event_rate)

        began = time.monotonic()
        workers = [
            asyncio.create_task(_worker(client, token, paths, until, stats)) for token, _ in users
        ]
        await asyncio.gather(*workers, publish())
        elapsed = time.monotonic() - began
        await asyncio.gather(*subs, return_exceptions=True)
        await bus.close()
        rss_end = _rss_mb(gateway_pid)
    n = len(stats["latencies"])
    _emit(
        "gateway_load.throughput",
        n / elapsed,
        "req/s",
        n,
        users=args.users,
        seconds=round(elapsed, 1),
    )
    _emit("gateway_load.latency_p50", _pct(stats["latencies"], 0.5) * 1000, "ms", n)
    _emit("gateway_load.latency_p99", _pct(stats["latencies"], 0.99) * 1000, "ms", n)
    _emit("gateway_load.errors", stats["errors"], "count", n)
    _emit("gateway_load.events_min_delivered", min(got) if got else 0, "events", published,
          subscribers=args.subscribers)  # fmt: skip
    _emit("gateway_load.event_lag_p99", _pct(lags, 0.99) * 1000, "ms", len(lags))
    _emit("gateway_load.gateway_rss", rss_end, "MiB", 2, start_mib=round(rss_start, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--event-rate", type=float, default=10.0)
    parser.add_argument("--with-trainer", action="store_true")
    args = parser.parse_args()
    services = ("strategy", "notifier", "gateway") + (("trainer",) if args.with_trainer else ())
    root = Path(tempfile.mkdtemp(prefix="tm-load-"))
    root.chmod(0o755)
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "trademaster"
    extra = {"TM_STRATEGY_EXTRA_DATA_DIRS": str(shared)} if shared.is_dir() else {}
    stack = Stack(
        StackConfig(
            work_dir=root / "stack", services=services, startup_timeout_s=180, extra_env=extra
        )
    )
    try:
        stack.start()
        asyncio.run(run(args, stack))
    finally:
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
