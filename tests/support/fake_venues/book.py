"""The fake venues' shared order book: orders, fills, positions and scripted faults.

Protocol front ends (``alpaca.py``, ``binance.py``) render this state in their venue's payloads;
tests drive it (fill an order, script a 429, a timeout, a fill that beats a cancel) and read it.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

FAULTS = frozenset({"429", "500", "timeout", "reject", "fill_first"})


class DuplicateOrder(Exception):
    """The client order id is already taken."""


@dataclass
class FakeOrder:
    id: str
    client_order_id: str
    symbol: str
    side: str  # "buy" | "sell"
    qty: float
    type: str  # "market" | "limit"
    limit_price: float | None
    tif: str
    created: datetime
    status: str = "open"  # open | filled | canceled | replaced | rejected | expired
    filled_qty: float = 0.0
    filled_value: float = 0.0
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))
    replaces: str | None = None
    replaced_by: str | None = None
    number: int = 0

    @property
    def avg_price(self) -> float | None:
        return self.filled_value / self.filled_qty if self.filled_qty else None

    @property
    def open(self) -> bool:
        return self.status == "open"


@dataclass
class FakeFill:
    id: str
    number: int
    order: FakeOrder
    qty: float
    price: float
    fee: float
    at: datetime


Listener = Callable[[str, FakeOrder, FakeFill | None], None]


class FakeBook:
    """One venue account's state; ``listeners`` get ``(event, order, fill)`` as they happen."""

    def __init__(self) -> None:
        self.orders: dict[str, FakeOrder] = {}
        self.by_coid: dict[str, FakeOrder] = {}
        self.fills: list[FakeFill] = []
        self.positions: dict[str, float] = {}
        self.listeners: list[Listener] = []
        self.faults: list[tuple[str, str]] = []
        self.requests: list[str] = []
        self.timeout_s = 1.0
        self._numbers = itertools.count(1)

    # --- scripting -----------------------------------------------------------------------
    def script(self, op: str, fault: str, times: int = 1) -> None:
        """The next ``times`` requests of ``op`` (submit | cancel | replace | any) misbehave."""
        assert fault in FAULTS, fault
        self.faults.extend([(op, fault)] * times)

    def take_fault(self, op: str) -> str | None:
        for i, (wanted, fault) in enumerate(self.faults):
            if wanted in (op, "any"):
                del self.faults[i]
                return fault
        return None

    # --- the venue's behaviour -------------------------------------------------------------
    def place(
        self,
        client_order_id: str,
        symbol: str,
        side: str,
        qty: float,
        type_: str,
        limit_price: float | None,
        tif: str,
    ) -> FakeOrder:
        if client_order_id in self.by_coid:
            raise DuplicateOrder(client_order_id)
        order = FakeOrder(
            str(uuid.uuid4()),
            client_order_id,
            symbol,
            side,
            qty,
            type_,
            limit_price,
            tif,
            datetime.now(UTC),
            number=next(self._numbers),
        )
        self.orders[order.id] = order
        self.by_coid[client_order_id] = order
        self.notify("new", order, None)
        return order

    def fill(self, order: FakeOrder, qty: float, price: float, fee: float = 0.0) -> FakeFill:
        assert order.open and qty <= order.qty - order.filled_qty + 1e-12
        order.filled_qty += qty
        order.filled_value += qty * price
        order.updated = datetime.now(UTC)
        if order.filled_qty >= order.qty - 1e-12:
            order.status = "filled"
        number = next(self._numbers)
        fill = FakeFill(str(uuid.uuid4()), number, order, qty, price, fee, order.updated)
        self.fills.append(fill)
        signed = qty if order.side == "buy" else -qty
        self.positions[order.symbol] = self.positions.get(order.symbol, 0.0) + signed
        self.notify("fill" if order.status == "filled" else "partial_fill", order, fill)
        return fill

    def fill_coid(
        self, client_order_id: str, qty: float, price: float, fee: float = 0.0
    ) -> FakeFill:
        return self.fill(self.current(client_order_id), qty, price, fee)

    def current(self, client_order_id: str) -> FakeOrder:
        """The live order of a client id, following replacements."""
        order = self.by_coid[client_order_id]
        while order.replaced_by is not None:
            order = self.orders[order.replaced_by]
        return order

    def cancel(self, order: FakeOrder) -> bool:
        if not order.open:
            return False
        order.status, order.updated = "canceled", datetime.now(UTC)
        self.notify("canceled", order, None)
        return True

    def replace(
        self, order: FakeOrder, client_order_id: str, qty: float, limit_price: float | None
    ) -> FakeOrder:
        new = self.place(
            client_order_id, order.symbol, order.side, qty, order.type, limit_price, order.tif
        )
        new.replaces, order.replaced_by = order.id, new.id
        order.status, order.updated = "replaced", datetime.now(UTC)
        self.notify("replaced", order, None)
        return new

    def open_orders(self) -> list[FakeOrder]:
        return [o for o in self.orders.values() if o.open]

    def notify(self, event: str, order: FakeOrder, fill: FakeFill | None) -> None:
        for listener in list(self.listeners):
            listener(event, order, fill)
