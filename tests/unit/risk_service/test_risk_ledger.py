"""The compliance ledger: exact-decimal replay of fills into end-of-day positions and daily P&L,
agreeing with the live book's average-cost rules."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from tm_risk.ledger import replay, utc_day
from tm_risk.records import FillRow
from trademaster.risk.book import AccountBook
from trademaster.risk.model import BUY, SELL

pytestmark = pytest.mark.unit

DAY = date(2026, 3, 2)


def _fill(side: str, qty: str, price: str, fee: str, day: date, hour: int = 12) -> FillRow:
    at = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    return FillRow(
        uuid.uuid4(), uuid.uuid4(), "c", "X", side, Decimal(qty), Decimal(price), Decimal(fee),
        at, uuid.uuid4().hex,
    )  # fmt: skip


def test_days_positions_and_pnl_match_the_live_book() -> None:
    fills = [
        _fill("BUY", "10", "100", "1", DAY - timedelta(days=1)),
        _fill("SELL", "4", "110", "0.5", DAY),
        _fill("SELL", "10", "105", "0.25", DAY + timedelta(days=1)),  # through zero: short 4
    ]
    opening, closes = replay(fills, Decimal(10_000), [DAY, DAY + timedelta(days=1)])
    assert opening == Decimal(10_000) - 1000 - 1 + 10 * 100  # the position at its fill price
    first, second = closes
    assert (first.totals.fills, first.totals.realized) == (1, Decimal("39.5"))
    assert first.holdings["X"].quantity == 6 and first.holdings["X"].average == 100
    assert second.holdings["X"].quantity == -4 and second.holdings["X"].average == 105
    assert second.totals.realized == Decimal(6 * 5) - Decimal("0.25")
    book = AccountBook(10_000.0)
    for f in fills:
        book.apply_fill("X", BUY if f.side == "BUY" else SELL, float(f.quantity), float(f.price),
                        float(f.fee))  # fmt: skip
    assert float(second.cash) == pytest.approx(book.cash)
    assert float(second.holdings["X"].realized) == pytest.approx(book.instruments["X"].realized_pnl)
    assert second.equity == second.cash + (-4) * 105


def test_a_day_with_no_fills_keeps_the_positions_and_a_utc_day_is_utc() -> None:
    fills = [_fill("BUY", "1", "50", "0", DAY)]
    _, closes = replay(fills, Decimal(100), [DAY, DAY + timedelta(days=1)])
    assert [c.totals.fills for c in closes] == [1, 0]
    assert closes[1].holdings["X"].quantity == 1 and closes[1].equity == 100
    late = FillRow(
        **{
            **fills[0].__dict__,
            "fill_time": datetime(2026, 3, 2, 23, 30, tzinfo=timezone(timedelta(hours=-5))),
        }
    )
    assert utc_day(late) == DAY + timedelta(days=1)
