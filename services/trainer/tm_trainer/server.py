"""Start-up wiring of the trainer service: database, Redis, Ray, strategy client, supervisor."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from trademaster.api.backtest.v1 import backtest_pb2_grpc
from trademaster.api.risk.v1 import risk_pb2_grpc
from trademaster.api.strategy.v1 import model_registry_pb2_grpc, strategy_pb2_grpc
from trademaster.api.trainer.v1 import (
    deployment_pb2,
    deployment_pb2_grpc,
    trainer_pb2,
    trainer_pb2_grpc,
)
from trademaster.service.clients import insecure_channel
from trademaster.service.db import apply_migrations, create_pool
from trademaster.service.events import EventBus, redis_client
from trademaster.service.server import ServiceParts
from trademaster.service.settings import ServiceSettings

from tm_trainer.config import TrainerSettings
from tm_trainer.deployment_servicer import DeploymentServicer
from tm_trainer.deployment_store import DeploymentStore
from tm_trainer.deployment_supervisor import DeploymentSupervisor
from tm_trainer.metrics import trainer_metrics
from tm_trainer.promotion_desk import PromotionDesk
from tm_trainer.ray_cluster import RayCluster, dashboard_url_from_gcs
from tm_trainer.servicer import TrainerServicer, job_shares
from tm_trainer.store import JobStore
from tm_trainer.supervisor import JobSupervisor

_LOGGER = logging.getLogger(__name__)

SERVICE_NAME = "trainer"
SCHEMA = "trainer"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
FULL_SERVICE_NAME = trainer_pb2.DESCRIPTOR.services_by_name["TrainerService"].full_name
DEPLOYMENT_SERVICE_NAME = deployment_pb2.DESCRIPTOR.services_by_name["DeploymentService"].full_name


async def build(base: ServiceSettings) -> ServiceParts:
    """Open pool and clients, apply migrations, reconcile with Ray and start the supervisor."""
    assert isinstance(base, TrainerSettings)
    settings = base
    pool = await create_pool(settings.database_url, schema=SCHEMA)
    applied = await apply_migrations(pool, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)
    _LOGGER.info("trainer.migrations applied=%s", applied)
    redis = await redis_client(settings.redis_url)
    bus = EventBus(settings.redis_url, stream_prefix=settings.event_stream_prefix, client=redis)
    dashboard_url = settings.ray_dashboard_url
    if not dashboard_url:
        assert settings.ray_address is not None
        dashboard_url = await asyncio.to_thread(dashboard_url_from_gcs, settings.ray_address)
    _LOGGER.info("trainer.ray dashboard=%s", dashboard_url)
    cluster = RayCluster(dashboard_url)
    store = JobStore(pool)
    job_metrics = trainer_metrics(pool)
    job_metrics.start()
    reports = EventBus(
        settings.redis_url, stream_prefix=settings.report_stream_prefix, client=redis, feed=False
    )
    supervisor = JobSupervisor(settings, store, cluster, bus, redis, reports)
    await supervisor.start()
    channel = insecure_channel(settings.strategy_addr)
    servicer = TrainerServicer(
        settings,
        store,
        strategy_pb2_grpc.StrategyServiceStub(channel),
        cluster,
        redis,
        supervisor,
        shares=job_shares(pool),
    )

    registry_channel = insecure_channel(settings.registry_addr or settings.strategy_addr)
    risk_channel = insecure_channel(settings.risk_addr) if settings.risk_addr else None
    bt_channel = insecure_channel(settings.backtest_addr) if settings.backtest_addr else None
    backtests = backtest_pb2_grpc.BacktestServiceStub(bt_channel) if bt_channel else None
    deployments = DeploymentSupervisor(
        settings, DeploymentStore(pool), cluster, redis, reports, bus
    )
    await deployments.start()
    registry = model_registry_pb2_grpc.ModelRegistryServiceStub(registry_channel)
    risk = risk_pb2_grpc.RiskServiceStub(risk_channel) if risk_channel is not None else None
    deployment_servicer = DeploymentServicer(
        settings,
        deployments.store,
        registry,
        risk,
        redis,
        deployments,
        PromotionDesk(pool, registry, risk, bus, backtests),
    )

    def register(server: Any) -> None:
        trainer_pb2_grpc.add_TrainerServiceServicer_to_server(servicer, server)
        deployment_pb2_grpc.add_DeploymentServiceServicer_to_server(deployment_servicer, server)

    async def close_channels() -> None:
        for open_channel in (channel, registry_channel, risk_channel, bt_channel):
            if open_channel is not None:
                await open_channel.close()

    return ServiceParts(
        register=register,
        full_service_names=[FULL_SERVICE_NAME, DEPLOYMENT_SERVICE_NAME],
        on_shutdown=[
            job_metrics.stop,
            supervisor.stop,
            deployments.stop,
            close_channels,
            bus.close,
            pool.close,
        ],
    )
