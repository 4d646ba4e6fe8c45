"""How a running job tells its owning service what happened: reports on a private stream.

A :class:`ReportChannel` publishes ``(type, payload)`` reports (built with
:mod:`trademaster.service.payloads`) to the job's topic under
:data:`~trademaster.service.topics.REPORT_STREAM_PREFIX`, and reads the control command
(``pause``/``cancel``) the service sets for the job. It is synchronous (it owns an event loop),
so training loops and worker processes use it without threads of their own.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any

import redis.asyncio as aioredis

from trademaster.service.events import EventBus
from trademaster.service.payloads import Payload
from trademaster.service.topics import REPORT_STREAM_PREFIX, control_key

_LOGGER = logging.getLogger(__name__)

CONTROL_COMMANDS: tuple[str, ...] = ("pause", "cancel")


def finite_metrics(row: dict[str, Any]) -> dict[str, float]:
    """Numeric, finite entries of a metrics row (JSON and proto doubles carry no NaN safely)."""
    out: dict[str, float] = {}
    for key, value in row.items():
        if key in ("global_step", "partial") or isinstance(value, bool):
            continue
        if isinstance(value, int | float) and math.isfinite(float(value)):
            out[key] = float(value)
    return out


class ReportChannel:
    """Reports of one job (``topic``) to its owning service, and the job's control flag."""

    def __init__(
        self,
        redis_url: str,
        topic: str,
        owner_id: str,
        *,
        stream_prefix: str = REPORT_STREAM_PREFIX,
    ) -> None:
        self.topic = topic
        self.owner_id = owner_id
        self._loop = asyncio.new_event_loop()
        self._client = aioredis.Redis.from_url(redis_url, decode_responses=True)
        self._bus = EventBus(
            redis_url, stream_prefix=stream_prefix, client=self._client, feed=False
        )

    def close(self) -> None:
        self._loop.run_until_complete(self._bus.close())
        self._loop.close()

    def __enter__(self) -> ReportChannel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def report(self, payload: Payload) -> str:
        """Append one report; returns its event id."""
        type_, body = payload
        return self._loop.run_until_complete(
            self._bus.publish(self.topic, self.owner_id, type_, body)
        )

    def control(self) -> str | None:
        """The pending control command (``pause``/``cancel``), or None."""
        value = self._loop.run_until_complete(self._client.get(control_key(self.topic)))
        return value if value in CONTROL_COMMANDS else None

    def control_set(self) -> bool:
        """Whether any control command is pending."""
        return self.control() is not None
