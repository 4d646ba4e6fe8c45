"""Fan-out of Redis streams to subscribers: one reader per followed topic, one bounded queue per
subscriber, so a slow subscriber is dropped instead of slowing the others or growing memory.

Each event is converted to its ``SubscribeResponse`` once per topic reader, not once per
subscriber: with many subscribers on one topic the conversion was most of the fan-out cost.

A subscriber joins before it reads its backlog: ``join`` returns, per topic, the id of the last
event the topic's reader handed out. The subscriber reads the backlog up to that id itself and
the reader delivers everything after it, so resuming has no gap and no duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from trademaster.api.notifier.v1 import notifier_pb2
from trademaster.service.domain_metrics import notifier_metrics
from trademaster.service.events import EventBus, EventEnvelope, split_event_id

from tm_notifier.envelopes import EnvelopeError, to_event

_LOGGER = logging.getLogger(__name__)

_READ_COUNT = 500
_RETRY_DELAY_S = 1.0
_TRIM_EVERY_S = 1.0


def stream_id_key(stream_id: str) -> tuple[int, int]:
    """Sort key of a Redis stream id ``"<ms>-<seq>"``."""
    millis, _, seq = stream_id.partition("-")
    return int(millis), int(seq or 0)


@dataclass(frozen=True, slots=True)
class Delivery:
    """A live event and its wire form, shared read-only by every subscriber of the topic."""

    envelope: EventEnvelope
    response: notifier_pb2.SubscribeResponse | None
    """None when the envelope does not match the Event contract (logged once, never sent)."""


def delivery(envelope: EventEnvelope) -> Delivery:
    """Convert ``envelope`` once for all subscribers."""
    try:
        response = notifier_pb2.SubscribeResponse(event=to_event(envelope))
    except EnvelopeError as error:
        _LOGGER.warning("feed.bad_envelope event.id=%s error=%s", envelope.event_id, error)
        response = None
    return Delivery(envelope, response)


class Subscription:
    """One subscriber's bounded queue; marked ``dropped`` when it overflows."""

    def __init__(self, topics: Sequence[str], queue_size: int) -> None:
        self.topics = tuple(topics)
        self.queue_size = queue_size
        self.dropped = False
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue(maxsize=queue_size)
        self._wakeup = asyncio.Event()

    def offer(self, event: Delivery) -> bool:
        """Queue ``event``; False (and dropped) when the queue is full."""
        if self.dropped:
            return False
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped = True
            self._wakeup.set()
            # The overflowing event and everything still queued never reach this subscriber.
            notifier_metrics().dropped.labels("slow_subscriber").inc(1 + self._queue.qsize())
            return False
        self._wakeup.set()
        return True

    async def next(self, timeout_s: float) -> Delivery | None:
        """The next queued event, or None after ``timeout_s`` without one (or once dropped)."""
        if self._queue.empty() and not self.dropped:
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout_s)
        if self.dropped or self._queue.empty():
            return None
        notifier_metrics().delivered.inc()
        return self._queue.get_nowait()

    @property
    def lag(self) -> int:
        """Events queued for this subscriber and not yet handed to its stream."""
        return self._queue.qsize()


class TopicFeed:
    """Follows one topic's stream with XREAD BLOCK and offers each event to every subscriber."""

    def __init__(
        self,
        bus: EventBus,
        redis: aioredis.Redis,
        stream: str,
        topic: str,
        cursor: str,
        *,
        block_ms: int,
        retention: int,
    ) -> None:
        self.topic = topic
        self.cursor = cursor
        self.subscribers: set[Subscription] = set()
        self._bus = bus
        self._redis = redis
        self._stream = stream
        self._block_ms = block_ms
        self._retention = retention
        self._next_trim = 0.0
        self._task = asyncio.create_task(self._run(), name=f"feed:{topic}")

    async def _run(self) -> None:
        while True:
            try:
                events = await self._bus.read(
                    [self.topic], {self.topic: self.cursor}, self._block_ms, _READ_COUNT
                )
            except (RedisError, OSError) as error:
                _LOGGER.warning("feed.read_failed topic=%s error=%r", self.topic, error)
                await asyncio.sleep(_RETRY_DELAY_S)
                continue
            for envelope in events:
                # No await between advancing the cursor and offering: joins see a consistent cut.
                self.cursor = split_event_id(envelope.event_id)[1]
                event = delivery(envelope)
                for subscriber in list(self.subscribers):
                    if not subscriber.offer(event):
                        self.subscribers.discard(subscriber)
                        _LOGGER.warning(
                            "feed.subscriber_dropped topic=%s queue_size=%d",
                            self.topic,
                            subscriber.queue_size,
                        )
            if events:
                await self._trim()

    async def _trim(self) -> None:
        now = time.monotonic()
        if now < self._next_trim:
            return
        self._next_trim = now + _TRIM_EVERY_S
        try:
            await self._redis.xtrim(self._stream, maxlen=self._retention, approximate=True)
        except RedisError as error:
            _LOGGER.warning("feed.trim_failed topic=%s error=%r", self.topic, error)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class FanOut:
    """Topic feeds shared by all subscribers; a feed stops when its last subscriber leaves."""

    def __init__(
        self,
        bus: EventBus,
        redis: aioredis.Redis,
        *,
        stream_prefix: str,
        queue_size: int,
        block_ms: int,
        retention: int,
    ) -> None:
        if queue_size < 1:
            raise ValueError(f"queue_size must be >= 1, was {queue_size}")
        self._bus = bus
        self._redis = redis
        self._prefix = stream_prefix
        self._queue_size = queue_size
        self._block_ms = block_ms
        self._retention = retention
        self._feeds: dict[str, TopicFeed] = {}
        self._lock = asyncio.Lock()
        metrics = notifier_metrics()
        metrics.subscribers.set_function(lambda: len(self._subscriptions()))
        metrics.subscriber_lag.set_function(
            lambda: max((s.lag for s in self._subscriptions()), default=0)
        )

    def _subscriptions(self) -> set[Subscription]:
        return {s for feed in self._feeds.values() for s in feed.subscribers}

    async def join(self, topics: Sequence[str]) -> tuple[Subscription, dict[str, str]]:
        """Register a subscriber; returns it and, per topic, the last id the feed handed out."""
        subscription = Subscription(topics, self._queue_size)
        async with self._lock:
            for topic in topics:
                if topic not in self._feeds:
                    last = (await self._bus.cursors([topic], "$"))[topic]
                    self._feeds[topic] = TopicFeed(
                        self._bus,
                        self._redis,
                        f"{self._prefix}{topic}",
                        topic,
                        last,
                        block_ms=self._block_ms,
                        retention=self._retention,
                    )
            # No await from here on: registration and the cursor snapshot are one step.
            cursors = {}
            for topic in topics:
                feed = self._feeds[topic]
                feed.subscribers.add(subscription)
                cursors[topic] = feed.cursor
        return subscription, cursors

    async def leave(self, subscription: Subscription) -> None:
        """Unregister; stop feeds nobody follows any more."""
        async with self._lock:
            idle = []
            for topic in subscription.topics:
                feed = self._feeds.get(topic)
                if feed is None:
                    continue
                feed.subscribers.discard(subscription)
                if not feed.subscribers:
                    idle.append(self._feeds.pop(topic))
        for feed in idle:
            await feed.stop()

    @property
    def followed_topics(self) -> list[str]:
        return sorted(self._feeds)

    async def close(self) -> None:
        async with self._lock:
            feeds = list(self._feeds.values())
            self._feeds.clear()
        for feed in feeds:
            await feed.stop()
