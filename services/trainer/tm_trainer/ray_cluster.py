"""The Ray cluster as the trainer sees it: submit/stop/inspect jobs over the job-submission
HTTP API, and read cluster capacity from the dashboard's state API.

Everything here is blocking (Ray's SDK uses ``requests``); the service calls it through
``asyncio.to_thread``. The trainer never joins the cluster as a driver, which keeps it light.
"""

from __future__ import annotations

import json
import logging
import shlex
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

_LOGGER = logging.getLogger(__name__)

RAY_JOB_MODULE = "trademaster.runner.training"
TERMINAL_RAY_STATUSES = frozenset({"SUCCEEDED", "FAILED", "STOPPED"})


class ClusterUnavailable(ConnectionError):
    """The Ray dashboard did not answer."""


@dataclass(frozen=True)
class ClusterResources:
    cpus: float
    gpus: float


def dashboard_url_from_gcs(gcs_address: str, timeout_s: float = 10.0) -> str:
    """Ask the GCS at ``gcs_address`` where the dashboard (job server) listens."""
    from ray._private import ray_constants
    from ray._raylet import GcsClient  # type: ignore[attr-defined]

    client = GcsClient(address=gcs_address)
    raw = client.internal_kv_get(
        b"webui:url", namespace=ray_constants.KV_NAMESPACE_DASHBOARD, timeout=timeout_s
    )
    if not raw:
        raise ClusterUnavailable(f"Ray at {gcs_address} has no dashboard URL registered")
    url = raw.decode()
    return url if url.startswith("http") else f"http://{url}"


class RayCluster:
    """Job submission and capacity of one Ray cluster, addressed by its dashboard URL."""

    def __init__(self, dashboard_url: str, *, timeout_s: float = 10.0) -> None:
        self.dashboard_url = dashboard_url.rstrip("/")
        self._timeout_s = timeout_s
        self._client: Any = None

    def _jobs(self) -> Any:
        if self._client is None:
            from ray.job_submission import JobSubmissionClient

            try:
                self._client = JobSubmissionClient(self.dashboard_url)
            except (ConnectionError, RuntimeError) as error:
                raise ClusterUnavailable(
                    f"Ray job server at {self.dashboard_url} did not answer: {error}"
                ) from error
        return self._client

    def resources(self) -> ClusterResources:
        """CPUs and GPUs of the alive nodes (Ray's logical resources)."""
        url = f"{self.dashboard_url}/api/v0/nodes?limit=1000"
        try:
            # The configured Ray dashboard URL (settings), never user input.
            with urllib.request.urlopen(url, timeout=self._timeout_s) as response:  # nosec B310
                body = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise ClusterUnavailable(f"Ray dashboard at {url} did not answer: {error}") from error
        nodes = body.get("data", {}).get("result", {}).get("result", [])
        alive = [node for node in nodes if node.get("state") == "ALIVE"]
        if not alive:
            # A head that just started answers before its node table is filled.
            raise ClusterUnavailable(f"Ray dashboard at {url} reports no alive nodes yet")
        cpus = gpus = 0.0
        for node in alive:
            total = node.get("resources_total", {})
            cpus += float(total.get("CPU", 0.0))
            gpus += float(total.get("GPU", 0.0))
        return ClusterResources(cpus=cpus, gpus=gpus)

    def submit(
        self,
        submission_id: str,
        spec_path: str,
        *,
        num_cpus: float,
        num_gpus: float,
        env_vars: dict[str, str],
        python: str = "python",
        module: str = RAY_JOB_MODULE,
    ) -> str:
        """Submit ``python -m <module> --spec <spec_path>`` (default: the training runner)."""
        entrypoint = f"{shlex.quote(python)} -m {module} --spec {shlex.quote(spec_path)}"
        kwargs: dict[str, Any] = {"entrypoint_num_cpus": num_cpus}
        if num_gpus > 0:
            kwargs["entrypoint_num_gpus"] = num_gpus
        try:
            return str(
                self._jobs().submit_job(
                    entrypoint=entrypoint,
                    submission_id=submission_id,
                    runtime_env={"env_vars": env_vars},
                    metadata={"tm.job": submission_id},
                    **kwargs,
                )
            )
        except (ConnectionError, RuntimeError) as error:
            raise ClusterUnavailable(f"cannot submit {submission_id}: {error}") from error

    def status(self, submission_id: str) -> str | None:
        """Ray's status name (PENDING, RUNNING, SUCCEEDED, FAILED, STOPPED), None if unknown."""
        try:
            return str(self._jobs().get_job_status(submission_id).value)
        except RuntimeError as error:
            if "does not exist" in str(error) or "404" in str(error):
                return None
            raise ClusterUnavailable(f"cannot read status of {submission_id}: {error}") from error
        except ConnectionError as error:
            raise ClusterUnavailable(f"cannot read status of {submission_id}: {error}") from error

    def stop(self, submission_id: str) -> bool:
        """Ask Ray to stop the job (SIGTERM, then SIGKILL); False when it was not running."""
        try:
            return bool(self._jobs().stop_job(submission_id))
        except RuntimeError as error:
            if "does not exist" in str(error) or "404" in str(error):
                return False
            raise ClusterUnavailable(f"cannot stop {submission_id}: {error}") from error
        except ConnectionError as error:
            raise ClusterUnavailable(f"cannot stop {submission_id}: {error}") from error
