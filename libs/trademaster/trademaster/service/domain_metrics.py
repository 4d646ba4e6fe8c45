"""Domain metric families (``tm_<service>_<thing>_<unit>``) shared by the services.

Defined here, once, so every service names the same things the same way and the dashboards
and alerts in ``deploy/k8s/components/monitoring`` match: resources by state and queue depth
(trainer jobs, backtests), events published (every producer) and the notifier's fan-out,
risk decisions, risk check latency and the kill switch. Families are created once per
registry (servers restart inside one test process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

_LOGGER = logging.getLogger(__name__)

LONG_RUNNING_STATES: tuple[str, ...] = (
    "QUEUED",
    "RUNNING",
    "PAUSED",
    "SUCCEEDED",
    "FAILED",
    "CANCELLING",
    "CANCELLED",
)
"""States of long work (ARCHITECTURE.md); each is always exported, zero included."""

_T = TypeVar("_T")
_FAMILIES: dict[tuple[str, int], Any] = {}
_process_service: str | None = None


def _once(key: str, registry: CollectorRegistry, make: Callable[[], _T]) -> _T:
    cache_key = (key, id(registry))
    if cache_key not in _FAMILIES:
        _FAMILIES[cache_key] = make()
    return _FAMILIES[cache_key]  # type: ignore[no-any-return]


def set_process_service(service: str, registry: CollectorRegistry = REGISTRY) -> None:
    """Name this process's service (``serve`` does) so kit code can label what it counts, and
    create the families it exports, so ``/metrics`` lists them before the first sample."""
    global _process_service
    _process_service = service
    events_published(service, registry)
    if service == "notifier":
        notifier_metrics(registry)
    elif service == "risk":
        risk_metrics(registry)


def process_service() -> str | None:
    return _process_service


def events_published(service: str, registry: CollectorRegistry = REGISTRY) -> Counter:
    """``tm_<service>_events_published_total{type}``: events this service appended to the bus."""
    return _once(
        f"{service}.events_published",
        registry,
        lambda: Counter(
            f"tm_{service}_events_published_total",
            "Events published to the Redis event bus, by event type.",
            ["type"],
            registry=registry,
        ),
    )


@dataclass(frozen=True)
class NotifierMetrics:
    delivered: Counter
    dropped: Counter
    subscribers: Gauge
    subscriber_lag: Gauge


def notifier_metrics(registry: CollectorRegistry = REGISTRY) -> NotifierMetrics:
    """The notifier's fan-out: delivered/dropped events, subscribers, and the worst lag."""
    return _once(
        "notifier.fanout",
        registry,
        lambda: NotifierMetrics(
            delivered=Counter(
                "tm_notifier_events_delivered_total",
                "Events handed to subscriber streams.",
                registry=registry,
            ),
            dropped=Counter(
                "tm_notifier_events_dropped_total",
                "Events not delivered, by reason (slow_subscriber: its queue overflowed and "
                "it was disconnected).",
                ["reason"],
                registry=registry,
            ),
            subscribers=Gauge(
                "tm_notifier_subscribers",
                "Subscriber streams currently open.",
                registry=registry,
            ),
            subscriber_lag=Gauge(
                "tm_notifier_subscriber_lag_events",
                "Events queued for the slowest open subscriber (0 without subscribers).",
                registry=registry,
            ),
        ),
    )


@dataclass(frozen=True)
class RiskMetrics:
    """Pre-trade check outcomes; the risk service records every decision it writes."""

    decisions: Counter
    check_duration: Histogram
    kill_switch: Gauge

    def record_decision(self, decision: str, reasons: Sequence[str], seconds: float) -> None:
        """Count one decision (``ALLOW``/``DENY``…) once per violation reason (``none`` when it
        had none) and observe how long the check took."""
        for reason in reasons or ("none",):
            self.decisions.labels(decision, reason).inc()
        self.check_duration.observe(seconds)


