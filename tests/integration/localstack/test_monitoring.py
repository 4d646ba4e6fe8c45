"""``Stack(monitoring=True)`` (``./tm up --monitoring``) runs Prometheus scraping each service."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.prometheus import wait_all_up
from support.servers import PostgresHandle
from trademaster.service.localstack import Stack, StackConfig

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.skipif(
    shutil.which("prometheus") is None,
    reason="prometheus binary not installed (apt-get install prometheus; .ci/run does)",
)
def test_monitoring_stack_reports_every_target_up(
    tm_session_dir: Path, postgres_server: PostgresHandle
) -> None:
    services = ("strategy", "notifier")
    config = StackConfig(
        work_dir=tm_session_dir / "monitoring",
        services=services,
        database_url=postgres_server.create_database("monitoring"),
        monitoring=True,
    )
    with Stack(config) as stack:
        assert stack.prometheus is not None and stack.prometheus.running
        assert set(stack.metrics_addresses) == set(services)
        health = wait_all_up(stack.prometheus, {f"tm-{name}" for name in services})
        assert health == {"tm-strategy": "up", "tm-notifier": "up"}
    assert not stack.prometheus.running
