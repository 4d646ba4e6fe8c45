"""Start-up wiring of the risk service: pool, migrations, hot state, writer, paper venue,
market data, events, servicer; and reconciliation of in-flight orders after a restart."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from pathlib import Path

import redis.asyncio as aioredis
from trademaster.api.risk.v1 import risk_pb2, risk_pb2_grpc
from trademaster.backtest.config import SlippageConfig
from trademaster.risk.model import BUY, SELL
from trademaster.service.db import apply_migrations, create_pool
from trademaster.service.events import EventBus
from trademaster.service.server import ServiceParts
from trademaster.service.settings import ServiceSettings

from tm_risk import store
from tm_risk.commands import Commands
from tm_risk.config import RiskSettings
from tm_risk.killswitch import KillSwitch
from tm_risk.marketdata import Bar, MarketDataFeed
from tm_risk.orders import OrderDesk
from tm_risk.publisher import Publisher
from tm_risk.runtime import Runtime
from tm_risk.servicer import RiskServicer
from tm_risk.states import StateDesk
from tm_risk.store import RiskReader
from tm_risk.venues.adapter import VenueOrder
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


async def reconcile(runtime: Runtime, venue: PaperVenue, writer: Writer) -> int:
    """Put working orders back on the paper book; orders still PENDING_NEW (the reply or the ack
    write was lost in a crash) are settled as ACCEPTED, the paper venue holds them now."""
    settled = []
    for account in runtime.accounts.values():
        for row in account.orders.values():
            if not row.working:
                continue
            order = VenueOrder(
                account.key,
                row.client_order_id,
                row.instrument_id,
                BUY if row.side == "BUY" else SELL,
                float(row.quantity),
                row.order_type,
                None if row.limit_price is None else float(row.limit_price),
                row.time_in_force,
            )
            outcome = venue.accept(order, float(row.filled_quantity), row.broker_order_id)
            if row.status == "PENDING_NEW" and outcome.ok:
                row.status, row.broker_order_id = "ACCEPTED", outcome.broker_order_id
                row.status_reason = "reconciled after restart"
                row.updated_at = datetime.now(UTC)
                settled.append(store.update_order(row))
    if settled:
        await writer.write(settled)
    return len(settled)


async def build(base: ServiceSettings) -> ServiceParts:
    """Open the pool, migrate, load the hot state, reconcile, start writer/feed/venue tasks."""
    settings = base if isinstance(base, RiskSettings) else RiskSettings(**base.model_dump())
    pool = await create_pool(settings.database_url, schema=SCHEMA, max_size=4)
    applied = await apply_migrations(pool, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)
    _LOGGER.info("risk.migrations applied=%s", applied)
    reader = RiskReader(pool)
    runtime = Runtime()
    await runtime.load(reader)
    writer = Writer(pool)
    await writer.start()
    venue = paper_venue(settings)
    await venue.connect()
    settled = await reconcile(runtime, venue, writer)
    _LOGGER.info("risk.reconciled pending_new_settled=%d", settled)
    bus = EventBus(settings.redis_url)
    publisher = Publisher(bus)
    publisher.start()
    states = StateDesk(runtime, writer, publisher)
    orders = OrderDesk(runtime, writer, reader, venue, publisher, states)
    kill = KillSwitch(runtime, writer, venue, orders, states, publisher)
    servicer = RiskServicer(
        runtime, reader, orders, states, kill, Commands(runtime, writer, reader)
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
