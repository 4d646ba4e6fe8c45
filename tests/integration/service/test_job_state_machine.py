"""Property test of the one job state machine on the real stores: whatever sequence of guarded
updates the services attempt (in any order, with stale expectations), a stored job only ever
moves along an edge of its kind's transition table, and forbidden edges are refused."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.servers import PostgresHandle
from tm_backtest.store import BacktestStore
from tm_trainer.store import JobStore, NewJob
from trademaster.config.run import build_run_spec
from trademaster.service.db import apply_migrations, create_pool
from trademaster.service.lifecycle import BACKTEST, TRAINING_JOB, IllegalTransition, JobState

pytestmark = pytest.mark.integration

SERVICES = Path(__file__).resolve().parents[3] / "services"
STATES = [s.value for s in JobState]
Step = tuple[list[str] | None, str]
SPEC = build_run_spec("algorithmic_trading", "dqn", "synthetic")


class Harness:
    """One database and event loop for all examples of a test (pools are slow to open)."""

    def __init__(self, dsn: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.trainer_pool = self.run(self._pool(dsn, "trainer"))
        self.backtest_pool = self.run(self._pool(dsn, "backtest"))

    async def _pool(self, dsn: str, schema: str) -> Any:
        pool = await create_pool(dsn, schema=schema, max_size=2)
        await apply_migrations(
            pool, schema=schema, migrations_dir=SERVICES / schema / f"tm_{schema}" / "migrations"
        )
        return pool

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.run(self.trainer_pool.close())
        self.run(self.backtest_pool.close())
        self.loop.close()


@pytest.fixture(scope="module")
def harness(postgres_server: PostgresHandle) -> Iterator[Harness]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    h = Harness(postgres_server.create_database(name))
    yield h
    h.close()
    postgres_server.drop_database(name)


steps = st.lists(
    st.tuples(
        st.one_of(st.none(), st.lists(st.sampled_from(STATES), min_size=1, max_size=3)),
        st.sampled_from(STATES),
    ),
    min_size=1,
    max_size=12,
)
PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _walk(
    lifecycle: Any,
    start: Callable[[], Any],
    move: Callable[[Any, str, list[str] | None], Any],
    read: Callable[[Any], Any],
    plan: list[Step],
) -> None:
    ident = start()
    state = read(ident)
    assert state == lifecycle.initial
    for expected, target in plan:
        try:
            lifecycle.sources(target, expected)
            legal = True
        except IllegalTransition:
            legal = False
        if not legal:
            with pytest.raises(IllegalTransition):
                move(ident, target, expected)
            assert read(ident) == state, "a refused transition changed the stored state"
            continue
        moved = move(ident, target, expected)
        after = read(ident)
        if moved is None:
            assert after == state
        else:
            assert lifecycle.can(state, after), f"store moved {state} -> {after}"
            assert after == target
            assert expected is None or state in expected
        state = after


@PROPERTY
@given(plan=steps)
def test_training_jobs_only_move_along_the_table(harness: Harness, plan: list[Step]) -> None:
    store = JobStore(harness.trainer_pool)

    def start() -> uuid.UUID:
        new = NewJob(
            owner=f"u-{uuid.uuid4().hex[:8]}",
            strategy_id=uuid.uuid4(),
            strategy_version=1,
            run_spec=SPEC,
            overrides={},
            requested_resources={},
            request_id=None,
        )
        job, _ = harness.run(store.create(new, max_active=10**6))
        return job.id

    def move(job_id: uuid.UUID, target: str, expected: list[str] | None) -> Any:
        return harness.run(store.transition(job_id, target, expected=expected))

    def read(job_id: uuid.UUID) -> str:
        job = harness.run(store.get(job_id))
        return job.state

    _walk(TRAINING_JOB, start, move, read, plan)


@PROPERTY
@given(plan=steps)
def test_backtests_only_move_along_the_table(harness: Harness, plan: list[Step]) -> None:
    store = BacktestStore(harness.backtest_pool)

    def start() -> uuid.UUID:
        record, _ = harness.run(store.create(f"u-{uuid.uuid4().hex[:8]}", {}, "", ""))
        return record.id

    def move(backtest_id: uuid.UUID, target: str, expected: list[str] | None) -> Any:
        return harness.run(store.transition(backtest_id, target, expected=expected))

    def read(backtest_id: uuid.UUID) -> str:
        record = harness.run(store.get(backtest_id, None))
        return record.state

    _walk(BACKTEST, start, move, read, plan)
