"""Event bus on Redis Streams: one stream per topic, ``XADD`` to publish, ``XREAD`` to follow.

Event ids are ``"<topic>@<redis stream id>"`` (e.g. ``training_job/42@1716812345678-0``). A global
order across streams does not exist, so a resume cursor is per topic. Given one event id for
several topics, the named topic resumes exactly after it and the other topics resume from the
start of that event's millisecond (stream ids are server-clock milliseconds): a reconnecting
subscriber misses nothing still retained, and may see a few events of that same millisecond
again — deduplicate by ``event_id``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from trademaster.service.domain_metrics import events_published, process_service

_LOGGER = logging.getLogger(__name__)

_FROM_START = "0-0"
_ONLY_NEW = "$"
_MAX_SEQ = 2**64 - 1
FEED_SUFFIX = "@feed"
"""Appended to the stream prefix: the feed stream of every topic's events."""

# KEYS: topic stream, feed stream. ARGV: maxlen, topic, time, owner_id, type, payload, feed?
_PUBLISH_LUA = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
  'time', ARGV[3], 'owner_id', ARGV[4], 'type', ARGV[5], 'payload', ARGV[6])
if ARGV[7] == '1' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 'event_id', ARGV[2] .. '@' .. id,
    'time', ARGV[3], 'owner_id', ARGV[4], 'type', ARGV[5], 'payload', ARGV[6])
