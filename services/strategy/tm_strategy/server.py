"""Start-up wiring of the strategy service: pool, migrations, dataset catalog, servicer."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import grpc
from trademaster.api.backtest.v1 import backtest_pb2_grpc
from trademaster.api.strategy.v1 import (
    model_registry_pb2,
    model_registry_pb2_grpc,
    strategy_pb2,
    strategy_pb2_grpc,
)
from trademaster.api.trainer.v1 import trainer_pb2_grpc
from trademaster.service.clients import insecure_channel
from trademaster.service.db import apply_migrations, create_pool
from trademaster.service.events import EventBus
from trademaster.service.server import ServiceParts
from trademaster.service.settings import ServiceSettings

from tm_strategy.config import StrategySettings
from tm_strategy.datasets import DatasetCatalog, ensure_synthetic_datasets
from tm_strategy.registry.aliases import AliasStore
from tm_strategy.registry.deployments import DeploymentStore
from tm_strategy.registry.history import RegistryHistory
from tm_strategy.registry.lineage import Lineage
from tm_strategy.registry.servicer import ModelRegistryServicer
from tm_strategy.registry.share_rpcs import model_shares
from tm_strategy.registry.store import RegistryStore
from tm_strategy.servicer import StrategyServicer
from tm_strategy.shares import ShareStore
from tm_strategy.store import StrategyStore
from tm_strategy.uploads import UserDatasets
from tm_strategy.user_datasets import UserDatasetStore

_LOGGER = logging.getLogger(__name__)

SERVICE_NAME = "strategy"
SCHEMA = "strategy"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
FULL_SERVICE_NAME = strategy_pb2.DESCRIPTOR.services_by_name["StrategyService"].full_name
REGISTRY_SERVICE_NAME = model_registry_pb2.DESCRIPTOR.services_by_name[
    "ModelRegistryService"
].full_name


def catalog_roots(settings: StrategySettings) -> list[Path]:
    """The own data dir first (it wins on equal relative paths), then the extra dirs."""
    return [settings.data_dir, *settings.extra_data_dirs]


async def _warm(catalog: DatasetCatalog) -> None:
    try:
        count = await asyncio.to_thread(catalog.warm)
    except OSError as error:
        _LOGGER.warning("strategy.catalog_warm_failed error=%s", error)
    else:
        _LOGGER.info("strategy.catalog_warm datasets=%d", count)


async def build(base: ServiceSettings) -> ServiceParts:
    """Open the pool, apply migrations, prepare the catalog and return the servicer."""
    assert isinstance(base, StrategySettings)
    settings = base
    pool = await create_pool(settings.database_url, schema=SCHEMA)
    applied = await apply_migrations(pool, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)
    _LOGGER.info("strategy.migrations applied=%s", applied)
    await asyncio.to_thread(ensure_synthetic_datasets, settings.data_dir)
    catalog = DatasetCatalog(catalog_roots(settings))
    # Describing the files takes seconds on real data: do it now, not on the first request.
    warm = asyncio.create_task(_warm(catalog))

    async def stop_warming() -> None:
        warm.cancel()

    bus = EventBus(settings.redis_url)  # dataset quality-drop events
    users = UserDatasets(
        UserDatasetStore(pool),
        catalog,
        settings.data_dir,
        max_upload_bytes=settings.max_upload_bytes,
        publish=bus.publish,
    )
    servicer = StrategyServicer(StrategyStore(pool), catalog, users=users, shares=ShareStore(pool))
    trainer_channel = insecure_channel(settings.trainer_addr) if settings.trainer_addr else None
    backtest_channel = insecure_channel(settings.backtest_addr) if settings.backtest_addr else None
    channels = [c for c in (trainer_channel, backtest_channel) if c is not None]
    registry = ModelRegistryServicer(
        RegistryStore(pool),
        AliasStore(pool),
        RegistryHistory(pool),
        DeploymentStore(pool),
        Lineage(
            None
            if trainer_channel is None
            else trainer_pb2_grpc.TrainerServiceStub(trainer_channel),
            None
            if backtest_channel is None
            else backtest_pb2_grpc.BacktestServiceStub(backtest_channel),
        ),
        shares=model_shares(pool),
    )

    def register(server: grpc.aio.Server) -> None:
        strategy_pb2_grpc.add_StrategyServiceServicer_to_server(servicer, server)
        model_registry_pb2_grpc.add_ModelRegistryServiceServicer_to_server(registry, server)

    async def close_channels() -> None:
        for channel in channels:
            await channel.close()

    return ServiceParts(
        register=register,
        full_service_names=[FULL_SERVICE_NAME, REGISTRY_SERVICE_NAME],
        on_shutdown=[stop_warming, close_channels, pool.close, bus.close],
    )
