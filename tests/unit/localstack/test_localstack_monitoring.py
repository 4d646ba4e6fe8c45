"""`./tm up --monitoring` configuration: Prometheus port, scrape jobs, metrics on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from trademaster.service.localstack import SERVICE_NAMES, Stack
from trademaster.service.localstack.local import local_config, local_ports
from trademaster.service.localstack.prometheus import scrape_config
from trademaster.service.settings import ServiceSettings

pytestmark = pytest.mark.unit


def test_prometheus_port_default_and_override() -> None:
    assert local_ports({}).prometheus == 59090
    assert local_ports({"TM_LOCAL_PROMETHEUS_PORT": "19090"}).prometheus == 19090


def test_monitoring_gives_every_service_a_metrics_port(tmp_path: Path) -> None:
    config = local_config(tmp_path, {"TM_LOCAL_VAR_DIR": str(tmp_path / "var")}, monitoring=True)
    stack = Stack(config)
    assert set(stack.metrics_addresses) == set(SERVICE_NAMES)
    assert all(address.startswith("127.0.0.1:") for address in stack.metrics_addresses.values())


def test_scrape_jobs_match_the_kubernetes_job_names() -> None:
    config = scrape_config({"gateway": "127.0.0.1:1", "risk": "127.0.0.1:2"}, 5)
    jobs = {job["job_name"]: job["static_configs"][0] for job in config["scrape_configs"]}
    assert jobs == {
        "tm-gateway": {"targets": ["127.0.0.1:1"], "labels": {"service": "gateway"}},
        "tm-risk": {"targets": ["127.0.0.1:2"], "labels": {"service": "risk"}},
    }


def test_metrics_listen_on_loopback_by_default() -> None:
    settings = ServiceSettings(database_url="postgresql://x", redis_url="", jwt_secret="s" * 16)
    assert settings.metrics_host == "127.0.0.1"