end
return id
"""


async def redis_client(url: str, *, timeout_s: float = 5.0) -> aioredis.Redis:
    """A ``redis.asyncio`` client (str responses) that answered PING.

    Raises:
        ConnectionError: Redis did not answer; the message names the URL without password.
    """
    client = aioredis.Redis.from_url(
        url, decode_responses=True, socket_connect_timeout=timeout_s, health_check_interval=30
    )
    try:
        await client.ping()
    except RedisError as error:
        await client.aclose()
        raise ConnectionError(f"cannot reach Redis at {_redacted(url)}: {error}") from error
    return client


def stream_id_key(stream_id: str) -> tuple[int, int]:
    """Sort key of a Redis stream id: ``"1700-3"`` → ``(1700, 3)``."""
    millis, _, seq = stream_id.partition("-")
    return int(millis), int(seq or 0)


def _redacted(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}"


@dataclass(frozen=True)
class EventEnvelope:
    """One event: ``event_id`` is ``<topic>@<stream id>``; payload is JSON-compatible."""

    event_id: str
    time: datetime
    topic: str
    owner_id: str
    type: str
    payload: dict[str, Any] = field(default_factory=dict)


def split_event_id(event_id: str) -> tuple[str, str]:
    """``"training_job/1@1700000000000-3"`` → ``("training_job/1", "1700000000000-3")``."""
    topic, sep, stream_id = event_id.rpartition("@")
    millis, dash, seq = stream_id.partition("-")
    if not sep or not topic or not dash or not millis.isdigit() or not seq.isdigit():
        raise ValueError(f"event_id must look like '<topic>@<ms>-<seq>', was {event_id!r}")
    return topic, stream_id


def _check_topic(topic: str) -> None:
    if not topic or "@" in topic or topic.strip() != topic:
        raise ValueError(
            f"topic must be non-empty, without '@' or surrounding spaces, was {topic!r}"
        )


class EventBus:
    """Publish and read events; topics map to streams ``<stream_prefix><topic>``."""

    def __init__(
        self,
        redis_url: str,
        *,
        stream_prefix: str = "tm:events:",
        maxlen: int = 100_000,
        client: aioredis.Redis | None = None,
        feed: bool = True,
    ) -> None:
        """``feed=False`` for private buses (runner reports): nothing follows their feed."""
        if maxlen < 1:
            raise ValueError(f"maxlen must be >= 1, was {maxlen}")
        self._client = client or aioredis.Redis.from_url(redis_url, decode_responses=True)
        self._prefix = stream_prefix
        self._maxlen = maxlen
        self._feed = feed
        self._publish = self._client.register_script(_PUBLISH_LUA)

    @property
    def feed_stream(self) -> str:
        """The private stream that holds every topic's events (see module doc)."""
        return f"{self._prefix}{FEED_SUFFIX}"

    def _publish_args(
        self, topic: str, owner_id: str, type_: str, payload: Mapping[str, Any]
    ) -> tuple[list[str], list[Any]]:
        _check_topic(topic)
        fields = _fields(owner_id, type_, payload)
        keys = [self._stream(topic), self.feed_stream]
        args = [self._maxlen, topic, fields["time"], owner_id, type_, fields["payload"]]
        args.append("1" if self._feed else "0")
        return keys, args

    async def close(self) -> None:
        await self._client.aclose()

    def _stream(self, topic: str) -> str:
        return f"{self._prefix}{topic}"

    async def publish(
        self, topic: str, owner_id: str, type: str, payload: Mapping[str, Any]
    ) -> str:
        """Append an event to ``topic`` and the feed (streams trimmed to about ``maxlen``);
        return its id."""
        keys, args = self._publish_args(topic, owner_id, type, payload)
        stream_id = await self._publish(keys=keys, args=args)
        service = process_service()
        if service is not None:
            events_published(service).labels(type).inc()
        return f"{topic}@{_text(stream_id)}"

    async def publish_many(
        self, events: Sequence[tuple[str, str, str, Mapping[str, Any]]]
    ) -> list[str]:
        """Append ``(topic, owner_id, type, payload)`` events in order in one round trip
        (a Redis pipeline); returns their ids. For producers with many events per second."""
        pipe = self._client.pipeline(transaction=False)
        for topic, owner_id, type_, payload in events:
            keys, args = self._publish_args(topic, owner_id, type_, payload)
            await self._publish(keys=keys, args=args, client=pipe)
        ids = await pipe.execute()
        return [f"{event[0]}@{_text(i)}" for event, i in zip(events, ids, strict=True)]

    async def cursors(
        self, topics: Sequence[str], after: Mapping[str, str] | str | None
    ) -> dict[str, str]:
        """Resolve ``after`` into a concrete stream id per topic (see module doc).

        ``after`` is None (from the oldest retained event), ``"$"`` (only events published
        from now on), one event id, or a mapping topic → event id / stream id / ``"$"``.
        """
        for topic in topics:
            _check_topic(topic)
        if after is None or after == "":
            return {topic: _FROM_START for topic in topics}
        if isinstance(after, str):
            if after == _ONLY_NEW:
                return {topic: await self._last_id(topic) for topic in topics}
            named, stream_id = split_event_id(after)
            millis = int(stream_id.partition("-")[0])
            same_ms = f"{millis - 1}-{_MAX_SEQ}" if millis > 0 else _FROM_START
            return {topic: stream_id if topic == named else same_ms for topic in topics}
        resolved: dict[str, str] = {}
        for topic in topics:
            cursor = after.get(topic)
            if cursor is None or cursor == "":
                resolved[topic] = _FROM_START
            elif cursor == _ONLY_NEW:
                resolved[topic] = await self._last_id(topic)
            elif "@" in cursor:
                named, stream_id = split_event_id(cursor)
                if named != topic:
                    raise ValueError(f"cursor for topic {topic!r} names topic {named!r}")
                resolved[topic] = stream_id
            else:
                resolved[topic] = cursor
        return resolved

    async def _last_id(self, topic: str) -> str:
        last = await self._client.xrevrange(self._stream(topic), count=1)
        return _text(last[0][0]) if last else _FROM_START

    async def read(
        self,
        topics: Sequence[str],
        after: Mapping[str, str] | str | None = None,
        block_ms: int | None = None,
        count: int = 100,
    ) -> list[EventEnvelope]:
        """Events after the cursors, oldest first per topic; waits up to ``block_ms`` if none."""
        if count < 1:
            raise ValueError(f"count must be >= 1, was {count}")
        if not topics:
            return []
        cursors = await self.cursors(topics, after)
        return await self._read(cursors, block_ms, count)

    async def _read(
        self, cursors: dict[str, str], block_ms: int | None, count: int
    ) -> list[EventEnvelope]:
        streams: dict[Any, Any] = {
            self._stream(topic): stream_id for topic, stream_id in cursors.items()
        }
        reply: Any = await self._client.xread(streams, count=count, block=block_ms)
        by_stream = reply.items() if isinstance(reply, dict) else (reply or [])
        events: list[EventEnvelope] = []
        for stream, entries in by_stream:
            topic = _text(stream)[len(self._prefix) :]
            if isinstance(entries, list) and entries and isinstance(entries[0], list):
                # RESP3 nests entries one level deeper.
                entries = entries[0]
            for stream_id, fields in entries:
                events.append(_envelope(topic, _text(stream_id), fields))
        return events

    async def subscribe(
        self,
        topics: Sequence[str],
        after_event_id: Mapping[str, str] | str | None = _ONLY_NEW,
        *,
        block_ms: int = 5_000,
        count: int = 100,
    ) -> AsyncIterator[EventEnvelope]:
        """Follow ``topics`` forever (XREAD BLOCK loop); cursors advance as events are yielded."""
        cursors = await self.cursors(topics, after_event_id)
        while True:
            for event in await self._read(dict(cursors), block_ms, count):
                cursors[event.topic] = split_event_id(event.event_id)[1]
                yield event


def _fields(owner_id: str, type_: str, payload: Mapping[str, Any]) -> dict[Any, Any]:
    return {
        "time": datetime.now(UTC).isoformat(),
        "owner_id": owner_id,
        "type": type_,
        "payload": json.dumps(dict(payload), separators=(",", ":")),
    }


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def feed_envelope(fields: Mapping[Any, Any]) -> EventEnvelope:
    """The event held by one entry of the feed stream (its fields carry the ``event_id``)."""
    event_id = _text(fields.get("event_id", fields.get(b"event_id", "")))
    topic, stream_id = split_event_id(event_id)
    return _envelope(topic, stream_id, fields)


def _envelope(topic: str, stream_id: str, fields: Mapping[Any, Any]) -> EventEnvelope:
    data = {_text(k): _text(v) for k, v in fields.items()}
    return EventEnvelope(
        event_id=f"{topic}@{stream_id}",
        time=datetime.fromisoformat(data["time"]),
        topic=topic,
        owner_id=data.get("owner_id", ""),
        type=data.get("type", ""),
        payload=json.loads(data.get("payload", "{}")),
    )
