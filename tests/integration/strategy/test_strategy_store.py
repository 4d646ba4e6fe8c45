"""StrategyStore against a real PostgreSQL: CRUD, owner scoping, pagination, etag conflicts."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from psycopg_pool import AsyncConnectionPool
from tm_strategy.server import MIGRATIONS_DIR, SCHEMA
from tm_strategy.store import (
    NameTaken,
    NewStrategy,
    StrategyStore,
    VersionConflict,
)
from trademaster.service.db import apply_migrations, create_pool
from trademaster.service.paging import PageTokenError

pytestmark = pytest.mark.integration


@pytest.fixture
async def store(fresh_database: str) -> AsyncIterator[StrategyStore]:
    pool: AsyncConnectionPool = await create_pool(fresh_database, schema=SCHEMA)
    await apply_migrations(pool, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)
    yield StrategyStore(pool)
    await pool.close()


def _new(owner: str, name: str, **kw: object) -> NewStrategy:
    fields = {
        "owner": owner,
        "name": name,
        "description": "",
        "task": "algorithmic_trading",
        "agent": "dqn",
        "dataset_id": "",
        "config": {"agent_params": {"gamma": 0.9}},
    } | kw
    return NewStrategy(**fields)  # type: ignore[arg-type]


async def test_crud_round_trip_keeps_old_versions(store: StrategyStore) -> None:
    created = await store.create(_new("alice", "a"))
    assert created.version == 1
    assert await store.get(created.id, "alice") == created
    updated = await store.update(created.id, "alice", {"config": {"x": 1}}, expected_version=1)
    assert updated is not None
    assert (updated.version, updated.config) == (2, {"x": 1})
    first = await store.get(created.id, "alice", version=1)
    assert first is not None and first.config == {"agent_params": {"gamma": 0.9}}
    assert await store.get(created.id, "alice", version=7) is None
    assert await store.delete(created.id, "alice", expected_version=2)
    assert await store.get(created.id, "alice") is None


async def test_owner_scoping(store: StrategyStore) -> None:
    mine = await store.create(_new("alice", "a"))
    assert await store.get(mine.id, "bob") is None
    assert await store.update(mine.id, "bob", {"name": "stolen"}) is None
    assert not await store.delete(mine.id, "bob")
    assert (await store.get(mine.id, None)) is not None  # admin scope
    assert (await store.list("bob", 10))[0] == []


async def test_pagination_is_newest_first_and_complete(store: StrategyStore) -> None:
    names = [f"s{i}" for i in range(7)]
    for name in names:
        await store.create(_new("alice", name))
    await store.create(_new("bob", "other"))
    seen, token = [], ""
    while True:
        page, token = await store.list("alice", 3, token)
        seen += [r.name for r in page]
        if not token:
            break
    assert seen == names[::-1]
    with pytest.raises(PageTokenError):
        await store.list("alice", 3, "garbage")


async def test_task_filter(store: StrategyStore) -> None:
    await store.create(_new("alice", "at"))
    await store.create(_new("alice", "pm", task="portfolio_management", agent="ppo"))
    page, _ = await store.list("alice", 10, task="portfolio_management")
    assert [r.name for r in page] == ["pm"]


async def test_stale_version_conflicts(store: StrategyStore) -> None:
    created = await store.create(_new("alice", "a"))
    await store.update(created.id, "alice", {"description": "one"}, expected_version=1)
    with pytest.raises(VersionConflict, match="at version 2, request expected version 1"):
        await store.update(created.id, "alice", {"description": "two"}, expected_version=1)
    with pytest.raises(VersionConflict):
        await store.delete(created.id, "alice", expected_version=1)


async def test_names_unique_per_owner_and_request_id_idempotent(store: StrategyStore) -> None:
    await store.create(_new("alice", "same"))
    with pytest.raises(NameTaken):
        await store.create(_new("alice", "same"))
    assert (await store.create(_new("bob", "same"))).owner == "bob"
    first = await store.create(_new("alice", "k", request_id="req-1"))
    again = await store.create(_new("alice", "k-retry", request_id="req-1"))
    assert again.id == first.id
