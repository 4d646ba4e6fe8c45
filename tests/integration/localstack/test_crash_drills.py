"""Crash drills: kill -9 each part of a real stack during writes; the supervisor brings it
back with every committed write intact. Recovery times go to TM_DRILL_REPORT (JSON lines)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from trademaster.service.localstack import Stack, StackConfig
from trademaster.service.localstack.supervisor import Supervisor

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RECOVERY_LIMIT_S = 180.0
"""Generous bound for a loaded 2-core machine; the measured times are reported."""


@pytest.fixture
def stack() -> Iterator[Stack]:
    root = Path(tempfile.mkdtemp(prefix="tm-drill-"))
    root.chmod(0o755)
    stack = Stack(
        StackConfig(
            work_dir=root / "stack", services=("strategy",), durable=True, startup_timeout_s=180
        )
    )
    stack.start()
    yield stack
    stack.stop()
    shutil.rmtree(root, ignore_errors=True)


def _recover(stack: Stack, supervisor: Supervisor, name: str) -> float:
    part = stack.parts()[name]
    pid = part.pid
    assert pid is not None
    began = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    while True:
        supervisor.poll()
        if part.pid != pid and part.running and part.serving():
            return time.monotonic() - began
        assert time.monotonic() - began < RECOVERY_LIMIT_S, f"{name} did not come back"
        time.sleep(0.2)


def test_kill_9_of_postgres_redis_and_a_service_loses_no_committed_write(stack: Stack) -> None:
    supervisor = Supervisor(stack, base_delay_s=0.5)
    supervisor.poll()
    assert stack.database_url is not None and stack.redis_url is not None
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE drill (id int PRIMARY KEY, note text NOT NULL)")
        for i in range(500):
            conn.execute("INSERT INTO drill VALUES (%s, %s)", (i, f"row {i}"))
    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    stream_ids = [client.xadd("tm:events:drill", {"n": str(i)}) for i in range(200)]
    client.close()
    # Redis appends every write to its AOF at once and fsyncs it every second (appendfsync
    # everysec): what was acknowledged more than a second before a crash is on disk.
    time.sleep(1.5)

    report = [
        (name, _recover(stack, supervisor, name)) for name in ("postgres", "redis", "strategy")
    ]

    with psycopg.connect(stack.database_url) as conn:
        count, distinct = conn.execute("SELECT count(*), count(DISTINCT id) FROM drill").fetchone()
    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    kept = [entry_id for entry_id, _ in client.xrange("tm:events:drill")]
    client.close()
    statuses = {s.name: s for s in supervisor.statuses()}
    out = os.environ.get("TM_DRILL_REPORT")
    if out:
        with open(out, "a") as handle:
            for name, seconds in report:
                handle.write(
                    json.dumps({"component": name, "recovery_s": round(seconds, 2)}) + "\n"
                )

    assert (count, distinct) == (500, 500)
    assert kept == stream_ids
    assert all(statuses[name].restarts == 1 for name, _ in report)
    assert all("killed by signal 9" in statuses[name].last_exit for name, _ in report)
