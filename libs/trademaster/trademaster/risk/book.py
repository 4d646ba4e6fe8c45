"""An account's positions, working orders and exposures as running aggregates.

Exposures count working orders at their worst: per instrument the larger of
|position + working buys| and |position − working sells|, marked at the reference price. Every
update touches one instrument, so the engine reads gross and net exposure in O(1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from trademaster.risk.model import BUY


@dataclass(slots=True)
class InstrumentBook:
    """One instrument of one account: position, average entry, P&L, working quantities, mark."""

    position: float = 0.0
    average_price: float = 0.0
    realized_pnl: float = 0.0
    working_buy: float = 0.0
    working_sell: float = 0.0
    price: float = math.nan
    price_time_ns: int = 0
    gross: float = 0.0
    """Worst-case |position incl. working| × price: this instrument's share of gross exposure."""

    def worst_abs(self) -> float:
        return max(abs(self.position + self.working_buy), abs(self.position - self.working_sell))


@dataclass(slots=True)
class WorkingOrder:
    """Open (unfilled) part of a working order, as the book counts it."""

    instrument_id: str
    side: int
    open_quantity: float


class AccountBook:
    """Positions and working orders of one account with O(1) exposure aggregates."""

    __slots__ = (
        "cash",
        "instruments",
        "working",
        "gross_exposure",
        "net_value",
        "working_buy_value",
        "working_sell_value",
        "fees_paid",
    )

    def __init__(self, cash: float) -> None:
        self.cash = cash
        self.instruments: dict[str, InstrumentBook] = {}
        self.working: dict[str, WorkingOrder] = {}
        self.gross_exposure = 0.0
        self.net_value = 0.0
        """Σ position × price over instruments with a price."""
        self.working_buy_value = 0.0
        self.working_sell_value = 0.0
        self.fees_paid = 0.0

    # --- reads -------------------------------------------------------------------------
    def instrument(self, instrument_id: str) -> InstrumentBook:
        book = self.instruments.get(instrument_id)
        if book is None:
            book = self.instruments[instrument_id] = InstrumentBook()
        return book

    @property
    def equity(self) -> float:
        return self.cash + self.net_value

    @property
    def net_exposure_worst(self) -> float:
        """Largest |net exposure| the working orders could lead to."""
        return max(
            abs(self.net_value + self.working_buy_value),
            abs(self.net_value - self.working_sell_value),
        )

    def unrealized_pnl(self) -> float:
        return sum(
            b.position * (b.price - b.average_price)
            for b in self.instruments.values()
            if b.position and b.price == b.price
        )

    # --- updates -------------------------------------------------------------------------
    def _remove(self, book: InstrumentBook) -> None:
        if book.price == book.price:
            self.gross_exposure -= book.gross
            self.net_value -= book.position * book.price
            self.working_buy_value -= book.working_buy * book.price
            self.working_sell_value -= book.working_sell * book.price

    def _add(self, book: InstrumentBook) -> None:
        if book.price == book.price:
            book.gross = book.worst_abs() * book.price
            self.gross_exposure += book.gross
            self.net_value += book.position * book.price
            self.working_buy_value += book.working_buy * book.price
            self.working_sell_value += book.working_sell * book.price
        else:
            book.gross = 0.0

    def set_price(self, instrument_id: str, price: float, time_ns: int) -> None:
        """Mark an instrument at a new reference price."""
        book = self.instrument(instrument_id)
        self._remove(book)
        book.price = price
        book.price_time_ns = time_ns
        self._add(book)

    def add_working(self, key: str, instrument_id: str, side: int, quantity: float) -> None:
        """Count a new working order (done when it is allowed, before it is sent)."""
        book = self.instrument(instrument_id)
        self._remove(book)
        if side == BUY:
            book.working_buy += quantity
        else:
            book.working_sell += quantity
        self._add(book)
        self.working[key] = WorkingOrder(instrument_id, side, quantity)

    def reduce_working(self, key: str, quantity: float | None = None) -> None:
        """Stop counting ``quantity`` (all when None) of a working order: filled or closed."""
        order = self.working.get(key)
        if order is None:
            return
        amount = order.open_quantity if quantity is None else min(quantity, order.open_quantity)
        book = self.instrument(order.instrument_id)
        self._remove(book)
        if order.side == BUY:
            book.working_buy = max(0.0, book.working_buy - amount)
        else:
            book.working_sell = max(0.0, book.working_sell - amount)
        self._add(book)
        order.open_quantity -= amount
        if quantity is None or order.open_quantity <= 1e-12:
            del self.working[key]

    def apply_fill(
        self, instrument_id: str, side: int, quantity: float, price: float, fee: float
    ) -> float:
        """Book a fill (position, average price, cash, realized P&L); returns the realized P&L
        of the closing part net of the fee (negative for a losing or fee-only fill)."""
        book = self.instrument(instrument_id)
        self._remove(book)
        signed = side * quantity
        old = book.position
        realized = 0.0
        if old == 0 or (old > 0) == (signed > 0):
            total = old + signed
            book.average_price = (old * book.average_price + signed * price) / total
            book.position = total
        else:
            closed = min(abs(old), quantity)
            realized = closed * (price - book.average_price) * (1.0 if old > 0 else -1.0)
            book.position = old + signed
            if abs(book.position) <= 1e-12:
                book.position = 0.0
                book.average_price = 0.0
            elif (book.position > 0) != (old > 0):
                book.average_price = price
        realized -= fee
        book.realized_pnl += realized
        self.cash -= signed * price + fee
        self.fees_paid += fee
        if book.price != book.price:
            book.price = price
        self._add(book)
        return realized
