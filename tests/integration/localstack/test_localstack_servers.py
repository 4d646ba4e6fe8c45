"""PostgreSQL, Redis and Ray start, answer, keep data when asked, and stop without leftovers."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from trademaster.service.localstack import (
    PostgresServer,
    RayHead,
    RedisServer,
    Stack,
    group_members,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A traversable dir with a short path (postgres user access, unix socket length)."""
    root = Path(tempfile.mkdtemp(prefix="tm-i-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_postgres_keeps_data_across_restart_and_leaves_no_process(short_dir: Path) -> None:
    server = PostgresServer(short_dir / "pg", fsync=False)
    server.start()
    pid = server.pid
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (value int)")
        conn.execute("INSERT INTO kept VALUES (42)")
    server.stop()
    assert pid is not None and group_members(pid) == []

    restarted = PostgresServer(short_dir / "pg", fsync=False)
    with restarted, psycopg.connect(restarted.dsn) as conn:
        assert conn.execute("SELECT value FROM kept").fetchone() == (42,)
        assert conn.execute("SELECT current_database()").fetchone() == ("trademaster",)


def test_redis_append_only_keeps_streams_across_restart(short_dir: Path) -> None:
    server = RedisServer(short_dir / "redis", appendonly=True)
    server.start()
    pid = server.pid
    client = redis.Redis.from_url(server.url)
    event_id = client.xadd("events", {"type": "JobStateChanged"})
    client.close()
    server.stop()
    assert pid is not None and group_members(pid) == []

    with RedisServer(short_dir / "redis", port=server.port, appendonly=True) as again:
        client = redis.Redis.from_url(again.url)
        assert [entry_id for entry_id, _ in client.xrange("events")] == [event_id]
        client.close()


def test_redis_without_append_only_starts_empty(short_dir: Path) -> None:
    with RedisServer(short_dir / "redis") as server:
        client = redis.Redis.from_url(server.url)
        client.set("k", "v")
        client.close()
    with RedisServer(short_dir / "redis") as server:
        client = redis.Redis.from_url(server.url)
        assert client.get("k") is None
        client.close()


@pytest.mark.slow
def test_ray_head_accepts_jobs_api_and_stops_its_whole_group(short_dir: Path) -> None:
    from ray.job_submission import JobSubmissionClient

    head = RayHead(short_dir / "ray", num_cpus=1, object_store_mb=100)
    head.start()
    pid = head.pid
    try:
        assert JobSubmissionClient(head.dashboard_url).list_jobs() == []
        assert head.address.startswith("127.0.0.1:")
    finally:
        head.stop()

    assert pid is not None and group_members(pid) == []
    assert not head.running


def test_session_fixtures_give_isolated_databases(postgres_dsn: str, fresh_database: str) -> None:
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE only_here (id int)")
    with psycopg.connect(postgres_dsn) as conn:
        found = conn.execute("SELECT to_regclass('public.only_here')").fetchone()
    assert found == (None,)
    assert fresh_database != postgres_dsn


def test_session_redis_fixture_answers(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    assert client.ping()
    client.close()


def test_stack_subset_serves_and_stops_cleanly(stack_factory: Callable[..., Stack]) -> None:
    stack: Stack = stack_factory(services=("notifier",))
    pids = [process.pid for process in stack.services.values()]
    redis_pid = stack.redis.pid if stack.redis else None

    assert set(stack.addresses) == {"notifier"}
    assert stack.dead_parts() == []
    assert stack.startup_seconds is not None and stack.startup_seconds < 60

    stack.stop()
    for pid in [*pids, redis_pid]:
        assert pid is not None and group_members(pid) == []
    assert os.path.exists(stack.work_dir / "logs" / "notifier.log")


@pytest.mark.slow
def test_full_stack_serves_all_six_within_60_s(stack: Stack) -> None:
    from trademaster.service.localstack.services import GRPC_SERVICES, grpc_serving, http_ready

    assert stack.startup_seconds is not None and stack.startup_seconds <= 60
    assert set(stack.addresses) == set(GRPC_SERVICES)
    for name, address in stack.addresses.items():
        assert grpc_serving(address), f"{name} at {address} is not SERVING"
    assert http_ready(f"{stack.gateway_url}/healthz")
    assert http_ready(f"{stack.gateway_url}/readyz")
    assert stack.dead_parts() == []
