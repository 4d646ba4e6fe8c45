"""Bars and quotes on Redis streams: the paper venue's fills and the reference prices.

One stream (``tm:md:bars`` by default) carries bars of every instrument as flat string fields;
``MarketDataFeed`` follows it with XREAD BLOCK and hands each bar to its listeners. A quote is
published as a bar with open = high = low = close = its mid and the bid/ask fields set.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

_LOGGER = logging.getLogger(__name__)

DEFAULT_STREAM = "tm:md:bars"
_MAXLEN = 200_000


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar (or quote) of one instrument; ``time_ns`` is the bar's market time."""

    instrument_id: str
    time_ns: int
    open: float
    high: float
    low: float
    close: float
    volume: float = math.nan
    bid: float = math.nan
    ask: float = math.nan

    def fields(self) -> dict[str, str]:
        return {
            "i": self.instrument_id,
            "t": str(self.time_ns),
            "o": repr(self.open),
            "h": repr(self.high),
            "l": repr(self.low),
            "c": repr(self.close),
            "v": repr(self.volume),
            "b": repr(self.bid),
            "a": repr(self.ask),
        }

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> Bar:
        return cls(
            fields["i"],
            int(fields["t"]),
            float(fields["o"]),
            float(fields["h"]),
            float(fields["l"]),
            float(fields["c"]),
            float(fields.get("v", "nan")),
            float(fields.get("b", "nan")),
            float(fields.get("a", "nan")),
        )


async def publish_bar(client: aioredis.Redis, bar: Bar, stream: str = DEFAULT_STREAM) -> str:
    """Append one bar; returns its stream id."""
    entry: dict[Any, Any] = bar.fields()
    stream_id = await client.xadd(stream, entry, maxlen=_MAXLEN, approximate=True)
    return stream_id.decode() if isinstance(stream_id, bytes) else str(stream_id)


Listener = Callable[[Bar, int], None]
"""Called with the bar and the time it was received (ns, wall clock)."""


class MarketDataFeed:
    """Follows the bar stream from its current end and notifies listeners, in stream order."""

    def __init__(self, client: aioredis.Redis, stream: str = DEFAULT_STREAM) -> None:
        self._client = client
        self._stream = stream
        self._listeners: list[Listener] = []
        self._task: asyncio.Task[None] | None = None
        self.last: dict[str, Bar] = {}
        self.bars_seen = 0

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def start(self) -> None:
        last = await self._client.xrevrange(self._stream, count=1)
        cursor = last[0][0] if last else "0-0"
        self._task = asyncio.create_task(self._run(cursor), name="market-data")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self, cursor: Any) -> None:
        while True:
            try:
                reply: Any = await self._client.xread({self._stream: cursor}, count=500, block=1000)
            except RedisError as error:
                _LOGGER.warning("marketdata.read_failed error=%r", error)
                await asyncio.sleep(0.5)
                continue
            items = reply.items() if isinstance(reply, dict) else (reply or [])
            for _stream, entries in items:
                if entries and isinstance(entries[0], list) and len(entries) == 1:
                    entries = entries[0]
                for stream_id, raw in entries:
                    cursor = stream_id
                    self._deliver(raw)

    def _deliver(self, raw: dict[Any, Any]) -> None:
        fields = {
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in raw.items()
        }
        try:
            bar = Bar.from_fields(fields)
        except (KeyError, ValueError) as error:
            _LOGGER.warning("marketdata.bad_bar fields=%s error=%r", fields, error)
            return
        received = time.time_ns()
        self.last[bar.instrument_id] = bar
        self.bars_seen += 1
        for listener in self._listeners:
            try:
                listener(bar, received)
            except Exception:  # noqa: BLE001 - one bad listener must not stop the feed
                _LOGGER.exception("marketdata.listener_failed instrument=%s", bar.instrument_id)
