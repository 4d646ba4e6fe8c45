"""Risk events on the notifier's bus: per-account topics, owner-filtered by the notifier.

Events of one account go to ``risk_account/<account_id>`` with the account owner as owner_id;
global, deployment and instrument scope changes go to ``risk_global`` (owner_id empty). The type
is the ``notifier.v1.Event.payload`` field name and the payload that message's JSON. Publishing
runs in a background task, in order and pipelined (one round trip per batch), so a slow Redis
never delays an order reply; an event that cannot be published is logged and dropped (the
database stays the record).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from redis.exceptions import RedisError
from trademaster.service.events import EventBus

_LOGGER = logging.getLogger(__name__)

GLOBAL_TOPIC = "risk_global"
_MAX_BATCH = 500


def account_topic(account_id: str) -> str:
    return f"risk_account/{account_id}"


class Publisher:
    """Queue of events drained by one task onto the event bus."""

    def __init__(self, bus: EventBus | None) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[tuple[str, str, str, dict[str, Any]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.published = 0

    def start(self) -> None:
        if self._bus is not None:
            self._task = asyncio.create_task(self._run(), name="risk-events")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def account(self, account_id: str, owner: str, type_: str, payload: dict[str, Any]) -> None:
        self.emit(account_topic(account_id), owner, type_, payload)

    def emit(self, topic: str, owner: str, type_: str, payload: dict[str, Any]) -> None:
        if self._bus is not None:
            self._queue.put_nowait((topic, owner, type_, payload))

    async def drain(self) -> None:
        """Wait until every queued event was handed to Redis (tests, shutdown)."""
        while not self._queue.empty():
            await asyncio.sleep(0.01)

    async def _run(self) -> None:
        assert self._bus is not None
        while True:
            batch = [await self._queue.get()]
            while len(batch) < _MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._bus.publish_many(batch)
                self.published += len(batch)
            except (RedisError, OSError) as error:
                _LOGGER.warning(
                    "events.publish_failed events=%d first=%s error=%r",
                    len(batch),
                    batch[0][:3],
                    error,
                )
