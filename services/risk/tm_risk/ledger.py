"""Replay of an account's fills into end-of-day positions and daily P&L, in exact decimals.

The live book (``trademaster.risk.book``) keeps floats for speed; a compliance report needs
totals that equal the sum of its rows to the last digit, so this replays the same average-cost
rules (a fill in the position's direction moves the average, one against it realizes P&L on
the closed part, a fill through zero opens at its price; fees are realized) over ``Decimal``.
The platform stores no end-of-day market prices, so positions are valued at the price of the
instrument's last fill up to that moment, and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date
from decimal import Decimal

from tm_risk.records import FillRow

ZERO = Decimal(0)


def utc_day(fill: FillRow) -> date:
    """The UTC day of a fill (the database session may run in another time zone)."""
    return fill.fill_time.astimezone(UTC).date()


@dataclass
class Holding:
    """One instrument's position, average entry, realized P&L and last fill price."""

    quantity: Decimal = ZERO
    average: Decimal = ZERO
    realized: Decimal = ZERO
    last_price: Decimal = ZERO


@dataclass
class DayTotals:
    """What one UTC day's fills did."""

    fills: int = 0
    fees: Decimal = ZERO
    realized: Decimal = ZERO


@dataclass
class Ledger:
    """Cash and holdings as fills are applied in order."""

    cash: Decimal
    holdings: dict[str, Holding] = field(default_factory=dict)

    def apply(self, fill: FillRow) -> Decimal:
        """Book one fill; returns its realized P&L after the fee."""
        held = self.holdings.setdefault(fill.instrument_id, Holding())
        signed = fill.quantity if fill.side == "BUY" else -fill.quantity
        old = held.quantity
        realized = ZERO
        if old == 0 or (old > 0) == (signed > 0):
            total = old + signed
            held.average = (old * held.average + signed * fill.price) / total
            held.quantity = total
        else:
            closed = min(abs(old), fill.quantity)
            realized = closed * (fill.price - held.average) * (1 if old > 0 else -1)
            held.quantity = old + signed
            if held.quantity == 0:
                held.average = ZERO
            elif (held.quantity > 0) != (old > 0):
                held.average = fill.price
        realized -= fill.fee
        held.realized += realized
        held.last_price = fill.price
        self.cash -= signed * fill.price + fill.fee
        return realized

    @property
    def equity(self) -> Decimal:
        """Cash plus every position at its last fill price."""
        return self.cash + sum((h.quantity * h.last_price for h in self.holdings.values()), ZERO)


@dataclass(frozen=True)
class DayClose:
    """The state at the end of one day: that day's totals, cash, equity and open holdings."""

    day: date
    totals: DayTotals
    cash: Decimal
    equity: Decimal
    holdings: dict[str, Holding]


def replay(
    fills: list[FillRow], initial_cash: Decimal, days: list[date]
) -> tuple[Decimal, list[DayClose]]:
    """Equity at the start of ``days[0]`` and the close of each day; ``fills`` sorted by time,
    none on or after the day after ``days[-1]``."""
    ledger = Ledger(initial_cash)
    index = 0
    while index < len(fills) and utc_day(fills[index]) < days[0]:
        ledger.apply(fills[index])
        index += 1
    opening = ledger.equity
    closes = []
    for day in days:
        totals = DayTotals()
        while index < len(fills) and utc_day(fills[index]) == day:
            totals.realized += ledger.apply(fills[index])
            totals.fees += fills[index].fee
            totals.fills += 1
            index += 1
        held = {
            iid: Holding(h.quantity, h.average, h.realized, h.last_price)
            for iid, h in sorted(ledger.holdings.items())
            if h.quantity != 0
        }
        closes.append(DayClose(day, totals, ledger.cash, ledger.equity, held))
    return opening, closes
