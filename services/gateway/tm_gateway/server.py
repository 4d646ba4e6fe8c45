"""Start-up wiring of the gateway: identity DB, admin bootstrap, backends, HTTP + identity gRPC."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from psycopg_pool import AsyncConnectionPool
from trademaster.api.identity.v1 import identity_pb2_grpc
from trademaster.service.db import apply_migrations, create_pool
from trademaster.service.revocation import RevokedTokens
from trademaster.service.server import ServiceParts, write_port_file
from trademaster.service.settings import ServiceSettings
from trademaster.service.signing_keys import KeyRing

from tm_gateway.action_audit import ActionAudit
from tm_gateway.app import create_app
from tm_gateway.backends import Backends
from tm_gateway.config import GatewaySettings, IdentitySettings
from tm_gateway.identity import IdentityService
from tm_gateway.identity_servicer import FULL_SERVICE_NAME, PUBLIC_METHODS, IdentityServicer
from tm_gateway.identity_store import IdentityStore

_LOGGER = logging.getLogger(__name__)

SERVICE_NAME = "gateway"
SCHEMA = "identity"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
HTTP_START_TIMEOUT_S = 30.0


class _EmbeddedUvicorn(uvicorn.Server):
    """Uvicorn without its own signal handlers: the kit's ``serve`` owns process shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def open_identity(
    settings: IdentitySettings, keys: KeyRing | None = None
) -> tuple[AsyncConnectionPool, IdentityService]:
    """Pool + migrations + the identity service (also used by the CLI)."""
    pool = await create_pool(settings.database_url, schema=SCHEMA)
    applied = await apply_migrations(pool, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)
    _LOGGER.info("gateway.migrations applied=%s", applied)
    if not settings.redis_url:
        _LOGGER.warning("gateway.revocation_local_only reason=no TM_GATEWAY_REDIS_URL")
    identity = IdentityService(
        IdentityStore(pool),
        jwt_secret=keys or settings.jwt_keys(),
        jwt_issuer=settings.jwt_issuer,
        token_ttl_s=settings.token_ttl_s,
        revocations=RevokedTokens.from_url(settings.redis_url) if settings.redis_url else None,
    )
    return pool, identity


async def start_http(server: uvicorn.Server) -> tuple[asyncio.Task[None], int]:
    """Run uvicorn in a task; returns once it listens, with the bound port."""
    task = asyncio.create_task(server.serve())
    deadline = asyncio.get_running_loop().time() + HTTP_START_TIMEOUT_S
    while not server.started:
        if task.done():
            task.result()  # re-raises the start-up error
            raise OSError("HTTP server exited during start-up")
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"HTTP server not listening after {HTTP_START_TIMEOUT_S}s")
        await asyncio.sleep(0.02)
    port = int(server.servers[0].sockets[0].getsockname()[1])
    return task, port


async def build(base: ServiceSettings) -> ServiceParts:
    """Open the identity DB, bootstrap the admin, connect backends and start HTTP."""
    assert isinstance(base, GatewaySettings)
    settings = base
    keys = settings.jwt_keys()  # one ring: login and the HTTP API follow the same key file
    pool, identity = await open_identity(settings, keys)
    if settings.admin_username and settings.admin_password is not None:
        created = await identity.bootstrap_admin(
            settings.admin_username, settings.admin_password.get_secret_value()
        )
        _LOGGER.info("gateway.admin_bootstrap created=%s", created)
    backends = Backends(settings.backend_addresses(), settings.backend_timeout_s)
    audit = ActionAudit(pool)
    app = create_app(
        identity,
        backends,
        jwt_secret=keys,
        jwt_issuer=settings.jwt_issuer,
        static_dir=settings.static_dir,
        max_upload_bytes=settings.max_upload_bytes,
        audit=audit,
    )
    http = _EmbeddedUvicorn(
        uvicorn.Config(
            app,
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            lifespan="off",
        )
    )
    task, port = await start_http(http)
    if settings.http_port_file is not None:
        write_port_file(settings.http_port_file, port)
    _LOGGER.info("gateway.http_ready url=http://%s:%d", settings.http_host, port)

    async def stop_http() -> None:
        http.should_exit = True
        await task
        if settings.http_port_file is not None:
            settings.http_port_file.unlink(missing_ok=True)

    servicer = IdentityServicer(identity, settings.service_token_ttl_days * 86400)
    return ServiceParts(
        register=lambda server: identity_pb2_grpc.add_IdentityServiceServicer_to_server(
            servicer, server
        ),
        full_service_names=[FULL_SERVICE_NAME],
        public_methods=PUBLIC_METHODS,
        on_shutdown=[stop_http, audit.flush, backends.close, identity.close, pool.close],
    )
