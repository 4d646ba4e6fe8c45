"""Start-up wiring of the notifier: Redis and the fan-out for events; with a database, the
alert store, the alert engine on the event feed and the deliverer."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from trademaster.api.notifier.v1 import notifier_pb2, notifier_pb2_grpc
from trademaster.service.db import apply_migrations, create_pool
from trademaster.service.events import EventBus, redis_client
from trademaster.service.server import ServiceParts
from trademaster.service.settings import ServiceSettings

from tm_notifier.alert_delivery import Deliverer, DeliverySettings
from tm_notifier.alert_engine import AlertEngine, RuleCache
from tm_notifier.alert_store import AlertStore
from tm_notifier.config import NotifierSettings
from tm_notifier.fanout import FanOut
from tm_notifier.servicer import NotifierServicer

_LOGGER = logging.getLogger(__name__)

SERVICE_NAME = "notifier"
SCHEMA = "notifier"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
FULL_SERVICE_NAME = notifier_pb2.DESCRIPTOR.services_by_name["NotifierService"].full_name


async def build(base: ServiceSettings) -> ServiceParts:
    """Fail start-up with a clear message when Redis does not answer."""
    if not isinstance(base, NotifierSettings):
        raise TypeError(f"settings must be NotifierSettings, was {type(base).__name__}")
    settings = base
    client = await redis_client(settings.redis_url)
    _LOGGER.info("notifier.redis_ok")
    bus = EventBus(
        settings.redis_url,
        stream_prefix=settings.event_stream_prefix,
        maxlen=settings.retention_events,
        client=client,
    )
    fanout = FanOut(
        bus,
        client,
        stream_prefix=settings.event_stream_prefix,
        queue_size=settings.subscriber_queue_size,
        block_ms=settings.read_block_ms,
        retention=settings.retention_events,
    )
    on_shutdown: list[Callable[[], Awaitable[None]]] = [fanout.close, bus.close]
    store = rules = deliverer = None
    if settings.database_url:
        store, rules, deliverer = await _alerts(settings, bus, on_shutdown)
    else:
        _LOGGER.warning("notifier.alerts_disabled reason=no TM_NOTIFIER_DATABASE_URL")
    servicer = NotifierServicer(
        bus,
        fanout,
        heartbeat_s=settings.heartbeat_s,
        max_topics=settings.max_topics,
        alerts=store,
        rules=rules,
        wake=deliverer.wake if deliverer is not None else lambda: None,
    )
    return ServiceParts(
        register=lambda server: notifier_pb2_grpc.add_NotifierServiceServicer_to_server(
            servicer, server
        ),
        full_service_names=[FULL_SERVICE_NAME],
        on_shutdown=on_shutdown,
    )


async def _alerts(
    settings: NotifierSettings, bus: EventBus, on_shutdown: list[Callable[[], Awaitable[None]]]
) -> tuple[AlertStore, RuleCache, Deliverer]:
    """Migrate, then start the engine (feed consumer) and the deliverer (outbox drain)."""
    pool = await create_pool(settings.database_url, schema=SCHEMA, max_size=10)
    applied = await apply_migrations(pool, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)
    _LOGGER.info("notifier.migrations applied=%s", applied)
    store = AlertStore(pool)
    rules = RuleCache(store, settings.alert_rules_refresh_s)
    deliverer = Deliverer(store, _delivery_settings(settings), settings.delivery_poll_s)
    feed_client = await redis_client(settings.redis_url)
    engine = AlertEngine(
        feed_client,
        store,
        rules,
        feed_stream=bus.feed_stream,
        group=settings.alert_group,
        consumer=settings.alert_consumer,
        block_ms=settings.read_block_ms,
        claim_idle_s=settings.alert_claim_idle_s,
        on_alert=deliverer.wake,
    )
    await engine.start()
    deliverer.start()
    # Shutdown runs in order: stop consuming, stop delivering, then close the pool.
    on_shutdown[:0] = [engine.close, deliverer.close, pool.close, feed_client.aclose]
    return store, rules, deliverer


def _delivery_settings(settings: NotifierSettings) -> DeliverySettings:
    return DeliverySettings(
        max_attempts=settings.delivery_max_attempts,
        backoff_s=settings.delivery_backoff_s,
        backoff_max_s=settings.delivery_backoff_max_s,
        timeout_s=settings.delivery_timeout_s,
        concurrency=settings.delivery_concurrency,
        smtp_host=settings.smtp_host,
        smtp_port=settings.smtp_port,
        smtp_from=settings.smtp_from,
        smtp_starttls=settings.smtp_starttls,
        smtp_username=settings.smtp_username,
        smtp_password=settings.smtp_password.get_secret_value(),
    )
