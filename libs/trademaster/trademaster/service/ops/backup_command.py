"""`./tm backup` and `./tm restore` for the local stack (state under ``var/``)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import psycopg

from trademaster.service.localstack.local import local_ports
from trademaster.service.localstack.postgres import DEFAULT_DATABASE, PostgresServer
from trademaster.service.ops import backup, pgdump
from trademaster.service.ops.paths import local_var_dir

SAFETY_DIR = "pre-restore"
"""Under the backups dir: what the stack held just before each restore."""


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--database-url",
        action="append",
        metavar="DSN",
        help="a database to include (repeatable); default: the local stack's trademaster DB",
    )
    made = commands.add_parser(
        "backup",
        parents=[common],
        help="back up every database and the artifact/dataset stores",
        description="A consistent pg_dump of each database, a copy of var/artifacts and "
        "var/datasets, and manifest.json with every checksum. Works with the stack up or down.",
    )
    made.add_argument("--out", type=Path, help="backup directory (default var/backups/<UTC time>)")
    made.set_defaults(run=run_backup)
    restore = commands.add_parser(
        "restore",
        parents=[common],
        help="restore a backup (the stack must be stopped) and verify it",
        description="Check the backup's checksums, keep the current state in "
        "var/backups/pre-restore/, replace databases and stores, then verify every table and "
        "file against the manifest. Exit status 1 when anything differs.",
    )
    restore.add_argument("backup", help="a backup directory, or 'latest' (under var/backups)")
    restore.add_argument(
        "--check", action="store_true", help="only verify the backup's files; change nothing"
    )
    restore.add_argument(
        "--force", action="store_true", help="disconnect running clients (a stack still up)"
    )
    restore.add_argument(
        "--no-safety-backup", action="store_true", help="do not back up the current state first"
    )
    restore.set_defaults(run=run_restore)


def _var_dir() -> Path:
    return local_var_dir(Path.cwd(), os.environ)


def local_plan(
    var_dir: Path, database_urls: list[str] | None, environ: Mapping[str, str]
) -> backup.BackupPlan:
    """The local stack's databases (``trademaster`` on its port) and its file stores."""
    if database_urls:
        databases = {pgdump.database_name(dsn): dsn for dsn in database_urls}
    else:
        port = local_ports(environ).postgres
        databases = {DEFAULT_DATABASE: f"postgresql://postgres@127.0.0.1:{port}/{DEFAULT_DATABASE}"}
    datasets = Path(environ.get("TM_STRATEGY_DATA_DIR") or var_dir / "datasets")
    return backup.BackupPlan(
        databases=databases, stores={"artifacts": var_dir / "artifacts", "datasets": datasets}
    )


def _reachable(dsn: str) -> bool:
    try:
        with psycopg.connect(pgdump.maintenance_dsn(dsn), connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@contextlib.contextmanager
def running_postgres(plan: backup.BackupPlan, var_dir: Path) -> Iterator[None]:
    """Use the stack's PostgreSQL when it is up; else start ``var/postgres`` for the command."""
    dsns = list(plan.databases.values())
    if all(_reachable(dsn) for dsn in dsns):
        yield
        return
    data_dir = var_dir / "postgres"
    if not (data_dir / "PG_VERSION").exists():
        raise pgdump.BackupError(
            f"no PostgreSQL answers at {', '.join(map(pgdump.redact, dsns))} and there is no "
            f"cluster in {data_dir}: start the stack (./tm up) or pass --database-url"
        )
    port = int(psycopg.conninfo.conninfo_to_dict(dsns[0]).get("port") or 5432)
    server = PostgresServer(data_dir, port, log_path=var_dir / "logs" / "postgres.log")
    with server:
        yield


def run_backup(args: argparse.Namespace) -> int:
    var_dir = _var_dir()
    plan = local_plan(var_dir, args.database_url, os.environ)
    out = args.out or backup.default_backup_dir(var_dir / "backups")
    try:
        with running_postgres(plan, var_dir):
            manifest = backup.create_backup(plan, out)
    except pgdump.BackupError as error:
        print(f"tm backup: {error}", file=sys.stderr)
        return 1
    tables = sum(len(db["tables"]) for db in manifest["databases"].values())
    files = sum(len(store["files"]) for store in manifest["stores"].values())
    print(f"backup written to {out}")
    print(f"  databases: {', '.join(manifest['databases'])} ({tables} tables)")
    print(f"  stores:    {files} files; {backup.disk_usage(out) / 1e6:.1f} MB in all")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    var_dir = _var_dir()
    plan = local_plan(var_dir, args.database_url, os.environ)
    try:
        source = (
            backup.latest_backup(var_dir / "backups")
            if args.backup == "latest"
            else Path(args.backup)
        )
        if args.check:
            problems = backup.check_backup(source)
            for line in problems:
                print(f"  {line}")
            print(f"backup {source}: {'DAMAGED' if problems else 'intact'}")
            return 1 if problems else 0
        backup.read_manifest(source)  # a wrong path fails before anything starts
        with running_postgres(plan, var_dir):
            if not args.no_safety_backup:
                _safety_backup(plan, var_dir)
            report = backup.restore_backup(source, plan, force=args.force)
    except pgdump.BackupError as error:
        print(f"tm restore: {error}", file=sys.stderr)
        return 1
    print(f"restored {source}")
    print(f"  verified: {report.tables} tables ({report.rows} rows) and {report.files} files")
    return 0


def _safety_backup(plan: backup.BackupPlan, var_dir: Path) -> None:
    existing = {n: dsn for n, dsn in plan.databases.items() if pgdump.database_exists(dsn)}
    out = backup.default_backup_dir(var_dir / "backups" / SAFETY_DIR)
    backup.create_backup(backup.BackupPlan(existing, plan.stores), out)
    print(f"current state kept in {out}")
