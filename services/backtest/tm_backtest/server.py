"""Start-up wiring of the backtest service: database pool, migrations, servicer."""

from __future__ import annotations

import logging
from pathlib import Path

from trademaster.api.backtest.v1 import backtest_pb2, backtest_pb2_grpc
from trademaster.service.db import apply_migrations, create_pool
from trademaster.service.server import ServiceParts
from trademaster.service.settings import ServiceSettings

from tm_backtest.servicer import BacktestServicer

_LOGGER = logging.getLogger(__name__)

SERVICE_NAME = "backtest"
SCHEMA = "backtest"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
FULL_SERVICE_NAME = backtest_pb2.DESCRIPTOR.services_by_name["BacktestService"].full_name


async def build(settings: ServiceSettings) -> ServiceParts:
    """Open the pool, apply this service's migrations, and return its servicer."""
    pool = await create_pool(settings.database_url, schema=SCHEMA)
    applied = await apply_migrations(pool, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)
    _LOGGER.info("backtest.migrations applied=%s", applied)
    servicer = BacktestServicer()
    return ServiceParts(
        register=lambda server: backtest_pb2_grpc.add_BacktestServiceServicer_to_server(
            servicer, server
        ),
        full_service_names=[FULL_SERVICE_NAME],
        on_shutdown=[pool.close],
    )
