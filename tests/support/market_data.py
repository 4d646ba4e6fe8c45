"""Bars for the risk service in tests: one flat bar on its market-data stream is the reference
price of the next checks and what the paper venue fills market orders at."""

from __future__ import annotations

import os
import time

import redis

BARS_STREAM = "tm:md:bars"
"""The risk service's bar stream (tm_risk.marketdata.DEFAULT_STREAM)."""


def publish_price(redis_url: str, instrument_id: str, price: float) -> None:
    """Append one bar with open = high = low = close = ``price``, stamped now."""
    stream = os.environ.get("TM_RISK_MARKET_DATA_STREAM", BARS_STREAM)
    fields = {
        "i": instrument_id,
        "t": str(time.time_ns()),
        **{k: repr(price) for k in ("o", "h", "l", "c")},
        "v": repr(1e9),
    }
    client = redis.Redis.from_url(redis_url)
    try:
        client.xadd(stream, fields)  # type: ignore[arg-type]
    finally:
        client.close()