def risk_metrics(registry: CollectorRegistry = REGISTRY) -> RiskMetrics:
    """``tm_risk_order_decisions_total{decision,reason}``, ``tm_risk_check_duration_seconds``,
    ``tm_risk_kill_switch_engaged`` (1 while trading is HALTED by the kill switch)."""
    return _once(
        "risk",
        registry,
        lambda: RiskMetrics(
            decisions=Counter(
                "tm_risk_order_decisions_total",
                "Pre-trade decisions, by decision and violation reason.",
                ["decision", "reason"],
                registry=registry,
            ),
            check_duration=Histogram(
                "tm_risk_check_duration_seconds",
                "Time to evaluate the pre-trade rules of one order.",
                buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
                registry=registry,
            ),
            kill_switch=Gauge(
                "tm_risk_kill_switch_engaged",
                "1 while the kill switch holds trading HALTED, else 0.",
                registry=registry,
            ),
        ),
    )


CountStates = Callable[[], Awaitable[Mapping[str, int]]]
"""Returns ``{state: count}`` (e.g. one ``GROUP BY state`` query)."""


class StateCounts:
    """``tm_<service>_<things>{state}`` and ``tm_<service>_queue_depth_<things>``, set from
    the owner's table on every ``refresh``: the numbers come from the source of truth, so they
    survive restarts and every replica reports the same."""

    def __init__(
        self,
        service: str,
        things: str,
        count: CountStates,
        *,
        states: Iterable[str] = LONG_RUNNING_STATES,
        registry: CollectorRegistry = REGISTRY,
    ) -> None:
        self._count = count
        self._states = tuple(states)
        self.by_state: Gauge = _once(
            f"{service}.{things}.by_state",
            registry,
            lambda: Gauge(
                f"tm_{service}_{things}",
                f"{things.capitalize()} by state.",
                ["state"],
                registry=registry,
            ),
        )
        self.queue_depth: Gauge = _once(
            f"{service}.{things}.queue_depth",
            registry,
            lambda: Gauge(
                f"tm_{service}_queue_depth_{things}",
                f"{things.capitalize()} waiting to run (QUEUED).",
                registry=registry,
            ),
        )

    async def refresh(self) -> None:
        counts = dict(await self._count())
        for state in sorted({*self._states, *counts}):
            self.by_state.labels(state).set(counts.get(state, 0))
        self.queue_depth.set(counts.get("QUEUED", 0))


def running_job_resources(service: str, registry: CollectorRegistry = REGISTRY) -> Gauge:
    """``tm_<service>_running_job_resources{resource}``: CPUs/GPUs that running jobs hold on
    the Ray cluster (``resource`` = ``cpu`` or ``gpu``)."""
    return _once(
        f"{service}.running_job_resources",
        registry,
        lambda: Gauge(
            f"tm_{service}_running_job_resources",
            "Ray resources (CPUs, GPUs) assigned to running jobs.",
            ["resource"],
            registry=registry,
        ),
    )


class Poller:
    """Runs metric refreshes every ``interval_s`` in a background task; a failing refresh is
    logged and retried next time, never taking the service down."""

    def __init__(
        self, refreshes: Sequence[Callable[[], Awaitable[None]]], interval_s: float = 10.0
    ) -> None:
        self._refreshes = tuple(refreshes)
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="metrics-poller")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def refresh_all(self) -> None:
        """One round of every refresh; failures are logged, not raised."""
        for refresh in self._refreshes:
            try:
                await refresh()
            except Exception as error:
                _LOGGER.warning("metrics.refresh_failed error=%r", error)

    async def _run(self) -> None:
        while True:
            await self.refresh_all()
            await asyncio.sleep(self._interval_s)


def table_state_counter(pool: Any, table: str) -> CountStates:
    """``SELECT state, count(*) FROM <table> GROUP BY state`` on a psycopg async pool;
    ``table`` is a constant of the calling service (schema-qualified), never user input."""
    query = f"SELECT state, count(*) FROM {table} GROUP BY state"

    async def count() -> dict[str, int]:
        async with pool.connection() as conn, conn.cursor() as cursor:
            await cursor.execute(query)
            return {str(state): int(n) for state, n in await cursor.fetchall()}

    return count
