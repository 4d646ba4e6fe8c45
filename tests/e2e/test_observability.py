"""Observability of the whole stack: every service's /metrics, and Prometheus scraping them all.

The session stack gives each service a metrics port (tests/conftest.py); Prometheus is the
real binary (Debian's ``prometheus`` package, installed by .ci/run).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.prometheus import wait_all_up
from trademaster.service.localstack import SERVICE_NAMES, PrometheusServer, Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

COMMON = ("rpc_requests_total", "rpc_duration_seconds", "events_published_total")
DOMAIN = {
    "gateway": (
        "tm_gateway_http_requests_total",
        "tm_gateway_http_request_duration_seconds",
        "tm_gateway_websocket_connections",
        "tm_gateway_websocket_messages_total",
    ),
    "trainer": (
        "tm_trainer_jobs",
        "tm_trainer_queue_depth_jobs",
        "tm_trainer_running_job_resources",
    ),
    "backtest": ("tm_backtest_backtests", "tm_backtest_queue_depth_backtests"),
    "notifier": (
        "tm_notifier_events_delivered_total",
        "tm_notifier_events_dropped_total",
        "tm_notifier_subscribers",
        "tm_notifier_subscriber_lag_events",
    ),
    "risk": (
        "tm_risk_order_decisions_total",
        "tm_risk_check_duration_seconds",
        "tm_risk_kill_switch_engaged",
    ),
    "strategy": (),
}


def _families(text: str) -> set[str]:
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}


@pytest.fixture(scope="module")
def metrics(stack: Stack) -> dict[str, set[str]]:
    assert stack.gateway_url is not None
    # One routed request, so the HTTP families have a sample with a route template.
    assert httpx.get(f"{stack.gateway_url}/api/v1/auth/me", timeout=30).status_code == 401
    found = {}
    for name, address in stack.metrics_addresses.items():
        reply = httpx.get(f"http://{address}/metrics", timeout=30)
        assert reply.status_code == 200, name
        found[name] = _families(reply.text)
        if name == "gateway":
            assert 'route="/api/v1/auth/me",status="401"' in reply.text
    return found


def test_every_service_serves_its_metrics(metrics: dict[str, set[str]]) -> None:
    assert set(metrics) == set(SERVICE_NAMES)
    for service, families in metrics.items():
        for suffix in COMMON:
            assert f"tm_{service}_{suffix}" in families, (service, suffix)
        for name in DOMAIN[service]:
            assert name in families, (service, name)


def test_metrics_listen_on_loopback_only(stack: Stack) -> None:
    for address in stack.metrics_addresses.values():
        assert address.startswith("127.0.0.1:")
    log = Path(stack.work_dir / "logs" / "strategy.jsonl").read_text()
    assert "metrics.ready host=127.0.0.1" in log


@pytest.fixture(scope="module")
def prometheus(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrometheusServer]:
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus binary not installed (apt-get install prometheus; .ci/run does)")
    server = PrometheusServer(
        tmp_path_factory.mktemp("prometheus"), stack.metrics_addresses, scrape_interval_s=1
    )
    with server:
        yield server


def test_prometheus_scrapes_every_service(prometheus: PrometheusServer) -> None:
    jobs = {f"tm-{name}" for name in SERVICE_NAMES}
    assert wait_all_up(prometheus, jobs) == dict.fromkeys(jobs, "up")
