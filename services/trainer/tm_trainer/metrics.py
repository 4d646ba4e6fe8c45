"""Trainer metrics read from its own table: jobs by state, queue depth, and the Ray resources
that running jobs hold (``tm_trainer_running_job_resources{resource}``)."""

from __future__ import annotations

from typing import Any

from trademaster.service.domain_metrics import (
    Poller,
    StateCounts,
    running_job_resources,
    table_state_counter,
)

JOBS_TABLE = "trainer.training_jobs"
_RESOURCES = (
    "SELECT coalesce(sum((assigned_resources->>'num_cpus')::float8), 0),"
    " coalesce(sum((assigned_resources->>'num_gpus')::float8), 0)"
    f" FROM {JOBS_TABLE} WHERE state = 'RUNNING'"
)


def trainer_metrics(pool: Any, interval_s: float = 10.0) -> Poller:
    """A poller refreshing the trainer's job metrics from ``pool`` (start/stop it)."""
    counts = StateCounts("trainer", "jobs", table_state_counter(pool, JOBS_TABLE))
    resources = running_job_resources("trainer")

    async def refresh_resources() -> None:
        async with pool.connection() as conn, conn.cursor() as cursor:
            await cursor.execute(_RESOURCES)
            row = await cursor.fetchone()
        cpus, gpus = row if row is not None else (0.0, 0.0)
        resources.labels("cpu").set(float(cpus))
        resources.labels("gpu").set(float(gpus))

    return Poller([counts.refresh, refresh_resources], interval_s)
