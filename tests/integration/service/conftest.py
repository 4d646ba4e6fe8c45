"""TEMPORARY: minimal PostgreSQL and Redis fixtures until ``tests/conftest.py`` provides the
shared ``postgres_dsn`` / ``redis_url`` fixtures (then this file is deleted).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *args]


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    if shutil.which("initdb") is None:
        pytest.skip("PostgreSQL binaries (initdb) not installed")
    # Not under pytest's tmp dir: its 0700 parents are not traversable by user postgres.
    root = Path(tempfile.mkdtemp(prefix="tm-kit-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    subprocess.run(
        _as_postgres(["initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"]),
        check=True,
        capture_output=True,
    )
    port = _free_port()
    process = subprocess.Popen(
        _as_postgres(
            [
                "postgres",
                "-D",
                str(data),
                "-p",
                str(port),
                "-k",
                str(root),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    try:
        _wait(lambda: psycopg.connect(dsn, connect_timeout=1).close(), "postgres")
        yield dsn
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed")
    root: Path = tmp_path_factory.mktemp("redis")
    port = _free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(root),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait(lambda: redis.Redis.from_url(url).ping(), "redis")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait(probe, what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            probe()
            return
        except Exception as error:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} not ready after {timeout_s}s: {error}") from error
            time.sleep(0.1)
