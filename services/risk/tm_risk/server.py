"""Start-up wiring of the risk service: pool, migrations, hot state, writer, paper venue,
market data, events, servicer, and reconciliation of in-flight orders (``tm_risk.reconcile``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import redis.asyncio as aioredis
from trademaster.api.risk.v1 import risk_pb2, risk_pb2_grpc
from trademaster.backtest.config import SlippageConfig
from trademaster.service.db import apply_migrations, create_pool
from trademaster.service.domain_metrics import risk_metrics
from trademaster.service.events import EventBus
from trademaster.service.server import ServiceParts
from trademaster.service.settings import ServiceSettings

from tm_risk.commands import Commands
from tm_risk.config import RiskSettings
from tm_risk.killswitch import KillSwitch
from tm_risk.marketdata import Bar, MarketDataFeed
from tm_risk.modify import ModifyDesk
from tm_risk.orders import OrderDesk
from tm_risk.publisher import Publisher
from tm_risk.reconcile import InFlight, restore
from tm_risk.runtime import Runtime
from tm_risk.servicer import RiskServicer
from tm_risk.states import StateDesk
from tm_risk.store import RiskReader
from tm_risk.venues.paper import PaperVenue
from tm_risk.writer import Writer

_LOGGER = logging.getLogger(__name__)

SERVICE_NAME = "risk"
SCHEMA = "risk"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
FULL_SERVICE_NAME = risk_pb2.DESCRIPTOR.services_by_name["RiskService"].full_name


def paper_venue(settings: RiskSettings) -> PaperVenue:
    if settings.paper_price_impact:
        slippage = SlippageConfig(
            kind="volume_share",
            price_impact=settings.paper_price_impact,
            volume_limit=settings.paper_volume_limit,
        )
    elif settings.paper_slippage_bps:
        slippage = SlippageConfig(
            kind="fixed_bps",
            bps=settings.paper_slippage_bps,
            volume_limit=settings.paper_volume_limit,
        )
    else:
        slippage = SlippageConfig(volume_limit=settings.paper_volume_limit)
    return PaperVenue(
        fee_rate=settings.paper_fee_rate, fixed_fee=settings.paper_fixed_fee, slippage=slippage
    )


async def build(base: ServiceSettings) -> ServiceParts:
    """Open the pool, migrate, load the hot state, reconcile, start writer/feed/venue tasks."""
    settings = base if isinstance(base, RiskSettings) else RiskSettings(**base.model_dump())
    pool = await create_pool(settings.database_url, schema=SCHEMA, max_size=4)
    applied = await apply_migrations(pool, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)
    _LOGGER.info("risk.migrations applied=%s", applied)
    reader = RiskReader(pool)
    runtime = Runtime()
    await runtime.load(reader)
    # Read from the trading states at scrape time, so it is right after a restart too.
    risk_metrics().kill_switch.set_function(lambda: float(runtime.kill_switch_engaged()))
    writer = Writer(pool)
    await writer.start()
    venue = paper_venue(settings)
    await venue.connect()
    settled = await restore(runtime, venue, writer)
    _LOGGER.info("risk.reconciled pending_new_settled=%d", settled)
    bus = EventBus(settings.redis_url)
    publisher = Publisher(bus)
    publisher.start()
    states = StateDesk(runtime, writer, publisher)
    orders = OrderDesk(runtime, writer, reader, venue, publisher, states)
    kill = KillSwitch(runtime, writer, venue, orders, states, publisher)
    in_flight = InFlight(
        runtime,
        venue,
        writer,
        orders.publish_order,
        interval_s=settings.reconcile_interval_s,
        min_age_s=settings.reconcile_interval_s,
    )
    in_flight.start()
    servicer = RiskServicer(
        runtime,
        reader,
        orders,
        states,
        kill,
        Commands(runtime, writer, reader),
        ModifyDesk(orders, writer, venue, states),
    )

    redis = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
    feed = MarketDataFeed(redis, settings.market_data_stream)

    def on_bar(bar: Bar, received_ns: int) -> None:
        orders.on_bar(bar.instrument_id, bar.close, received_ns)
        venue.on_bar(bar, received_ns)

    feed.listen(on_bar)
    await feed.start()

    async def venue_events() -> None:
        async for event in venue.events():
            try:
                await orders.on_venue_event(event)
            except Exception:  # noqa: BLE001 - one bad event must not stop order handling
                _LOGGER.exception("risk.venue_event_failed order=%s", event.client_order_id)

    events_task = asyncio.create_task(venue_events(), name="venue-events")

    async def stop() -> None:
        await in_flight.close()
        await feed.close()
        events_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await events_task
        await venue.disconnect()
        await writer.close()
        await publisher.close()
        await bus.close()
        await redis.aclose()

    return ServiceParts(
        register=lambda server: risk_pb2_grpc.add_RiskServiceServicer_to_server(servicer, server),
        full_service_names=[FULL_SERVICE_NAME],
        on_shutdown=[stop, pool.close],
    )
