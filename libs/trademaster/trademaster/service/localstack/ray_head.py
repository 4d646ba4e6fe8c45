"""A local Ray head node (GCS, raylet, dashboard / job server) on loopback."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from trademaster.service.localstack.processes import (
    LOOPBACK,
    ManagedProcess,
    StartupError,
    SupervisedServer,
    free_port,
    resolve_port,
)

_LOGGER = logging.getLogger(__name__)

# Ray creates unix sockets under its temp dir; their paths must stay below ~107 bytes.
_MAX_TEMP_DIR_CHARS = 60


class RayHead(SupervisedServer):
    """`ray start --head --block` in its own process group; stopped by signalling that group."""

    def __init__(
        self,
        temp_dir: Path,
        port: int | None = None,
        dashboard_port: int | None = None,
        *,
        num_cpus: int = 2,
        object_store_mb: int = 300,
        log_path: Path | None = None,
        startup_timeout_s: float = 90.0,
    ) -> None:
        self.temp_dir = Path(temp_dir).absolute()
        if len(str(self.temp_dir)) > _MAX_TEMP_DIR_CHARS:
            raise ValueError(
                f"Ray temp dir must be at most {_MAX_TEMP_DIR_CHARS} characters "
                f"(unix socket paths), was {len(str(self.temp_dir))}: {self.temp_dir}"
            )
        if num_cpus < 1:
            raise ValueError(f"num_cpus must be >= 1, was {num_cpus}")
        if object_store_mb < 80:
            raise ValueError(
                f"object_store_mb must be >= 80 (Ray's minimum), was {object_store_mb}"
            )
        self.port = resolve_port(port)
        self.dashboard_port = resolve_port(dashboard_port)
        self.num_cpus = num_cpus
        self.object_store_mb = object_store_mb
        self.log_path = log_path or self.temp_dir.parent / f"{self.temp_dir.name}.log"
        self.startup_timeout_s = startup_timeout_s

    @property
    def address(self) -> str:
        """GCS address for `ray.init(address=...)`."""
        return f"{LOOPBACK}:{self.port}"

    @property
    def dashboard_url(self) -> str:
        """Dashboard and job-submission endpoint for `JobSubmissionClient`."""
        return f"http://{LOOPBACK}:{self.dashboard_port}"

    def start(self) -> RayHead:
        bin_dir = Path(sys.executable).parent
        ray = bin_dir / "ray"
        if not ray.exists():
            raise StartupError(f"ray CLI not found at {ray}; install trademaster[ray]")
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(
            RAY_AUTH_MODE="disabled",
            RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",
            RAY_USAGE_STATS_ENABLED="0",
            PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        )
        args = [
            str(ray),
            "start",
            "--head",
            "--block",
            f"--port={self.port}",
            f"--node-ip-address={LOOPBACK}",
            "--include-dashboard=true",
            f"--dashboard-host={LOOPBACK}",
            f"--dashboard-port={self.dashboard_port}",
            f"--temp-dir={self.temp_dir}",
            "--disable-usage-stats",
            f"--num-cpus={self.num_cpus}",
            f"--object-store-memory={self.object_store_mb * 1024 * 1024}",
            # Ray's fixed default ports would clash between two heads on one machine.
            f"--ray-client-server-port={free_port()}",
            f"--dashboard-agent-listen-port={free_port()}",
        ]
        process = ManagedProcess(
            "ray-head",
            args,
            log_path=self.log_path,
            env=env,
            signal_group=True,
            # Raylet and the agents linger on SIGTERM; Ray holds nothing we must flush.
            stop_timeout_s=5.0,
        )
        self._launch(
            process, self._job_server_answers, self.startup_timeout_s, "answering job submission"
        )
        _LOGGER.info("ray head ready (address=%s, dashboard=%s)", self.address, self.dashboard_url)
        return self

    def serving(self) -> bool:
        return self.running and self._job_server_answers()

    def _job_server_answers(self) -> bool:
        from ray.job_submission import JobSubmissionClient

        try:
            JobSubmissionClient(self.dashboard_url).list_jobs()
        except (ConnectionError, RuntimeError, OSError):
            return False
        return True
