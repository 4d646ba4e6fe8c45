"""The paper venue: fills allowed orders against the bar stream with the backtest's fill code.

Fill prices, fees and the volume cap come from ``trademaster.backtest.fill_costs.ExecutionModel``
(itself composed from ``trademaster.market``; torch-free), the same code a backtest books its
fills with:

- a market order fills on the first bar that arrives after it was accepted (the *next* bar), at
  that bar's open (or the ask/bid of a quote), moved by the configured slippage model;
- a limit order fills when a bar crosses it: a buy when low <= limit, at min(open, limit); a sell
  when high >= limit, at max(open, limit) (quotes: the ask/bid); fees apply, slippage does not
  (a limit never fills through its price);
- with ``volume_limit``, all orders together take at most that fraction of a bar's volume; the
  rest stays working (partial fills); IOC cancels what the first bar did not fill, FOK cancels
  unless the whole quantity fits in one bar.

What paper does not model is listed in services/risk/README.md.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import numpy as np
from trademaster.backtest.config import SlippageConfig
from trademaster.backtest.fill_costs import ExecutionModel
from trademaster.market.costs import CostModel

from tm_risk.marketdata import Bar
from tm_risk.venues.adapter import (
    BrokerAdapter,
    CancelScope,
    Capabilities,
    Certainty,
    EventKind,
    Execution,
    Health,
    OrderReport,
    Outcome,
    VenueEvent,
    VenueOrder,
)

_LOGGER = logging.getLogger(__name__)
_EPS = 1e-12
_INDEX = np.zeros(1, dtype=np.int64)


@dataclass(slots=True)
class _Working:
    order: VenueOrder
    broker_order_id: str
    filled: float = 0.0

    @property
    def open_quantity(self) -> float:
        return self.order.quantity - self.filled


class PaperVenue(BrokerAdapter):
    """An in-process simulated venue driven by ``on_bar``."""

    name = "paper"

    def __init__(
        self,
        *,
        fee_rate: float = 0.0,
        fixed_fee: float = 0.0,
        slippage: SlippageConfig | None = None,
    ) -> None:
        slip = slippage or SlippageConfig()
        if slip.kind == "sqrt_impact":
            raise ValueError("paper venue supports slippage kinds none, fixed_bps, volume_share")
        bps = slip.bps if slip.kind == "fixed_bps" else 0.0
        self._cost = CostModel(fee_rate=fee_rate, fixed_fee=fixed_fee, slippage_bps=bps)
        self._slippage = slip
        self._working: dict[tuple[str, str], _Working] = {}
        self._by_instrument: dict[str, dict[tuple[str, str], _Working]] = {}
        self._positions: dict[str, dict[str, float]] = {}
        self._executions: dict[str, list[tuple[str, Execution]]] = {}
        self._events: asyncio.Queue[VenueEvent] = asyncio.Queue()
        self._connected = False
        self._fill_ids = itertools.count(1)
        self._session = uuid.uuid4().hex[:8]

    # --- lifecycle ---------------------------------------------------------------------
    async def connect(self) -> None:
        self._connected = True

    async def disconnect(self) -> None:
        self._connected = False

    async def health(self) -> Health:
        return Health(self._connected, "paper venue", {"working": str(len(self._working))})

    def capabilities(self) -> Capabilities:
        return Capabilities(time_in_force=frozenset({"DAY", "GTC", "IOC", "FOK"}))

    # --- order entry ---------------------------------------------------------------------
    async def submit(self, order: VenueOrder) -> Outcome:
        return self.accept(order)

    def accept(self, order: VenueOrder, filled: float = 0.0, broker_order_id: str = "") -> Outcome:
        """Take an order onto the book (also used to restore working orders after a restart)."""
        if not self._connected:
            return Outcome(False, Certainty.AMBIGUOUS, reason="paper venue is not connected")
        key = (order.account_id, order.client_order_id)
        existing = self._working.get(key)
        if existing is not None:
            return Outcome(True, Certainty.DEFINITIVE, existing.broker_order_id)
        working = _Working(
            order, broker_order_id or f"P-{self._session}-{uuid.uuid4().hex[:12]}", filled
        )
        self._working[key] = working
        self._by_instrument.setdefault(order.instrument_id, {})[key] = working
        return Outcome(True, Certainty.DEFINITIVE, working.broker_order_id)

    async def modify(
        self, account_id: str, client_order_id: str, quantity: float, limit_price: float | None
    ) -> Outcome:
        working = self._working.get((account_id, client_order_id))
        if working is None:
            return Outcome(False, Certainty.DEFINITIVE, reason="order is not working")
        if quantity < working.filled - _EPS:
            return Outcome(False, Certainty.DEFINITIVE, reason="quantity below filled quantity")
        old = working.order
        working.order = VenueOrder(
            old.account_id,
            old.client_order_id,
            old.instrument_id,
            old.side,
            quantity,
            old.order_type,
            limit_price,
            old.time_in_force,
        )
        return Outcome(True, Certainty.DEFINITIVE, working.broker_order_id)

    async def cancel(self, account_id: str, client_order_id: str) -> Outcome:
        working = self._remove((account_id, client_order_id))
        if working is None:
            return Outcome(False, Certainty.DEFINITIVE, reason="order is not working")
        return Outcome(True, Certainty.DEFINITIVE, working.broker_order_id)

    async def cancel_all(self, scope: CancelScope) -> dict[tuple[str, str], Outcome]:
        keys = [key for key, w in self._working.items() if _in_scope(scope, key, w.order)]
        results = {}
        for key in keys:
            working = self._remove(key)
            assert working is not None
            results[key] = Outcome(True, Certainty.DEFINITIVE, working.broker_order_id)
        return results

    def _remove(self, key: tuple[str, str]) -> _Working | None:
        working = self._working.pop(key, None)
        if working is not None:
            self._by_instrument[working.order.instrument_id].pop(key, None)
        return working

    # --- reports -------------------------------------------------------------------------
    async def order_reports(self, account_id: str | None = None) -> list[OrderReport]:
        return [
            OrderReport(
                a,
                c,
                "PARTIALLY_FILLED" if w.filled else "ACCEPTED",
                w.filled,
                w.open_quantity,
                w.broker_order_id,
            )
            for (a, c), w in self._working.items()
            if account_id is None or a == account_id
        ]

    async def fill_reports(self, account_id: str) -> list[tuple[str, Execution]]:
        return list(self._executions.get(account_id, []))

    async def position_reports(self, account_id: str) -> dict[str, float]:
        return dict(self._positions.get(account_id, {}))

    async def events(self) -> AsyncIterator[VenueEvent]:  # type: ignore[override]
        while True:
            yield await self._events.get()

    # --- matching ------------------------------------------------------------------------
    def on_bar(self, bar: Bar, _received_ns: int = 0) -> None:
        """Match the instrument's working orders against a new bar, in arrival order."""
        book = self._by_instrument.get(bar.instrument_id)
        if not book:
            return
        model = ExecutionModel(
            self._cost,
            self._slippage,
            volume=None if math.isnan(bar.volume) else np.array([[bar.volume]]),
        )
        capacity = model.volume_cap(0, 0) if model.volume is not None else math.inf
        for key, working in list(book.items()):
            capacity -= self._match(working, bar, model, capacity)
            tif = working.order.time_in_force
            if working.open_quantity > _EPS and tif in ("IOC", "FOK"):
                self._remove(key)
                self._emit(EventKind.CANCELLED, working, reason=f"{tif}: unfilled rest cancelled")

    def _match(self, working: _Working, bar: Bar, model: ExecutionModel, capacity: float) -> float:
        order = working.order
        price = _cross_price(order, bar)
        if price is None:
            return 0.0
        quantity = min(working.open_quantity, max(capacity, 0.0))
        if order.time_in_force == "FOK" and quantity < working.open_quantity - _EPS:
            return 0.0
        if quantity <= _EPS:
            return 0.0
        signed = np.array([order.side * quantity], dtype=np.float64)
        reference = np.array([price], dtype=np.float64)
        if order.order_type == "MARKET":
            costs = model.costs(reference, signed, _INDEX, _INDEX)
            fill_price, fee = float(costs.price[0]), float(costs.fee[0])
        else:
            fill_price, fee = price, float(self._cost.fees(reference, signed)[0])
        working.filled += quantity
        execution = Execution(
            f"{working.broker_order_id}-{next(self._fill_ids)}",
            quantity,
            fill_price,
            fee,
            bar.time_ns,
        )
        account = self._positions.setdefault(order.account_id, {})
        account[order.instrument_id] = account.get(order.instrument_id, 0.0) + order.side * quantity
        self._executions.setdefault(order.account_id, []).append((order.client_order_id, execution))
        if working.open_quantity <= _EPS:
            self._remove((order.account_id, order.client_order_id))
        self._emit(EventKind.FILLED, working, execution=execution)
        return quantity

    def _emit(
        self,
        kind: EventKind,
        working: _Working,
        *,
        execution: Execution | None = None,
        reason: str = "",
    ) -> None:
        self._events.put_nowait(
            VenueEvent(
                kind,
                working.order.account_id,
                working.order.client_order_id,
                working.broker_order_id,
                execution,
                reason,
            )
        )

    def restore(self, orders: Iterable[tuple[VenueOrder, float, str]]) -> int:
        """Put working orders back after a restart: ``(order, filled, broker_order_id)``."""
        count = 0
        for order, filled, broker_id in orders:
            if self.accept(order, filled, broker_id).ok:
                count += 1
        return count


def _cross_price(order: VenueOrder, bar: Bar) -> float | None:
    """Reference price at which ``bar`` fills ``order``, or None if it does not cross."""
    quote = not math.isnan(bar.ask) and not math.isnan(bar.bid)
    if order.order_type == "MARKET":
        if quote:
            return bar.ask if order.side > 0 else bar.bid
        return bar.open
    limit = order.limit_price
    assert limit is not None
    if order.side > 0:
        if quote:
            return bar.ask if bar.ask <= limit else None
        return min(bar.open, limit) if bar.low <= limit else None
    if quote:
        return bar.bid if bar.bid >= limit else None
    return max(bar.open, limit) if bar.high >= limit else None


def _in_scope(scope: CancelScope, key: tuple[str, str], order: VenueOrder) -> bool:
    return (
        (scope.account_id is None or key[0] == scope.account_id)
        and (scope.instrument_id is None or order.instrument_id == scope.instrument_id)
        and (scope.client_order_ids is None or key[1] in scope.client_order_ids)
    )
