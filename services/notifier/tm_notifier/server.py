"""Start-up wiring of the notifier: check Redis (its only backing store), then the servicer."""

from __future__ import annotations

import logging

import redis.asyncio as redis
from redis.exceptions import RedisError
from trademaster.api.notifier.v1 import notifier_pb2, notifier_pb2_grpc
from trademaster.service.server import ServiceParts
from trademaster.service.settings import ServiceSettings

from tm_notifier.servicer import NotifierServicer

_LOGGER = logging.getLogger(__name__)

SERVICE_NAME = "notifier"
FULL_SERVICE_NAME = notifier_pb2.DESCRIPTOR.services_by_name["NotifierService"].full_name


async def build(settings: ServiceSettings) -> ServiceParts:
    """Fail start-up with a clear message when Redis does not answer."""
    client = redis.from_url(settings.redis_url, socket_connect_timeout=5)
    try:
        await client.ping()
    except RedisError as error:
        await client.aclose()
        raise ConnectionError(f"cannot reach Redis at {settings.redis_url}: {error}") from error
    _LOGGER.info("notifier.redis_ok url=%s", settings.redis_url)
    servicer = NotifierServicer()
    return ServiceParts(
        register=lambda server: notifier_pb2_grpc.add_NotifierServiceServicer_to_server(
            servicer, server
        ),
        full_service_names=[FULL_SERVICE_NAME],
        on_shutdown=[client.aclose],
    )
