"""Infrastructure failures: a job whose Ray worker is killed (SIGKILL, as when a node is lost) is
resubmitted once from its last checkpoint, and the second loss ends it FAILED with the reason."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import uuid

import psutil
import pytest
from google.protobuf import struct_pb2

from .conftest import State, TrainerHarness

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _runner_pids(job_id: str, attempt: int) -> list[int]:
    """The training runner process of one attempt (its spec file names both)."""
    wanted = f"{job_id}/spec-{attempt}.json"
    pids = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if "trademaster.runner.training" in cmdline and wanted in cmdline:
            pids.append(int(proc.info["pid"]))
    return pids


async def _kill_runner(job_id: str, attempt: int, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not (pids := _runner_pids(job_id, attempt)):
        assert time.monotonic() < deadline, f"no runner process of attempt {attempt}"
        await asyncio.sleep(0.2)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)


async def test_killed_worker_is_retried_from_its_checkpoint_once_then_fails(
    retry_once: TrainerHarness,
) -> None:
    owner = f"user-{uuid.uuid4().hex[:8]}"
    overrides = struct_pb2.Struct()
    overrides.update({"training": {"checkpoint_every_steps": 200}})
    job = await retry_once.create(owner, total_steps=2_000_000, overrides=overrides)

    first = await retry_once.wait_for(
        owner, job.job_id, lambda j: j.state == State.RUNNING and bool(j.checkpoint_uri), 120
    )
    await _kill_runner(job.job_id, 1)
    await _kill_runner(job.job_id, 2)
    failed = await retry_once.wait_for(owner, job.job_id, lambda j: j.state == State.FAILED, 120)

    spec = json.loads((retry_once.settings.artifact_dir / job.job_id / "spec-2.json").read_text())
    assert first.checkpoint_uri
    assert spec["attempt"] == 2
    assert spec["resume_from"], "the retry did not resume from the checkpoint"
    assert "gave up after 2 attempts" in failed.failure_reason
    assert not (retry_once.settings.artifact_dir / job.job_id / "spec-3.json").exists()
