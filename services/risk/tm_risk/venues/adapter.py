"""The broker adapter interface: one async contract for paper and live venues.

Every outcome is classified: ``DEFINITIVE`` results (accepted, rejected with proof) settle the
order; ``AMBIGUOUS`` ones (timeout, disconnect, 5xx) leave it in flight until reconciliation
reads the venue's order reports, never turned into a rejection. Venues report order changes
and executions as normalized ``VenueEvent`` objects on ``events()``.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass, field


class Certainty(enum.StrEnum):
    DEFINITIVE = "definitive"
    AMBIGUOUS = "ambiguous"


class EventKind(enum.StrEnum):
    """Normalized order events (past tense, as venues report them)."""

    ACCEPTED = "ACCEPTED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True, slots=True)
class VenueOrder:
    """An allowed order as sent to a venue; ``side`` is +1 buy, -1 sell."""

    account_id: str
    client_order_id: str
    instrument_id: str
    side: int
    quantity: float
    order_type: str
    limit_price: float | None = None
    time_in_force: str = "DAY"


@dataclass(frozen=True, slots=True)
class Outcome:
    """Result of a request to a venue."""

    ok: bool
    certainty: Certainty
    broker_order_id: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Execution:
    """One fill as a venue reported it; ``broker_fill_id`` makes repeats detectable."""

    broker_fill_id: str
    quantity: float
    price: float
    fee: float
    time_ns: int


@dataclass(frozen=True, slots=True)
class VenueEvent:
    """A normalized order event; ``execution`` is set for FILLED (a partial fill too)."""

    kind: EventKind
    account_id: str
    client_order_id: str
    broker_order_id: str = ""
    execution: Execution | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OrderReport:
    """The venue's view of one order, for reconciliation."""

    account_id: str
    client_order_id: str
    status: str
    filled_quantity: float
    open_quantity: float
    broker_order_id: str = ""


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a venue supports; the risk service refuses what it cannot route."""

    order_types: frozenset[str] = frozenset({"MARKET", "LIMIT"})
    time_in_force: frozenset[str] = frozenset({"DAY", "GTC", "IOC"})
    modify: bool = True
    cancel_all: bool = True


@dataclass(frozen=True, slots=True)
class CancelScope:
    """What ``cancel_all`` cancels; unset fields match everything."""

    account_id: str | None = None
    instrument_id: str | None = None
    client_order_ids: frozenset[str] | None = None


@dataclass(slots=True)
class Health:
    connected: bool
    detail: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class BrokerAdapter(abc.ABC):
    """A venue: connection lifecycle, order entry, reconciliation reports and an event stream."""

    name: str

    @abc.abstractmethod
    async def connect(self) -> None: ...

    @abc.abstractmethod
    async def disconnect(self) -> None: ...

    @abc.abstractmethod
    async def health(self) -> Health: ...

    @abc.abstractmethod
    def capabilities(self) -> Capabilities: ...

    @abc.abstractmethod
    async def submit(self, order: VenueOrder) -> Outcome: ...

    @abc.abstractmethod
    async def modify(
        self, account_id: str, client_order_id: str, quantity: float, limit_price: float | None
    ) -> Outcome: ...

    @abc.abstractmethod
    async def cancel(self, account_id: str, client_order_id: str) -> Outcome: ...

    @abc.abstractmethod
    async def cancel_all(self, scope: CancelScope) -> dict[tuple[str, str], Outcome]:
        """Cancel every working order in ``scope``; outcome per (account_id, client_order_id)."""

    @abc.abstractmethod
    async def order_reports(self, account_id: str | None = None) -> list[OrderReport]: ...

    async def order_status(
        self, account_id: str, client_order_id: str, instrument_id: str
    ) -> OrderReport | None:
        """One order's report, also a closed one where the venue keeps them (default: working
        orders only); None when the venue has no trace of it."""
        reports = await self.order_reports(account_id)
        return next((r for r in reports if r.client_order_id == client_order_id), None)

    @abc.abstractmethod
    async def fill_reports(self, account_id: str) -> list[tuple[str, Execution]]:
        """Executions of the account as ``(client_order_id, execution)``."""

    @abc.abstractmethod
    async def position_reports(self, account_id: str) -> dict[str, float]:
        """Signed position per instrument as the venue books it."""

    @abc.abstractmethod
    def events(self) -> AsyncIterator[VenueEvent]:
        """The stream of normalized order events, in the order the venue produced them."""
