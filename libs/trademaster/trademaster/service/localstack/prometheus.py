"""Prometheus on loopback, scraping every service's ``/metrics`` (``./tm up --monitoring``)."""

from __future__ import annotations

import json
import logging
import shutil
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from trademaster.service.localstack.processes import (
    LOOPBACK,
    ManagedProcess,
    StartupError,
    SupervisedServer,
    resolve_port,
)

_LOGGER = logging.getLogger(__name__)

INSTALL_HINT = (
    "prometheus not found on PATH: install it with `apt-get install prometheus` (Debian/Ubuntu; "
    "then stop the system service it may start) or put the binary from "
    "https://prometheus.io/download/ on PATH"
)


def scrape_config(targets: Mapping[str, str], interval_s: float) -> dict[str, object]:
    """Prometheus configuration: one job ``tm-<service>`` per target, labelled ``service``
    (the same job names and label as the Kubernetes ServiceMonitor, so rules and dashboards
    work on both)."""
    return {
        "global": {"scrape_interval": f"{interval_s:g}s", "evaluation_interval": "15s"},
        "scrape_configs": [
            {
                "job_name": f"tm-{name}",
                "metrics_path": "/metrics",
                "static_configs": [{"targets": [address], "labels": {"service": name}}],
            }
            for name, address in sorted(targets.items())
        ],
    }


class PrometheusServer(SupervisedServer):
    """``prometheus`` with its TSDB in ``data_dir``, web UI and API on loopback."""

    def __init__(
        self,
        data_dir: Path,
        targets: Mapping[str, str],
        port: int | None = None,
        *,
        scrape_interval_s: float = 5.0,
        log_path: Path | None = None,
        startup_timeout_s: float = 60.0,
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.targets = dict(targets)
        self.port = resolve_port(port)
        self.scrape_interval_s = scrape_interval_s
        self.log_path = log_path or self.data_dir / "prometheus.log"
        self.startup_timeout_s = startup_timeout_s

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> PrometheusServer:
        binary = shutil.which("prometheus")
        if binary is None:
            raise StartupError(INSTALL_HINT)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "prometheus.yml"
        # JSON is YAML: no YAML writer needed.
        config.write_text(json.dumps(scrape_config(self.targets, self.scrape_interval_s), indent=2))
        args = [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={self.data_dir / 'tsdb'}",
            "--storage.tsdb.retention.time=7d",
            f"--web.listen-address={LOOPBACK}:{self.port}",
        ]
        process = ManagedProcess("prometheus", args, log_path=self.log_path)
        self._launch(process, self._ready, self.startup_timeout_s, "GET /-/ready answering 200")
        _LOGGER.info("prometheus ready (%s, %d targets)", self.url, len(self.targets))
        return self

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1.0) as reply:
                return reply.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def target_health(self) -> dict[str, str]:
        """``{job: health}`` of the active targets (``up``, ``down`` or ``unknown``)."""
        with urllib.request.urlopen(f"{self.url}/api/v1/targets?state=active", timeout=5) as reply:
            body = json.load(reply)
        return {
            target["labels"]["job"]: target["health"] for target in body["data"]["activeTargets"]
        }
