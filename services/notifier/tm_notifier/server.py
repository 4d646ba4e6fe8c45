"""Start-up wiring of the notifier: Redis (its only backing store), the fan-out, the servicer."""

from __future__ import annotations

import logging

from trademaster.api.notifier.v1 import notifier_pb2, notifier_pb2_grpc
from trademaster.service.events import EventBus, redis_client
from trademaster.service.server import ServiceParts
from trademaster.service.settings import ServiceSettings

from tm_notifier.config import NotifierSettings
from tm_notifier.fanout import FanOut
from tm_notifier.servicer import NotifierServicer

_LOGGER = logging.getLogger(__name__)

SERVICE_NAME = "notifier"
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
    servicer = NotifierServicer(
        bus, fanout, heartbeat_s=settings.heartbeat_s, max_topics=settings.max_topics
    )
    return ServiceParts(
        register=lambda server: notifier_pb2_grpc.add_NotifierServiceServicer_to_server(
            servicer, server
        ),
        full_service_names=[FULL_SERVICE_NAME],
        on_shutdown=[fanout.close, bus.close],
    )
