"""Start-up wiring of the risk service: pool, migrations, hot state, writer, venues (paper, and
the live adapter of each live account), market data, events, servicer, and reconciliation of
in-flight orders (``tm_risk.reconcile``) and of live accounts (``tm_risk.venue_sync``)."""

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
from tm_risk.compliance_store import ComplianceReader
from tm_risk.config import RiskSettings
from tm_risk.deadman import DeadMan
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
from tm_risk.venue_sync import LiveReconciler
from tm_risk.venues import credentials
from tm_risk.venues.credentials import VenueCredentials
from tm_risk.venues.paper import PaperVenue
from tm_risk.venues.router import VenueRouter
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


async def _venues(
    settings: RiskSettings, runtime: Runtime, writer: Writer, secrets: dict[str, VenueCredentials]
) -> VenueRouter:
    """The paper venue (working orders restored) and each live account's adapter, connected."""
    router = VenueRouter(paper_venue(settings))
    await _attach_live(runtime, router, secrets)
    await router.connect()
    settled = await restore(runtime, router.paper, writer)
    _LOGGER.info("risk.reconciled pending_new_settled=%d", settled)
    return router


async def _attach_live(
    runtime: Runtime, router: VenueRouter, secrets: dict[str, VenueCredentials]
) -> None:
    """Bind each live account to its venue; one without credentials is refused every order."""
    for account in runtime.accounts.values():
        if account.row.mode != "LIVE":
            continue
        creds = secrets.get(credentials.key(account.row.owner, account.row.name))
        if creds is None:
            _LOGGER.error("risk.live_account_without_credentials account=%s", account.key)
            router.refuse(account.key, "no venue credentials configured for this live account")
            continue
        instruments = tuple(sorted({o.instrument_id for o in account.orders.values()}))
        await router.attach(account.key, creds, instruments)


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
    secrets = credentials.load(settings.venue_secrets_file)
    venue = await _venues(settings, runtime, writer, secrets)
    paper = venue.paper
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
    commands = Commands(runtime, writer, reader, venue, secrets)
    deadman = DeadMan(runtime, states, check_interval_s=settings.deadman_check_interval_s)
    deadman.start()
    servicer = RiskServicer(
        runtime,
        reader,
        orders,
        states,
        kill,
        commands,
        ModifyDesk(orders, writer, venue, states),
        ComplianceReader(pool),
        deadman,
    )

    redis = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
    feed = MarketDataFeed(redis, settings.market_data_stream)

    def on_bar(bar: Bar, received_ns: int) -> None:
        orders.on_bar(bar.instrument_id, bar.close, received_ns)
        paper.on_bar(bar, received_ns)

    feed.listen(on_bar)
    await feed.start()

    async def venue_events() -> None:
        async for event in venue.events():
            try:
                await orders.on_venue_event(event)
            except Exception:  # noqa: BLE001 - one bad event must not stop order handling
                _LOGGER.exception("risk.venue_event_failed order=%s", event.client_order_id)

    events_task = asyncio.create_task(venue_events(), name="venue-events")
    live_sync = LiveReconciler(
        runtime, venue, orders, states, interval_s=settings.venue_sync_interval_s
    )
    await live_sync.run_once()  # on start: missing fills booked, failing accounts REDUCING
    live_sync.start()

    async def stop() -> None:
        await deadman.close()
        await live_sync.close()
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
