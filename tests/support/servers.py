"""Real PostgreSQL and Redis for tests: testcontainers when Docker is reachable, else local
binaries supervised by `trademaster.service.localstack` (the same code as `./tm up`)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from trademaster.service.localstack import PostgresServer, RedisServer

_LOGGER = logging.getLogger(__name__)

# Docker absent (no socket) or refusing: testcontainers raises one of these quickly.
_NO_DOCKER: tuple[type[BaseException], ...] = (ConnectionError, OSError)
try:
    from docker.errors import DockerException

    _NO_DOCKER = (*_NO_DOCKER, DockerException)
except ImportError:
    pass


def containers_wanted() -> bool:
    """`TM_TESTCONTAINERS=never` skips the Docker attempt (default `auto`)."""
    return os.environ.get("TM_TESTCONTAINERS", "auto").lower() != "never"


@dataclass
class PostgresHandle:
    """A running PostgreSQL: `dsn` of database `trademaster` and how to stop it."""

    dsn: str
    admin_dsn: str
    stop: Callable[[], None]
    origin: str

    def create_database(self, name: str) -> str:
        """Create an empty database and return its DSN."""
        with psycopg.connect(self.admin_dsn, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn.rsplit("/", 1)[0] + f"/{name}"

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@dataclass
class RedisHandle:
    url: str
    stop: Callable[[], None]
    origin: str


def start_postgres(root: Path) -> PostgresHandle:
    """PostgreSQL 15 in a container if possible, else from local binaries under `root`."""
    if containers_wanted():
        try:
            from testcontainers.community.postgres import PostgresContainer

            container = PostgresContainer("postgres:15-alpine", dbname="trademaster", driver=None)
            container.start()
        except _NO_DOCKER as error:
            _LOGGER.info("no Docker engine (%s); using local PostgreSQL binaries", error)
        else:
            dsn = container.get_connection_url()
            return PostgresHandle(
                dsn=dsn,
                admin_dsn=dsn.rsplit("/", 1)[0] + "/postgres",
                stop=container.stop,
                origin="testcontainers",
            )
    server = PostgresServer(root / "postgres", fsync=False, log_path=root / "postgres.log")
    server.start()
    return PostgresHandle(
        dsn=server.dsn, admin_dsn=server.dsn_for("postgres"), stop=server.stop, origin="local"
    )


def start_redis(root: Path) -> RedisHandle:
    """Redis in a container if possible, else a local redis-server under `root`."""
    if containers_wanted():
        try:
            from testcontainers.community.redis import RedisContainer

            container = RedisContainer("redis:7-alpine")
            container.start()
        except _NO_DOCKER as error:
            _LOGGER.info("no Docker engine (%s); using local redis-server", error)
        else:
            host = container.get_container_host_ip()
            port = container.get_exposed_port(6379)
            return RedisHandle(
                url=f"redis://{host}:{port}/0", stop=container.stop, origin="testcontainers"
            )
    server = RedisServer(root / "redis", appendonly=False)
    server.start()
    return RedisHandle(url=server.url, stop=server.stop, origin="local")
