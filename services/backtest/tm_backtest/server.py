"""Start-up wiring of the backtest service: pool, migrations, peers (strategy, trainer), worker
pool, servicer."""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from trademaster.api.backtest.v1 import backtest_pb2, backtest_pb2_grpc
from trademaster.api.strategy.v1 import strategy_pb2_grpc
from trademaster.api.trainer.v1 import trainer_pb2_grpc
from trademaster.service.artifacts import ArtifactStore
from trademaster.service.clients import insecure_channel
from trademaster.service.db import apply_migrations, create_pool
from trademaster.service.domain_metrics import Poller, StateCounts, table_state_counter
from trademaster.service.events import EventBus, redis_client
from trademaster.service.server import ServiceParts
from trademaster.service.settings import ServiceSettings
from trademaster.service.topics import REPORT_STREAM_PREFIX

from tm_backtest.config import BacktestSettings
from tm_backtest.runs import BacktestRuns
from tm_backtest.servicer import BacktestServicer, backtest_shares
from tm_backtest.spec import SpecValidator
from tm_backtest.store import BacktestStore

_LOGGER = logging.getLogger(__name__)

SERVICE_NAME = "backtest"
SCHEMA = "backtest"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
FULL_SERVICE_NAME = backtest_pb2.DESCRIPTOR.services_by_name["BacktestService"].full_name


async def build(base: ServiceSettings) -> ServiceParts:
    """Open the pool, apply migrations, start the worker processes, return the servicer."""
    settings = base if isinstance(base, BacktestSettings) else BacktestSettings(**base.model_dump())
    pool = await create_pool(settings.database_url, schema=SCHEMA)
    applied = await apply_migrations(pool, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)
    _LOGGER.info("backtest.migrations applied=%s", applied)
    settings.artifact_dir.mkdir(parents=True, exist_ok=True)

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=settings.workers, mp_context=multiprocessing.get_context("spawn")
        )

    bus = EventBus(settings.redis_url)
    client = await redis_client(settings.redis_url)
    reports = EventBus(
        settings.redis_url, stream_prefix=REPORT_STREAM_PREFIX, client=client, feed=False
    )
    trainer_channel = (
        None if settings.trainer_addr is None else insecure_channel(settings.trainer_addr)
    )
    strategy_channel = insecure_channel(settings.strategy_addr)
    store = BacktestStore(pool)
    validator = SpecValidator(
        strategy_pb2_grpc.StrategyServiceStub(strategy_channel),
        settings.artifact_dir,
        None if trainer_channel is None else trainer_pb2_grpc.TrainerServiceStub(trainer_channel),
    )
    runs = BacktestRuns(
        store,
        new_pool(),
        bus,
        reports,
        client,
        artifact_dir=settings.artifact_dir,
        redis_url=settings.redis_url,
        executor_factory=new_pool,
    )
    servicer = BacktestServicer(
        store,
        validator,
        runs,
        ArtifactStore(settings.artifact_dir),
        shares=backtest_shares(pool),
        quota=settings.quota_backtests,
    )
    requeued = await servicer.resume_unfinished()
    counts = StateCounts("backtest", "backtests", table_state_counter(pool, "backtest.backtests"))
    metrics = Poller([counts.refresh])
    metrics.start()
    _LOGGER.info("backtest.resumed requeued=%d", requeued)

    async def stop_workers() -> None:
        await servicer.close()
        runs.executor.shutdown(wait=False, cancel_futures=True)
        await bus.close()
        await client.aclose()
        await strategy_channel.close()
        if trainer_channel is not None:
            await trainer_channel.close()

    return ServiceParts(
        register=lambda server: backtest_pb2_grpc.add_BacktestServiceServicer_to_server(
            servicer, server
        ),
        full_service_names=[FULL_SERVICE_NAME],
        on_shutdown=[metrics.stop, stop_workers, pool.close],
    )
