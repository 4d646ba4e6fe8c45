"""The trainer's job metrics, read from a real (migrated) training_jobs table."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from prometheus_client import REGISTRY
from tm_trainer.metrics import trainer_metrics
from trademaster.service.db import create_pool
from trademaster.service.migrate import migrate

pytestmark = pytest.mark.integration


def _insert(dsn: str, state: str, resources: str | None) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO trainer.training_jobs (id, owner, strategy_id, state, run_spec,"
            " assigned_resources) VALUES (%s, 'alice', %s, %s, '{}', %s)",
            (uuid.uuid4(), uuid.uuid4(), state, resources),
        )


async def test_states_queue_depth_and_resources_of_running_jobs(fresh_database: str) -> None:
    await migrate("trainer", fresh_database)
    _insert(fresh_database, "RUNNING", '{"num_cpus": 2, "num_gpus": 1}')
    _insert(fresh_database, "RUNNING", '{"num_cpus": 1.5, "num_gpus": 0}')
    _insert(fresh_database, "SUCCEEDED", '{"num_cpus": 8, "num_gpus": 4}')  # released
    _insert(fresh_database, "QUEUED", None)
    pool = await create_pool(fresh_database, schema="trainer")
    try:
        await trainer_metrics(pool).refresh_all()
    finally:
        await pool.close()

    def value(name: str, **labels: str) -> float | None:
        return REGISTRY.get_sample_value(name, labels)

    assert value("tm_trainer_jobs", state="RUNNING") == 2
    assert value("tm_trainer_jobs", state="FAILED") == 0
    assert value("tm_trainer_queue_depth_jobs") == 1
    assert value("tm_trainer_running_job_resources", resource="cpu") == 3.5
    assert value("tm_trainer_running_job_resources", resource="gpu") == 1
