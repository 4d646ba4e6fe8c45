"""The alert engine: follows the event feed in a Redis consumer group and raises alerts.

An entry is acknowledged (``XACK``) only after the alerts it raised are stored with their
deliveries, so a notifier killed mid-way re-reads it: its own pending entries at start, and
entries another (dead) consumer left pending once they are idle for ``claim_idle_s``
(``XAUTOCLAIM``). The store's ``UNIQUE (rule_id, event_id)`` drops the duplicates this implies:
at-least-once, deduplicated by key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError
from trademaster.service.events import feed_envelope

from tm_notifier.alert_rules import alert_for, matching
from tm_notifier.alert_store import AlertRecord, AlertStore, RuleRecord

_LOGGER = logging.getLogger(__name__)

_READ_COUNT = 200
_RETRY_DELAY_S = 1.0


class RuleCache:
    """Every rule, reloaded at most every ``refresh_s`` (and at once after a local change)."""

    def __init__(self, store: AlertStore, refresh_s: float) -> None:
        self._store = store
        self._refresh_s = refresh_s
        self._rules: list[RuleRecord] = []
        self._loaded_at = float("-inf")

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    async def rules(self) -> list[RuleRecord]:
        if time.monotonic() - self._loaded_at >= self._refresh_s:
            self._rules = await self._store.rules(None)
            self._loaded_at = time.monotonic()
        return self._rules


class AlertEngine:
    """Consumes ``feed_stream`` as member ``consumer`` of ``group``."""

    def __init__(
        self,
        redis: aioredis.Redis,
        store: AlertStore,
        rules: RuleCache,
        *,
        feed_stream: str,
        group: str,
        consumer: str,
        block_ms: int,
        claim_idle_s: float,
        on_alert: Callable[[], None],
    ) -> None:
        self._redis = redis
        self._store = store
        self._rules = rules
        self._stream = feed_stream
        self._group = group
        self._consumer = consumer
        self._block_ms = block_ms
        self._claim_idle_ms = int(claim_idle_s * 1000)
        self._on_alert = on_alert
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Create the group at the feed's end on first start (older events raise nothing)."""
        try:
            await self._redis.xgroup_create(self._stream, self._group, id="$", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._task = asyncio.create_task(self._run(), name="alert-engine")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        backlog = True  # first this consumer's own unacknowledged entries (after a crash)
        next_claim = 0.0
        while True:
            try:
                if time.monotonic() >= next_claim:
                    next_claim = time.monotonic() + self._claim_idle_ms / 2000
                    await self._claim()
                entries = await self._read("0" if backlog else ">")
                if backlog and not entries:
                    backlog = False
                if entries:
                    await self._handle(entries)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis or PostgreSQL down: the entry stays pending
                _LOGGER.warning("alerts.engine_error error=%r", error)
                backlog = True
                await asyncio.sleep(_RETRY_DELAY_S)

    async def _read(self, cursor: str) -> list[tuple[str, dict[str, Any]]]:
        reply: Any = await self._redis.xreadgroup(
            self._group,
            self._consumer,
            {self._stream: cursor},
            count=_READ_COUNT,
            block=None if cursor == "0" else self._block_ms,
        )
        by_stream = reply.items() if isinstance(reply, dict) else (reply or [])
        entries: list[tuple[str, dict[str, Any]]] = []
        for _, items in by_stream:
            if items and isinstance(items[0], list) and len(items) == 1:
                items = items[0]  # RESP3 nests one level deeper
            entries.extend((entry_id, fields) for entry_id, fields in items if fields)
        return entries

    async def _claim(self) -> None:
        """Take over entries a dead consumer read but never acknowledged."""
        reply: Any = await self._redis.xautoclaim(
            self._stream, self._group, self._consumer, self._claim_idle_ms, "0-0", count=100
        )
        claimed = reply[1] if len(reply) > 1 else []
        entries = [(entry_id, fields) for entry_id, fields in claimed if fields]
        if entries:
            await self._handle(entries)

    async def _handle(self, entries: list[tuple[str, dict[str, Any]]]) -> None:
        """Raise the alerts of a batch of feed entries in one transaction, then ack them."""
        rules = await self._rules.rules()
        raised: list[tuple[AlertRecord, list[tuple[str, str]]]] = []
        for entry_id, fields in entries:
            try:
                event = feed_envelope(fields)
            except (KeyError, ValueError) as error:  # acknowledged below: never retried
                _LOGGER.warning("alerts.bad_feed_entry entry=%s error=%s", entry_id, error)
                continue
            raised.extend(alert_for(rule, event) for rule in matching(rules, event))
        new = await self._store.raise_alerts(raised) if raised else 0
        try:
            await self._redis.xack(self._stream, self._group, *(e for e, _ in entries))
        except RedisError as error:  # re-read later; the alerts are deduplicated then
            _LOGGER.warning("alerts.ack_failed entries=%d error=%r", len(entries), error)
        if new:
            _LOGGER.info("alerts.raised entries=%d alerts=%d", len(entries), new)
            self._on_alert()
