"""Event subscription that survives disconnects: it resubscribes with the last event id seen,
so nothing still retained by the notifier is lost or delivered twice.

    for event in tm.subscribe([training_job_topic(job_id)]):
        if event.HasField("training_finished"):
            break
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import grpc
from trademaster.api.notifier.v1 import notifier_pb2

from trademaster_client.errors import TradeMasterError, UnavailableError, from_rpc_error

_LOGGER = logging.getLogger(__name__)

SUBSCRIBE_METHOD = "/trademaster.api.notifier.v1.NotifierService/Subscribe"
RESUMABLE_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.ABORTED,
    }
)
"""A dropped connection or a notifier restart; anything else (bad topic, no rights) is final."""


def training_job_topic(job_id: str) -> str:
    """The topic a training job's events are published on."""
    return f"training_job/{job_id}"


def backtest_topic(backtest_id: str) -> str:
    """The topic a backtest's events are published on."""
    return f"backtest/{backtest_id}"


def risk_account_topic(account_id: str) -> str:
    """The topic a trading account's risk events are published on (decisions, order updates,
    fills, positions, trading-state changes, kill switch)."""
    return f"risk_account/{account_id}"


RISK_GLOBAL_TOPIC = "risk_global"
"""Risk events not tied to one account (global, deployment and instrument scopes)."""


def resumable(error: TradeMasterError) -> bool:
    """True for failures a resubscription cures (the notifier asks slow readers to resume)."""
    return error.code in RESUMABLE_CODES or error.reason == "SUBSCRIBER_TOO_SLOW"


class Cursor:
    """Where to resume: the last event id, or the time the first subscription was joined."""

    def __init__(self, topics: Sequence[str], after_event_id: str) -> None:
        self.topics = list(topics)
        self.last_event_id = after_event_id
        self._joined_ms: int | None = None

    def seen(self, event: notifier_pb2.Event) -> bool:
        """Record ``event``; False for heartbeats (no id, never a cursor)."""
        if event.event_id:
            self.last_event_id = event.event_id
            return True
        if self._joined_ms is None and event.HasField("time"):
            self._joined_ms = event.time.ToMilliseconds()
        return False

    def request(self) -> notifier_pb2.SubscribeRequest:
        """Resume after the last event; before any event, from the first join (so events
        published while disconnected are not skipped); else only new events."""
        after = self.last_event_id
        if not after and self._joined_ms is not None and self.topics:
            after = f"{self.topics[0]}@{self._joined_ms}-0"
        return notifier_pb2.SubscribeRequest(topics=self.topics, after_event_id=after)


class Backoff:
    """Delays between resubscriptions: doubling from ``base_s`` up to ``max_s``."""

    def __init__(self, base_s: float = 0.2, max_s: float = 5.0) -> None:
        self.base_s = base_s
        self.max_s = max_s

    def delay(self, failures: int) -> float:
        return float(min(self.max_s, self.base_s * 2 ** max(0, failures - 1)))


class EventStream:
    """Iterate to receive events; ``close()`` (from any thread) ends the iteration.

    Args:
        include_heartbeats: also yield the notifier's keep-alive events (no ``event_id``).
        max_failures: consecutive failed (re)subscriptions before ``UnavailableError``;
            ``None`` retries forever.
    """

    def __init__(
        self,
        subscribe: Any,
        topics: Sequence[str],
        after_event_id: str = "",
        *,
        include_heartbeats: bool = False,
        max_failures: int | None = 20,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._subscribe = subscribe
        self.cursor = Cursor(topics, after_event_id)
        self.include_heartbeats = include_heartbeats
        self.max_failures = max_failures
        self.backoff = backoff or Backoff()
        self.reconnects = 0
        self._sleep = sleep
        self._closed = threading.Event()
        self._call: Any = None

    @property
    def last_event_id(self) -> str:
        return self.cursor.last_event_id

    def __iter__(self) -> Iterator[notifier_pb2.Event]:
        failures = 0
        while not self._closed.is_set():
            try:
                self._call = self._subscribe.call(self.cursor.request())
                for reply in self._call:
                    failures = 0
                    if self.cursor.seen(reply.event) or self.include_heartbeats:
                        yield reply.event
                error: TradeMasterError = UnavailableError(
                    grpc.StatusCode.UNAVAILABLE, "STREAM_ENDED", "the notifier ended the stream"
                )
            except grpc.RpcError as raw:
                if self._closed.is_set():
                    return
                error = from_rpc_error(raw, SUBSCRIBE_METHOD)
                # An expired password token is replaced by a login, then resubscribed like a
                # dropped stream (so a server that keeps refusing it ends in max_failures).
                if not (self._subscribe.relogin(error) or resumable(error)):
                    raise error from None
            finally:
                if self._call is not None:
                    self._call.cancel()
            failures += 1
            if self.max_failures is not None and failures > self.max_failures:
                raise error
            self.reconnects += 1
            delay = self.backoff.delay(failures)
            _LOGGER.info(
                "events.resubscribe after=%s failures=%d delay_s=%.2f reason=%s",
                self.cursor.last_event_id or "-",
                failures,
                delay,
                error.reason,
            )
            self._sleep(delay)

    def close(self) -> None:
        self._closed.set()
        call = self._call
        if call is not None:
            call.cancel()
