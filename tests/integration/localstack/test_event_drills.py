"""Crash drill for the live event path: 20 WebSocket subscribers follow one topic through the
gateway while events are published; the notifier or the gateway is killed with SIGKILL and the
supervisor brings it back. Every subscriber reconnects with the last ``event_id`` it received
and must end with every published event exactly once, in order (no gap, no duplicate).
Recovery times go to TM_DRILL_REPORT (JSON lines)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from trademaster.service.events import EventBus
from trademaster.service.localstack import Stack, StackConfig
from trademaster.service.localstack.supervisor import PartStatus, Supervisor
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SUBSCRIBERS = 20
EVENTS = 200
EVENT_RATE = 20.0
RECOVERY_LIMIT_S = 180.0
"""Generous bound for a loaded 2-core machine; the measured times are reported."""


@pytest.fixture
def stack() -> Iterator[Stack]:
    root = Path(tempfile.mkdtemp(prefix="tm-event-drill-"))
    root.chmod(0o755)
    stack = Stack(
        StackConfig(
            work_dir=root / "stack",
            services=("strategy", "notifier", "gateway"),
            durable=True,
            startup_timeout_s=180,
        )
    )
    stack.start()
    yield stack
    stack.stop()
    shutil.rmtree(root, ignore_errors=True)


async def _follow(url: str, topic: str, received: list[str], done: asyncio.Event) -> int:
    """Receive ``topic`` until ``done``; reconnect after any close, resuming after the last
    event id. Returns how many times it reconnected."""
    reconnects = -1
    while not done.is_set():
        reconnects += 1
        try:
            async with connect(url, max_queue=None, open_timeout=10) as ws:
                last = received[-1] if received else ""
                await ws.send(
                    json.dumps({"type": "subscribe", "topics": [topic], "last_event_id": last})
                )
                while not done.is_set():
                    try:
                        message = json.loads(await asyncio.wait_for(ws.recv(), 1.0))
                    except TimeoutError:
                        continue
                    if message.get("type") == "training_progress":
                        received.append(message["event_id"])
        except (OSError, WebSocketException, TimeoutError):
            await asyncio.sleep(0.5)
    return reconnects


@dataclass
class _Result:
    published: list[str]
    received: list[list[str]]
    reconnects: list[int]
    recovery_s: float
    status: PartStatus


async def _drill(stack: Stack, component: str) -> _Result:
    assert stack.gateway_url is not None and stack.redis_url is not None
    supervisor = Supervisor(stack, base_delay_s=0.5)
    supervisor.poll()
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"username": "admin", "password": stack.admin_password}
        )
        login.raise_for_status()
        token, owner = login.json()["access_token"], login.json()["user"]["id"]
    url = stack.gateway_url.replace("http://", "ws://") + f"/api/v1/events?access_token={token}"
    topic = f"training_job/{uuid.uuid4()}"
    done = asyncio.Event()
    received: list[list[str]] = [[] for _ in range(SUBSCRIBERS)]
    followers = [asyncio.create_task(_follow(url, topic, got, done)) for got in received]
    await asyncio.sleep(3)  # every subscription has joined
    bus = EventBus(stack.redis_url)
    published: list[str] = []
    part = stack.parts()[component]
    pid = part.pid
    assert pid is not None
    recovery_s = float("nan")
    for index in range(EVENTS):
        payload = {"job_id": "drill", "step": index, "total_steps": EVENTS, "fraction": 0.0}
        published.append(await bus.publish(topic, owner, "training_progress", payload))
        if index == EVENTS // 4:
            began = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            while not (part.pid != pid and part.running and part.serving()):
                await asyncio.to_thread(supervisor.poll)
                assert time.monotonic() - began < RECOVERY_LIMIT_S, f"{component} stayed down"
                await asyncio.sleep(0.2)
            recovery_s = time.monotonic() - began
        await asyncio.sleep(1 / EVENT_RATE)
    deadline = time.monotonic() + RECOVERY_LIMIT_S
    while any(len(got) < EVENTS for got in received) and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    done.set()
    reconnects = await asyncio.gather(*followers)
    await bus.close()
    status = {s.name: s for s in supervisor.statuses()}[component]
    return _Result(published, received, list(reconnects), recovery_s, status)


@pytest.mark.parametrize("component", ["notifier", "gateway"])
def test_subscribers_get_every_event_once_across_a_kill_9(stack: Stack, component: str) -> None:
    result = asyncio.run(_drill(stack, component))

    out = os.environ.get("TM_DRILL_REPORT")
    if out:
        with open(out, "a") as handle:
            row = {"component": component, "recovery_s": round(result.recovery_s, 2)}
            handle.write(json.dumps({**row, "subscribers": SUBSCRIBERS}) + "\n")
    for got in result.received:
        assert got == result.published, (len(got), len(result.published))
    assert min(result.reconnects) >= 1
    assert result.status.restarts == 1
    assert "killed by signal 9" in result.status.last_exit
