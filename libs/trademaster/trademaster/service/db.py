"""PostgreSQL access for services: a psycopg pool per service schema, and numbered migrations.

Each service owns one schema. Migrations are ``NNNN_name.sql`` files applied in order, each in
its own transaction under a per-schema advisory lock, so replicas starting together are safe.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
import psycopg_pool
from psycopg import sql

_LOGGER = logging.getLogger(__name__)

_MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class MigrationError(RuntimeError):
    """Migrations cannot be applied safely (bad file name, edited applied file, SQL error)."""


def _check_schema(schema: str) -> None:
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"schema must match {_SCHEMA_NAME.pattern}, was {schema!r}")


async def create_pool(
    dsn: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    schema: str | None = None,
    timeout_s: float = 30.0,
) -> psycopg_pool.AsyncConnectionPool:
    """Open a pool and wait until PostgreSQL answers; ``schema`` becomes the ``search_path``.

    Raises:
        ConnectionError: no connection within ``timeout_s``; the message names the host.
    """
    if schema is not None:
        _check_schema(schema)

    async def configure(conn: psycopg.AsyncConnection) -> None:
        if schema is not None:
            await conn.execute(
                sql.SQL("SET search_path TO {}, public").format(sql.Identifier(schema))
            )
            await conn.commit()

    pool = psycopg_pool.AsyncConnectionPool(
        dsn, min_size=min_size, max_size=max_size, open=False, configure=configure
    )
    try:
        await pool.open(wait=True, timeout=timeout_s)
    except psycopg_pool.PoolTimeout as error:
        await pool.close()
        raise ConnectionError(
            f"cannot connect to PostgreSQL at {_redacted(dsn)} within {timeout_s}s"
        ) from error
    return pool


def _redacted(dsn: str) -> str:
    """DSN for messages: host/port/db only, never the password."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "<unparsable dsn>"
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql_text: str
    checksum: str

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"


def load_migrations(migrations_dir: Path) -> list[Migration]:
    """Read ``NNNN_name.sql`` files in version order; any other ``.sql`` file is an error."""
    if not migrations_dir.is_dir():
        raise MigrationError(f"migrations_dir must be a directory, was {migrations_dir}")
    migrations: dict[int, Migration] = {}
    for path in sorted(migrations_dir.glob("*.sql")):
        match = _MIGRATION_FILE.match(path.name)
        if match is None:
            raise MigrationError(
                f"migration file names must look like 0001_create_jobs.sql, was {path.name}"
            )
        version = int(match.group(1))
        if version in migrations:
            raise MigrationError(
                f"migration version {version:04d} used twice: "
                f"{migrations[version].label}.sql and {path.name}"
            )
        text = path.read_text(encoding="utf-8")
        checksum = hashlib.sha256(text.encode()).hexdigest()
        migrations[version] = Migration(version, match.group(2), text, checksum)
    return [migrations[v] for v in sorted(migrations)]


async def apply_migrations(
    pool_or_dsn: psycopg_pool.AsyncConnectionPool | str,
    *,
    schema: str,
    migrations_dir: Path,
) -> list[str]:
    """Apply pending migrations to ``schema``; return the labels applied (empty if none).

    Each migration runs in its own transaction holding
    ``pg_advisory_xact_lock(hashtext('tm-migrations:' || schema))`` and is recorded in
    ``<schema>.schema_migrations``. An applied file whose content changed raises MigrationError.
    """
    _check_schema(schema)
    migrations = load_migrations(migrations_dir)
    if isinstance(pool_or_dsn, str):
        async with await psycopg.AsyncConnection.connect(pool_or_dsn) as conn:
            return await _apply(conn, schema, migrations)
    async with pool_or_dsn.connection() as conn:
        return await _apply(conn, schema, migrations)


async def _apply(
    conn: psycopg.AsyncConnection, schema: str, migrations: list[Migration]
) -> list[str]:
    applied: list[str] = []
    # First transaction: bootstrap the ledger and refuse edited history before changing anything.
    async with conn.transaction():
        await _lock_and_bootstrap(conn, schema)
        done = await _applied_checksums(conn, schema)
    _verify_checksums(migrations, done)
    for migration in migrations:
        if migration.version in done:
            continue
        async with conn.transaction():
            await _lock_and_bootstrap(conn, schema)
            # Another starter may have applied it while we waited for the lock.
            done = await _applied_checksums(conn, schema)
            if migration.version in done:
                _verify_checksums([migration], done)
                continue
            await conn.execute(
                sql.SQL("SET LOCAL search_path TO {}, public").format(sql.Identifier(schema))
            )
            try:
                await conn.execute(migration.sql_text.encode())
            except psycopg.Error as error:
                raise MigrationError(
                    f"migration {schema}/{migration.label}.sql failed: {error}"
                ) from error
            await conn.execute(
                sql.SQL(
                    "INSERT INTO {}.schema_migrations (version, name, checksum) VALUES (%s, %s, %s)"
                ).format(sql.Identifier(schema)),
                (migration.version, migration.name, migration.checksum),
            )
        applied.append(migration.label)
        _LOGGER.info("db.migration_applied schema=%s migration=%s", schema, migration.label)
    return applied


async def _lock_and_bootstrap(conn: psycopg.AsyncConnection, schema: str) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('tm-migrations:' || %s))", (schema,))
    await conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    await conn.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {}.schema_migrations ("
            " version integer PRIMARY KEY,"
            " name text NOT NULL,"
            " checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        ).format(sql.Identifier(schema))
    )


async def _applied_checksums(conn: psycopg.AsyncConnection, schema: str) -> dict[int, str]:
    cursor = await conn.execute(
        sql.SQL("SELECT version, checksum FROM {}.schema_migrations").format(sql.Identifier(schema))
    )
    return {int(version): str(checksum) for version, checksum in await cursor.fetchall()}


def _verify_checksums(migrations: list[Migration], done: dict[int, str]) -> None:
    for migration in migrations:
        recorded = done.get(migration.version)
        if recorded is not None and recorded != migration.checksum:
            raise MigrationError(
                f"migration {migration.label}.sql was changed after it was applied "
                f"(checksum {migration.checksum[:12]}, applied {recorded[:12]}); "
                "add a new migration instead of editing an applied one"
            )
