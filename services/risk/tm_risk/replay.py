"""Replay an OHLCV dataset onto the bar stream at a chosen speed (demos and tests).

``speed`` is market seconds per wall second (60 plays one minute bar per second; 0 plays as
fast as Redis takes it). Bars keep their own market times; consumers stamp the receive time,
so reference-price age is real wall-clock age.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import redis.asyncio as aioredis
from trademaster.data.loaders import load_ohlcv

from tm_risk.marketdata import DEFAULT_STREAM, Bar, publish_bar

_LOGGER = logging.getLogger(__name__)


def bars_from_frame(frame: pd.DataFrame) -> list[Bar]:
    """Bars of the canonical long OHLCV frame (``date, tic, open, high, low, close, volume``)."""
    times = pd.to_datetime(frame["date"]).astype("int64").to_numpy()
    return [
        Bar(str(tic), int(t), float(o), float(h), float(lo), float(c), float(v))
        for t, tic, o, h, lo, c, v in zip(
            times,
            frame["tic"],
            frame["open"],
            frame["high"],
            frame["low"],
            frame["close"],
            frame["volume"],
            strict=True,
        )
    ]


async def replay(
    client: aioredis.Redis,
    bars: Iterable[Bar],
    *,
    speed: float = 0.0,
    stream: str = DEFAULT_STREAM,
) -> int:
    """Publish ``bars`` in order, sleeping between market times / ``speed``; returns the count."""
    if speed < 0 or not math.isfinite(speed):
        raise ValueError(f"speed must be a finite number >= 0, was {speed}")
    previous: int | None = None
    count = 0
    for bar in bars:
        if speed and previous is not None and bar.time_ns > previous:
            await asyncio.sleep((bar.time_ns - previous) / 1e9 / speed)
        previous = bar.time_ns
        await publish_bar(client, bar, stream)
        count += 1
    return count


async def replay_file(
    redis_url: str,
    path: Path,
    *,
    speed: float,
    stream: str = DEFAULT_STREAM,
    tics: list[str] | None = None,
    limit: int | None = None,
) -> int:
    """Load ``path`` (any OHLCV file the catalog reads) and replay it."""
    frame = load_ohlcv(path, tics=tics)
    if limit is not None:
        frame = frame.head(limit)
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        count = await replay(client, bars_from_frame(frame), speed=speed, stream=stream)
    finally:
        await client.aclose()
    _LOGGER.info("replay.done path=%s bars=%d", path, count)
    return count
