"""Training jobs really running on Ray: success with persisted metrics and resource usage,
pause/resume giving the same result as an uninterrupted run, and cancel stopping the Ray job."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlparse

import pytest
from ray.job_submission import JobSubmissionClient
from trademaster.api.trainer.v1 import trainer_pb2

from .conftest import State, TrainerHarness

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SEED = 11
TIME_DEPENDENT = "charts/SPS"
GPU_FIELDS = ("gpu_util_percent", "gpu_memory_mib")


def _deterministic(name: str) -> bool:
    return name != TIME_DEPENDENT and not name.startswith("resources/")


def _path(uri: str) -> Path:
    return Path(urlparse(uri).path)


@pytest.fixture(scope="module")
async def baseline(trainer: TrainerHarness) -> trainer_pb2.TrainingJob:
    """An uninterrupted run of the tiny strategy with SEED, shared by the tests below."""
    job = await trainer.create("alice", seed=SEED, request_id="baseline")
    return await trainer.wait_for(
        "alice", job.job_id, lambda j: j.state in (State.SUCCEEDED, State.FAILED)
    )


async def test_created_job_runs_on_ray_and_succeeds_with_persisted_metrics(
    trainer: TrainerHarness, baseline: trainer_pb2.TrainingJob
) -> None:
    job = baseline

    assert job.state == State.SUCCEEDED, job.failure_reason
    assert job.device == "cpu"
    assert job.assigned_resources.num_cpus == 1
    assert job.progress.step == job.progress.total_steps == 1_600
    assert job.progress.fraction == 1.0
    assert "eval/sharpe_ratio" in job.final_metrics
    assert job.run_record.seed == SEED
    assert job.run_record.dataset_hash
    assert job.run_record.library_versions["torch"]
    assert _path(job.model_uri).is_file()
    assert _path(job.checkpoint_uri).is_file()
    assert job.start_time.seconds and job.end_time.seconds
    points = await trainer.metrics("alice", job.job_id)
    steps = sorted({step for step, _, _ in points})
    assert steps[0] == 200
    assert steps[-1] == 1_600
    assert len(steps) == 8
    assert {"losses/td_loss", "charts/epsilon"} <= {name for _, name, _ in points}
    assert len(points) == len({(step, name) for step, name, _ in points})


async def test_job_records_cpu_and_memory_and_no_gpu_fields_without_a_gpu(
    baseline: trainer_pb2.TrainingJob, trainer: TrainerHarness
) -> None:
    usage = dict(baseline.run_record.resource_usage)
    points = await trainer.metrics("alice", baseline.job_id)
    cpu = [value for _, name, value in points if name == "resources/cpu_percent"]
    rss = [value for _, name, value in points if name == "resources/rss_mib"]
    history = (_path(baseline.model_uri).parent / "resources.jsonl").read_text().splitlines()

    assert usage["cpu_percent_peak"] > 0 and usage["cpu_percent_mean"] > 0
    assert usage["rss_mib_peak"] >= usage["rss_mib_mean"] > 50  # torch alone is more
    assert usage["samples"] >= 1
    assert len(cpu) == len(rss) == 8 and max(rss) > 50  # one per progress row, live
    assert len(history) >= 2
    assert not any(key.startswith(GPU_FIELDS) for key in usage)


async def test_paused_job_makes_no_progress_and_resumes_to_the_uninterrupted_result(
    trainer: TrainerHarness, baseline: trainer_pb2.TrainingJob
) -> None:
    # On a fast, quiet machine the 1,600-step job can finish between two polls: try again
    # with a fresh job until one is caught mid-run (the pause is what is under test).
    for _ in range(5):
        job = await trainer.create("alice", seed=SEED)
        seen = await trainer.wait_for(
            "alice",
            job.job_id,
            lambda j: (
                (j.state == State.RUNNING and 0 < j.progress.step < 1_000)
                or j.state == State.SUCCEEDED
            ),
        )
        if seen.state == State.RUNNING:
            break
    else:
        pytest.fail("no job was caught running before step 1,000 in five tries")

    await trainer.trainer.PauseTrainingJob(
        trainer_pb2.PauseTrainingJobRequest(job_id=job.job_id),
        metadata=trainer.auth("alice"),
        timeout=10,
    )
    paused = await trainer.wait_for("alice", job.job_id, lambda j: j.state == State.PAUSED)
    await asyncio.sleep(1.5)
    still = await trainer.get("alice", paused.job_id)
    resumed = await trainer.trainer.ResumeTrainingJob(
        trainer_pb2.ResumeTrainingJobRequest(job_id=job.job_id),
        metadata=trainer.auth("alice"),
        timeout=10,
    )
    done = await trainer.wait_for(
        "alice", job.job_id, lambda j: j.state in (State.SUCCEEDED, State.FAILED)
    )

    assert paused.checkpoint_uri
    assert 0 < paused.progress.step < 1_600
    assert still.state == State.PAUSED
    assert still.progress.step == paused.progress.step
    assert resumed.job.state == State.QUEUED
    assert done.state == State.SUCCEEDED, done.failure_reason
    assert dict(done.final_metrics) == dict(baseline.final_metrics)
    mine = [p for p in await trainer.metrics("alice", done.job_id) if _deterministic(p[1])]
    theirs = [p for p in await trainer.metrics("alice", baseline.job_id) if _deterministic(p[1])]
    assert mine == theirs


async def test_cancel_stops_the_ray_job_and_is_idempotent(trainer: TrainerHarness) -> None:
    job = await trainer.create("carol", seed=SEED, total_steps=50_000)
    running = await trainer.wait_for(
        "carol", job.job_id, lambda j: j.state == State.RUNNING and j.progress.step > 0
    )
    request = trainer_pb2.CancelTrainingJobRequest(job_id=job.job_id)

    first = await trainer.trainer.CancelTrainingJob(
        request, metadata=trainer.auth("carol"), timeout=30
    )
    done = await trainer.wait_for("carol", job.job_id, lambda j: j.state == State.CANCELLED, 60)
    again = await trainer.trainer.CancelTrainingJob(
        request, metadata=trainer.auth("carol"), timeout=30
    )

    assert first.job.state in (State.CANCELLING, State.CANCELLED)
    assert again.job.state == State.CANCELLED
    assert done.end_time.seconds
    client = JobSubmissionClient(trainer_dashboard(trainer))
    submission = [
        j
        for j in client.list_jobs()
        if (j.submission_id or "").startswith(f"tm-train-{running.job_id}")
    ]
    assert submission
    # Stopped by Ray, or ended by the job itself on seeing the cancel flag (exit 0): either way
    # nothing of it runs any more and its CPU is free (below).
    assert all(j.status.is_terminal() for j in submission), [j.status for j in submission]
    status = await trainer.trainer.GetClusterStatus(
        trainer_pb2.GetClusterStatusRequest(), metadata=trainer.auth("carol"), timeout=10
    )
    assert status.cluster_reachable
    assert status.cpus_available == status.cpus_total


def trainer_dashboard(trainer: TrainerHarness) -> str:
    from tm_trainer.ray_cluster import dashboard_url_from_gcs

    assert trainer.settings.ray_address is not None
    return dashboard_url_from_gcs(trainer.settings.ray_address)
