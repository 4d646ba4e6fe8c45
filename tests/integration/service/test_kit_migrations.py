from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import psycopg
import pytest
from trademaster.service.db import MigrationError, apply_migrations, create_pool

pytestmark = pytest.mark.integration


def _write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


_FILES = {
    "0001_create_jobs.sql": "CREATE TABLE jobs (id text PRIMARY KEY, state text NOT NULL);",
    "0002_add_owner.sql": (
        "ALTER TABLE jobs ADD COLUMN owner text;\nCREATE INDEX jobs_owner ON jobs (owner);"
    ),
}


def _schema() -> str:
    return f"t_{uuid.uuid4().hex[:10]}"


async def test_second_run_applies_nothing(postgres_dsn: str, tmp_path: Path) -> None:
    schema = _schema()
    migrations = _write(tmp_path / "m", _FILES)

    first = await apply_migrations(postgres_dsn, schema=schema, migrations_dir=migrations)
    second = await apply_migrations(postgres_dsn, schema=schema, migrations_dir=migrations)

    assert first == ["0001_create_jobs", "0002_add_owner"]
    assert second == []
    with psycopg.connect(postgres_dsn) as conn:
        rows = conn.execute(
            f"SELECT version, name FROM {schema}.schema_migrations ORDER BY version"
        ).fetchall()
        columns = conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = 'jobs' ORDER BY ordinal_position",
            (schema,),
        ).fetchall()
    assert rows == [(1, "create_jobs"), (2, "add_owner")]
    assert [c for (c,) in columns] == ["id", "state", "owner"]


async def test_new_file_is_applied_on_next_run(postgres_dsn: str, tmp_path: Path) -> None:
    schema = _schema()
    migrations = _write(tmp_path / "m", {"0001_create_jobs.sql": _FILES["0001_create_jobs.sql"]})
    await apply_migrations(postgres_dsn, schema=schema, migrations_dir=migrations)
    _write(migrations, {"0002_add_owner.sql": _FILES["0002_add_owner.sql"]})

    applied = await apply_migrations(postgres_dsn, schema=schema, migrations_dir=migrations)

    assert applied == ["0002_add_owner"]


async def test_concurrent_appliers_apply_each_migration_once(
    postgres_dsn: str, tmp_path: Path
) -> None:
    schema = _schema()
    migrations = _write(
        tmp_path / "m",
        {
            **_FILES,
            # Not idempotent: a second application would fail or double the row.
            "0003_seed.sql": "INSERT INTO jobs (id, state) VALUES ('seed', 'QUEUED');",
        },
    )

    results = await asyncio.gather(
        *(
            apply_migrations(postgres_dsn, schema=schema, migrations_dir=migrations)
            for _ in range(5)
        )
    )

    applied = sorted(label for result in results for label in result)
    assert applied == ["0001_create_jobs", "0002_add_owner", "0003_seed"]
    with psycopg.connect(postgres_dsn) as conn:
        (seed_rows,) = conn.execute(f"SELECT count(*) FROM {schema}.jobs").fetchone()
        (ledger_rows,) = conn.execute(f"SELECT count(*) FROM {schema}.schema_migrations").fetchone()
    assert (seed_rows, ledger_rows) == (1, 3)


async def test_changed_applied_file_is_refused(postgres_dsn: str, tmp_path: Path) -> None:
    schema = _schema()
    migrations = _write(tmp_path / "m", _FILES)
    await apply_migrations(postgres_dsn, schema=schema, migrations_dir=migrations)
    _write(migrations, {"0001_create_jobs.sql": "CREATE TABLE jobs (id bigint PRIMARY KEY);"})

    with pytest.raises(MigrationError, match="0001_create_jobs.sql was changed"):
        await apply_migrations(postgres_dsn, schema=schema, migrations_dir=migrations)


async def test_failing_migration_rolls_back_and_names_file(
    postgres_dsn: str, tmp_path: Path
) -> None:
    schema = _schema()
    migrations = _write(
        tmp_path / "m",
        {**_FILES, "0003_broken.sql": "CREATE TABLE ok_part (x int);\nSELECT no_such_column;"},
    )

    with pytest.raises(MigrationError, match="0003_broken.sql failed"):
        await apply_migrations(postgres_dsn, schema=schema, migrations_dir=migrations)

    with psycopg.connect(postgres_dsn) as conn:
        (ledger_rows,) = conn.execute(f"SELECT count(*) FROM {schema}.schema_migrations").fetchone()
        (ok_part,) = conn.execute("SELECT to_regclass(%s)", (f"{schema}.ok_part",)).fetchone()
    assert ledger_rows == 2
    assert ok_part is None


def test_badly_named_file_is_refused(tmp_path: Path) -> None:
    migrations = _write(tmp_path / "m", {"1_jobs.sql": "SELECT 1;"})

    with pytest.raises(MigrationError, match="was 1_jobs.sql"):
        asyncio.run(apply_migrations("postgresql://unused", schema="x", migrations_dir=migrations))


async def test_pool_uses_schema_as_search_path(postgres_dsn: str, tmp_path: Path) -> None:
    schema = _schema()
    pool = await create_pool(postgres_dsn, max_size=2, schema=schema)
    try:
        applied = await apply_migrations(
            pool, schema=schema, migrations_dir=_write(tmp_path / "m", _FILES)
        )
        async with pool.connection() as conn:
            await conn.execute("INSERT INTO jobs (id, state) VALUES ('j1', 'RUNNING')")
        with psycopg.connect(postgres_dsn) as conn:
            rows = conn.execute(f"SELECT id, state FROM {schema}.jobs").fetchall()
    finally:
        await pool.close()
    assert applied == ["0001_create_jobs", "0002_add_owner"]
    assert rows == [("j1", "RUNNING")]


async def test_create_pool_to_closed_port_fails_clearly() -> None:
    with pytest.raises(ConnectionError, match="cannot connect to PostgreSQL at 127.0.0.1:1/x"):
        await create_pool("postgresql://u@127.0.0.1:1/x", timeout_s=1.0)
