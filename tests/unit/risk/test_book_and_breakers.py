"""AccountBook aggregates and P&L, and the breakers' trips (toward safety only)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trademaster.risk.book import AccountBook
from trademaster.risk.breakers import Breakers
from trademaster.risk.model import BUY, SELL, Limits, TradingState

pytestmark = pytest.mark.unit


def test_fill_accounting_round_trip_with_fee() -> None:
    book = AccountBook(10_000.0)
    book.set_price("X", 100.0, 0)
    assert book.apply_fill("X", BUY, 10, 100.0, 1.0) == pytest.approx(-1.0)
    assert book.cash == pytest.approx(10_000 - 1000 - 1)
    realized = book.apply_fill("X", SELL, 10, 110.0, 1.0)
    assert realized == pytest.approx(100 - 1)
    assert book.instruments["X"].position == 0
    assert book.cash == pytest.approx(10_000 + 100 - 2)


def test_position_flip_resets_average_price() -> None:
    book = AccountBook(0.0)
    book.apply_fill("X", BUY, 10, 100.0, 0.0)
    book.apply_fill("X", SELL, 15, 90.0, 0.0)
    ib = book.instruments["X"]
    assert ib.position == -5 and ib.average_price == 90.0
    assert ib.realized_pnl == pytest.approx(-100.0)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            st.sampled_from(["fill", "work", "done", "price"]),
            st.sampled_from([BUY, SELL]),
            st.integers(1, 50),
            st.floats(1.0, 500.0),
        ),
        max_size=60,
    )
)
def test_aggregates_equal_recomputation(events: list[tuple[str, str, int, int, float]]) -> None:
    book = AccountBook(1e6)
    for n, (iid, kind, side, qty, price) in enumerate(events):
        if kind == "fill":
            book.apply_fill(iid, side, qty, price, 0.5)
        elif kind == "work":
            book.add_working(f"k{n}", iid, side, qty)
        elif kind == "done" and book.working:
            book.reduce_working(next(iter(book.working)), qty)
        else:
            book.set_price(iid, price, n)
    priced = [b for b in book.instruments.values() if b.price == b.price]
    assert book.gross_exposure == pytest.approx(
        sum(b.worst_abs() * b.price for b in priced), abs=1e-9
    )
    assert book.net_value == pytest.approx(sum(b.position * b.price for b in priced), abs=1e-9)
    assert book.working_buy_value == pytest.approx(
        sum(b.working_buy * b.price for b in priced), abs=1e-9
    )
    for iid, b in book.instruments.items():
        open_buys = sum(
            w.open_quantity
            for w in book.working.values()
            if w.instrument_id == iid and w.side == BUY
        )
        assert b.working_buy == pytest.approx(open_buys)


def test_daily_loss_halts() -> None:
    breakers = Breakers(day_start_equity=10_000, high_water_mark=10_000)
    limits = Limits(max_daily_loss=500)
    assert breakers.on_equity(9_600, limits) is None
    trip = breakers.on_equity(9_400, limits)
    assert trip is not None and trip.state is TradingState.HALTED
    assert trip.breaker == "daily_loss" and "600.00" in trip.reason and "500.00" in trip.reason


def test_drawdown_from_high_water_mark_halts() -> None:
    breakers = Breakers(day_start_equity=10_000, high_water_mark=10_000)
    limits = Limits(max_drawdown=0.1)
    assert breakers.on_equity(12_000, limits) is None
    assert breakers.high_water_mark == 12_000
    assert breakers.on_equity(10_900, limits) is None
    trip = breakers.on_equity(10_700, limits)
    assert trip is not None and trip.breaker == "drawdown" and "0.1083" in trip.reason


def test_denial_streak_moves_to_reducing_with_cooldown() -> None:
    breakers = Breakers(1.0, 1.0)
    limits = Limits(max_consecutive_denials=3, breaker_cooldown_s=60)
    assert breakers.on_decision(False, limits) is None
    assert breakers.on_decision(True, limits) is None
    assert breakers.on_decision(False, limits) is None
    assert breakers.on_decision(False, limits) is None
    trip = breakers.on_decision(False, limits)
    assert trip is not None and trip.state is TradingState.REDUCING and trip.cooldown_s == 60
    assert "3 consecutive denials" in trip.reason


def test_loss_streak_counts_only_closing_fills() -> None:
    breakers = Breakers(1.0, 1.0)
    limits = Limits(max_consecutive_losses=2)
    assert breakers.on_fill(-1.0, False, limits) is None
    assert breakers.on_fill(-1.0, True, limits) is None
    trip = breakers.on_fill(-2.0, True, limits)
    assert trip is not None and trip.breaker == "consecutive_losses"
