"""Crash drill of the Ray head: kill -9 it while a training job with checkpoints runs; the
supervisor starts a new head on the same port. The job must not stay RUNNING: it either
finishes (resumed from its last checkpoint) with every metric point recorded once, or ends
FAILED with a reason. Recovery times go to TM_DRILL_REPORT (JSON lines)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from trademaster.service.localstack import Stack, StackConfig
from trademaster.service.localstack.supervisor import Supervisor

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOTAL_STEPS = 12_000
LOG_EVERY = 200
JOB_LIMIT_S = 600.0
"""Generous bound for a loaded 2-core machine; the measured times are reported."""


@pytest.fixture
def stack() -> Iterator[Stack]:
    root = Path(tempfile.mkdtemp(prefix="tm-ray-drill-"))
    root.chmod(0o755)
    # Ray's socket paths must stay short: its temp dir lives directly under /tmp.
    ray_temp = Path(tempfile.mkdtemp(prefix="tm-rd-", dir="/tmp"))  # nosec B108
    stack = Stack(
        StackConfig(
            work_dir=root / "stack",
            services=("strategy", "notifier", "trainer", "gateway"),
            durable=True,
            startup_timeout_s=180,
            ray_temp_dir=ray_temp,
        )
    )
    stack.start()
    yield stack
    stack.stop()
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(ray_temp, ignore_errors=True)


def _job(client: httpx.Client, job_id: str) -> dict[str, Any]:
    reply = client.get(f"/api/v1/training-jobs/{job_id}")
    reply.raise_for_status()
    body: dict[str, Any] = reply.json()
    return body


def _start_job(client: httpx.Client) -> str:
    strategy = client.post(
        "/api/v1/strategies",
        json={
            "name": "ray-drill",
            "task": "algorithmic_trading",
            "agent": "dqn",
            "dataset_id": "synthetic.gbm_daily.csv",
            "config": {
                "env": {"num_envs": 4, "episode_length": 64},
                "agent_params": {
                    "learning_starts": 200,
                    "buffer_size": 5000,
                    "exploration_steps": 1000,
                    "hidden_sizes": [32, 32],
                },
                "training": {
                    "total_steps": TOTAL_STEPS,
                    "log_every_steps": LOG_EVERY,
                    "checkpoint_every_steps": 1000,
                },
            },
        },
    )
    assert strategy.status_code == 201, strategy.text
    job = client.post("/api/v1/training-jobs", json={"strategy_id": strategy.json()["id"]})
    assert job.status_code == 201, job.text
    job_id: str = job.json()["id"]
    return job_id


def test_kill_9_of_the_ray_head_never_leaves_a_job_running(stack: Stack) -> None:
    assert stack.gateway_url is not None and stack.admin_password is not None
    supervisor = Supervisor(stack, base_delay_s=0.5)
    supervisor.poll()
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as client:
        login = client.post(
            "/api/v1/auth/login", json={"username": "admin", "password": stack.admin_password}
        )
        login.raise_for_status()
        client.headers["authorization"] = f"Bearer {login.json()['access_token']}"
        job_id = _start_job(client)
        began = time.monotonic()
        while not (_job(client, job_id)["checkpoint_uri"] or time.monotonic() - began > 300):
            time.sleep(1)
        before = _job(client, job_id)
        assert before["state"] == "RUNNING" and before["checkpoint_uri"], before

        ray = stack.parts()["ray"]
        pid = ray.pid
        assert pid is not None
        killed = time.monotonic()
        # The whole head at once (ray start, GCS, raylet, workers), as when its machine dies.
        os.killpg(os.getpgid(pid), signal.SIGKILL)
        while not (ray.pid != pid and ray.running and ray.serving()):
            supervisor.poll()
            assert time.monotonic() - killed < 300, "the Ray head did not come back"
            time.sleep(0.5)
        head_s = time.monotonic() - killed
        while (job := _job(client, job_id))["state"] not in ("SUCCEEDED", "FAILED", "CANCELLED"):
            supervisor.poll()
            assert time.monotonic() - killed < JOB_LIMIT_S, f"job stuck after the kill: {job}"
            time.sleep(1)
        job_s = time.monotonic() - killed
        progress_at_kill = before["progress"]["step"]
        points = client.get(
            f"/api/v1/training-jobs/{job_id}/metrics",
            params={"name": "charts/episodic_return", "page_size": 1000},
        )
    out = os.environ.get("TM_DRILL_REPORT")
    if out:
        with open(out, "a") as handle:
            row = {"component": "ray", "recovery_s": round(head_s, 2), "job": job["state"]}
            row |= {"job_settled_s": round(job_s, 2), "step_at_checkpoint": progress_at_kill}
            handle.write(json.dumps(row) + "\n")

    if job["state"] == "FAILED":
        assert job["failure_reason"], job
    else:
        assert job["state"] == "SUCCEEDED", job
        assert job["progress"]["step"] == TOTAL_STEPS
        steps = [point["step"] for point in points.json()["metrics"]]
        assert len(steps) == len(set(steps)), "a metric point was recorded twice"
