"""Every rule of trademaster.risk.RiskEngine: an allow and a deny case with the numbers."""

from __future__ import annotations

import math

import pytest
from trademaster.risk import reasons as R
from trademaster.risk.book import AccountBook
from trademaster.risk.engine import RiskEngine
from trademaster.risk.model import (
    BUY,
    SELL,
    InstrumentRules,
    Limits,
    OrderIntent,
    TradingState,
    Verdict,
)

pytestmark = pytest.mark.unit

NOW = 10_000_000_000
RULES = {
    "AAPL": InstrumentRules("AAPL", tick_size=0.01, lot_size=1.0, max_quantity=10_000),
    "BTC": InstrumentRules("BTC", tick_size=0.5, lot_size=0.001, min_notional=50.0),
    "OLD": InstrumentRules("OLD", tick_size=0.01, lot_size=1.0, enabled=False),
}


def _book(cash: float = 1_000_000.0, price: float = 100.0) -> AccountBook:
    book = AccountBook(cash)
    book.set_price("AAPL", price, NOW)
    book.set_price("BTC", 20_000.0, NOW)
    book.set_price("OLD", 5.0, NOW)
    return book


_ids = iter(range(1_000_000))


def _order(
    qty: float = 10,
    side: int = BUY,
    iid: str = "AAPL",
    price: float | None = None,
    reduce_only: bool = False,
    deployment: str = "",
) -> OrderIntent:
    return OrderIntent(f"o{next(_ids)}", iid, side, qty, price, reduce_only, deployment)


def _check(
    order: OrderIntent,
    *,
    book: AccountBook | None = None,
    limits: Limits | None = None,
    state: TradingState = TradingState.ACTIVE,
    engine: RiskEngine | None = None,
    now: int = NOW,
    dry_run: bool = False,
) -> Verdict:
    return (engine or RiskEngine()).check(
        book if book is not None else _book(),
        limits or Limits(),
        RULES,
        order,
        state,
        now,
        dry_run=dry_run,
    )


def _denied(verdict: Verdict, reason: str) -> str:
    assert not verdict.allowed
    messages = [v.message for v in verdict.violations if v.reason == reason]
    assert messages, f"expected {reason}, got {[v.reason for v in verdict.violations]}"
    return messages[0]


def test_plain_order_within_limits_is_allowed_and_reserved() -> None:
    book = _book()
    verdict = _check(_order(10), book=book)
    assert verdict.allowed and verdict.violations == []
    assert book.instruments["AAPL"].working_buy == 10
    assert verdict.position_before == 0 and verdict.position_after == 10
    assert verdict.gross_after == pytest.approx(1000.0)


def test_dry_run_reserves_nothing() -> None:
    book = _book()
    assert _check(_order(10), book=book, dry_run=True).allowed
    assert book.working == {} and book.instruments["AAPL"].working_buy == 0


# --- trading state ------------------------------------------------------------------------
def test_halted_denies_new_orders() -> None:
    message = _denied(_check(_order(1), state=TradingState.HALTED), R.TRADING_HALTED)
    assert "HALTED" in message


def test_halted_allows_flagged_reduce_only_exit() -> None:
    book = _book()
    book.apply_fill("AAPL", BUY, 10, 100.0, 0.0)
    verdict = _check(_order(10, SELL, reduce_only=True), book=book, state=TradingState.HALTED)
    assert verdict.allowed


def test_halted_reduce_only_that_would_flip_is_denied() -> None:
    book = _book()
    book.apply_fill("AAPL", BUY, 10, 100.0, 0.0)
    verdict = _check(_order(11, SELL, reduce_only=True), book=book, state=TradingState.HALTED)
    assert "-1" in _denied(verdict, R.TRADING_STATE_REDUCING)


def test_reducing_when_flat_denies_every_order() -> None:
    for side in (BUY, SELL):
        message = _denied(
            _check(_order(1, side), state=TradingState.REDUCING), R.TRADING_STATE_REDUCING
        )
        assert "flat" in message


def test_reducing_long_10_sell_10_allowed_sell_11_denied_buy_denied() -> None:
    book = _book()
    book.apply_fill("AAPL", BUY, 10, 100.0, 0.0)
    reducing = TradingState.REDUCING
    assert _check(_order(10, SELL), book=book, state=reducing, dry_run=True).allowed
    flip = _denied(_check(_order(11, SELL), book=book, state=reducing), R.TRADING_STATE_REDUCING)
    assert "flip" in flip and "-1" in flip
    grow = _denied(_check(_order(1, BUY), book=book, state=reducing), R.TRADING_STATE_REDUCING)
    assert "increase" in grow and "10" in grow


def test_reducing_counts_working_orders() -> None:
    book = _book()
    book.apply_fill("AAPL", BUY, 10, 100.0, 0.0)
    book.add_working("w1", "AAPL", SELL, 6)
    reducing = TradingState.REDUCING
    assert _check(_order(4, SELL), book=book, state=reducing, dry_run=True).allowed
    message = _denied(_check(_order(5, SELL), book=book, state=reducing), R.TRADING_STATE_REDUCING)
    assert "-1" in message


def test_reducing_short_position_buy_back_allowed() -> None:
    book = _book()
    book.apply_fill("AAPL", SELL, 5, 100.0, 0.0)
    assert _check(_order(5, BUY), book=book, state=TradingState.REDUCING).allowed
    _denied(
        _check(_order(1, SELL), book=_short_book(), state=TradingState.REDUCING),
        R.TRADING_STATE_REDUCING,
    )


def _short_book() -> AccountBook:
    book = _book()
    book.apply_fill("AAPL", SELL, 5, 100.0, 0.0)
    return book


def test_reduce_only_in_active_must_not_increase() -> None:
    message = _denied(_check(_order(1, reduce_only=True)), R.REDUCE_ONLY_WOULD_INCREASE)
    assert "flat" in message


# --- instrument rules ----------------------------------------------------------------------
def test_unknown_disabled_and_not_allowed_instruments() -> None:
    assert "'XYZ'" in _denied(_check(_order(1, iid="XYZ")), R.INSTRUMENT_UNKNOWN)
    assert "'OLD'" in _denied(_check(_order(1, iid="OLD")), R.INSTRUMENT_DISABLED)
    limits = Limits(allowed_instruments=frozenset({"BTC"}))
    assert "'AAPL'" in _denied(_check(_order(1), limits=limits), R.INSTRUMENT_NOT_ALLOWED)
    assert _check(_order(0.01, iid="BTC"), limits=limits).allowed


def test_quantity_bounds() -> None:
    assert "10001" in _denied(_check(_order(10_001)), R.QUANTITY_ABOVE_MAX)
    message = _denied(_check(_order(0.0001, iid="BTC")), R.QUANTITY_BELOW_MIN)
    assert "0.0001" in message and "0.001" in message
    assert _check(_order(10_000), limits=Limits(), book=_book(cash=1e7)).allowed


def test_lot_and_tick_multiples() -> None:
    assert "1.5" in _denied(_check(_order(1.5)), R.QUANTITY_NOT_LOT_MULTIPLE)
    message = _denied(_check(_order(1, price=100.005)), R.PRICE_NOT_TICK_MULTIPLE)
    assert "100.005" in message and "0.01" in message
    assert _check(_order(1, price=100.01)).allowed
    assert _check(_order(0.003, iid="BTC", price=20_000.5)).allowed


def test_min_notional() -> None:
    message = _denied(_check(_order(0.002, iid="BTC")), R.NOTIONAL_BELOW_MIN)
    assert "40.00" in message and "50" in message
    assert _check(_order(0.003, iid="BTC")).allowed


# --- reference price and collar ------------------------------------------------------------
def test_reference_price_missing_and_stale() -> None:
    book = AccountBook(1e6)
    assert "'AAPL'" in _denied(_check(_order(1), book=book), R.REFERENCE_PRICE_MISSING)
    book.set_price("AAPL", 100.0, NOW - 6_000_000_000)
    message = _denied(_check(_order(1), book=book), R.REFERENCE_PRICE_STALE)
    assert "6000 ms" in message and "5000 ms" in message
    limits = Limits(max_reference_age_ns=7_000_000_000)
    assert _check(_order(1), book=book, limits=limits).allowed


def test_price_collar() -> None:
    limits = Limits(price_collar_bps=500)
    message = _denied(_check(_order(1, price=106.0), limits=limits), R.PRICE_COLLAR_BREACHED)
    assert "600.0 bps" in message and "500 bps" in message
    assert _check(_order(1, price=95.0), limits=limits).allowed


# --- order size ----------------------------------------------------------------------------
def test_max_order_quantity_and_notional() -> None:
    limits = Limits(max_order_quantity=50, max_order_notional=4000)
    assert "51" in _denied(_check(_order(51), limits=limits), R.ORDER_QUANTITY_EXCEEDED)
    message = _denied(_check(_order(41), limits=limits), R.ORDER_NOTIONAL_EXCEEDED)
    assert "4100.00" in message and "4000" in message
    assert _check(_order(40), limits=limits).allowed


def test_limit_order_notional_uses_limit_price() -> None:
    limits = Limits(max_order_notional=1000)
    assert _check(_order(10, price=99.0), limits=limits).allowed
    _denied(_check(_order(10, price=101.0), limits=limits), R.ORDER_NOTIONAL_EXCEEDED)


# --- position and exposure -----------------------------------------------------------------
def test_position_limit_counts_position_and_working_orders() -> None:
    book = _book()
    book.apply_fill("AAPL", BUY, 60, 100.0, 0.0)
    book.add_working("w", "AAPL", BUY, 30)
    limits = Limits(max_position={"AAPL": 100})
    assert _check(_order(10), book=book, limits=limits, dry_run=True).allowed
    message = _denied(_check(_order(11), book=book, limits=limits), R.POSITION_LIMIT_EXCEEDED)
    assert "101" in message and "100" in message


def test_position_limit_wildcard() -> None:
    limits = Limits(max_position={"*": 5})
    assert "6" in _denied(_check(_order(6), limits=limits), R.POSITION_LIMIT_EXCEEDED)


def test_gross_and_net_exposure() -> None:
    book = _book()
    book.apply_fill("BTC", BUY, 0.1, 20_000.0, 0.0)  # 2000 of exposure
    limits = Limits(max_gross_exposure=3000)
    message = _denied(_check(_order(11), book=book, limits=limits), R.GROSS_EXPOSURE_EXCEEDED)
    assert "3100.00" in message
    assert _check(_order(10), book=book, limits=limits, dry_run=True).allowed
    limits = Limits(max_net_exposure=2500)
    message = _denied(_check(_order(6), book=book, limits=limits), R.NET_EXPOSURE_EXCEEDED)
    assert "2600.00" in message
    # a short AAPL position offsets the long BTC: net shrinks, allowed
    assert _check(_order(20, SELL), book=book, limits=limits).allowed


def test_buying_power_and_leverage() -> None:
    book = _book(cash=5_000.0)
    message = _denied(_check(_order(51), book=book), R.INSUFFICIENT_BUYING_POWER)
    assert "5100.00" in message and "5000.00" in message
    assert _check(_order(50), book=book, dry_run=True).allowed
    limits = Limits(max_leverage=2.0)
    assert _check(_order(100), book=book, limits=limits, dry_run=True).allowed
    message = _denied(_check(_order(101), book=book, limits=limits), R.LEVERAGE_EXCEEDED)
    assert "2.020" in message and "2" in message


def test_exposure_reducing_order_needs_no_buying_power() -> None:
    book = _book(cash=0.0)
    book.apply_fill("AAPL", BUY, 10, 100.0, 0.0)  # cash -1000, equity 0
    assert _check(_order(10, SELL), book=book).allowed


# --- rates, working orders, duplicates -----------------------------------------------------
def test_account_rate_limit_token_bucket() -> None:
    engine, book = RiskEngine(), _book()
    limits = Limits(max_orders_per_second=2, order_burst=2)
    assert _check(_order(1), book=book, limits=limits, engine=engine).allowed
    assert _check(_order(1), book=book, limits=limits, engine=engine).allowed
    message = _denied(
        _check(_order(1), book=book, limits=limits, engine=engine), R.RATE_LIMIT_EXCEEDED
    )
    assert "2/s" in message
    later = NOW + 500_000_000  # half a second refills one token
    assert _check(_order(1), book=book, limits=limits, engine=engine, now=later).allowed


def test_denied_and_dry_run_orders_take_no_tokens() -> None:
    engine, book = RiskEngine(), _book()
    limits = Limits(max_orders_per_second=1, order_burst=1)
    _check(_order(1, iid="XYZ"), book=book, limits=limits, engine=engine)
    _check(_order(1), book=book, limits=limits, engine=engine, dry_run=True)
    assert _check(_order(1), book=book, limits=limits, engine=engine).allowed


def test_deployment_rate_limit_is_per_deployment() -> None:
    engine, book = RiskEngine(), _book()
    limits = Limits(max_deployment_orders_per_second=1)
    assert _check(_order(1, deployment="d1"), book=book, limits=limits, engine=engine).allowed
    message = _denied(
        _check(_order(1, deployment="d1"), book=book, limits=limits, engine=engine),
        R.DEPLOYMENT_RATE_LIMIT_EXCEEDED,
    )
    assert "'d1'" in message
    assert _check(_order(1, deployment="d2"), book=book, limits=limits, engine=engine).allowed


def test_max_working_orders() -> None:
    engine, book = RiskEngine(), _book()
    limits = Limits(max_working_orders=2)
    assert _check(_order(1), book=book, limits=limits, engine=engine).allowed
    assert _check(_order(2), book=book, limits=limits, engine=engine).allowed
    message = _denied(
        _check(_order(3), book=book, limits=limits, engine=engine), R.MAX_WORKING_ORDERS_EXCEEDED
    )
    assert "2 orders are working, limit 2" in message


def test_duplicate_intent_window() -> None:
    engine, book = RiskEngine(), _book()
    limits = Limits(duplicate_window_ns=1_000_000_000)
    assert _check(_order(7), book=book, limits=limits, engine=engine).allowed
    message = _denied(
        _check(_order(7), book=book, limits=limits, engine=engine, now=NOW + 200_000_000),
        R.DUPLICATE_INTENT,
    )
    assert "200 ms ago" in message and "1000 ms" in message
    assert _check(_order(8), book=book, limits=limits, engine=engine, now=NOW + 1).allowed
    later = NOW + 1_000_000_001
    assert _check(_order(7), book=book, limits=limits, engine=engine, now=later).allowed


def test_release_undoes_reservation() -> None:
    engine, book = RiskEngine(), _book()
    limits = Limits(max_orders_per_second=1, order_burst=1, duplicate_window_ns=10**9)
    order = _order(5)
    assert _check(order, book=book, limits=limits, engine=engine).allowed
    engine.release(book, order, limits)
    assert book.working == {} and book.instruments["AAPL"].working_buy == 0
    assert _check(_order(5), book=book, limits=limits, engine=engine).allowed


def test_denial_lists_every_violated_rule_in_order() -> None:
    limits = Limits(max_order_quantity=1, max_order_notional=10)
    verdict = _check(_order(5, price=100.005), limits=limits, state=TradingState.HALTED)
    reasons = [v.reason for v in verdict.violations]
    assert reasons == [
        R.TRADING_HALTED,
        R.PRICE_NOT_TICK_MULTIPLE,
        R.ORDER_QUANTITY_EXCEEDED,
        R.ORDER_NOTIONAL_EXCEEDED,
    ]
    assert all(not math.isnan(v.limit) for v in verdict.violations[1:])


# --- modifications -------------------------------------------------------------------------


def _working_book(quantity: float) -> AccountBook:
    book = AccountBook(1_000_000.0)
    book.set_price("AAPL", 100.0, NOW)
    book.add_working("w-1", "AAPL", BUY, quantity)
    return book


def test_modify_replaces_the_working_quantity_instead_of_adding() -> None:
    book = _working_book(8)
    limits = Limits(max_position={"AAPL": 12.0})
    engine = RiskEngine()
    intent = OrderIntent("w-1", "AAPL", BUY, 10.0, 99.0)
    verdict = engine.check_modify(book, limits, RULES, intent, TradingState.ACTIVE, NOW)
    assert verdict.allowed and verdict.position_after == 10
    assert book.working["w-1"].open_quantity == 10
    assert book.instruments["AAPL"].working_buy == 10


def test_denied_modify_keeps_the_old_working_quantity() -> None:
    book = _working_book(8)
    limits = Limits(max_order_quantity=9.0)
    verdict = RiskEngine().check_modify(
        book, limits, RULES, OrderIntent("w-1", "AAPL", BUY, 10.0, 99.0), TradingState.ACTIVE, NOW
    )
    assert [v.reason for v in verdict.violations] == [R.ORDER_QUANTITY_EXCEEDED]
    assert book.working["w-1"].open_quantity == 8
    assert book.instruments["AAPL"].working_buy == 8


def test_halted_refuses_a_reduce_only_modify_too() -> None:
    book = _working_book(0)
    book.reduce_working("w-1")
    book.apply_fill("AAPL", BUY, 10, 100.0, 0.0)
    book.add_working("exit", "AAPL", SELL, 5)
    exit_ = OrderIntent("exit", "AAPL", SELL, 4.0, 99.0, reduce_only=True)
    verdict = RiskEngine().check_modify(book, Limits(), RULES, exit_, TradingState.HALTED, NOW)
    assert [v.reason for v in verdict.violations] == [R.TRADING_HALTED]
    assert book.working["exit"].open_quantity == 5
    submit = RiskEngine().check(book, Limits(), RULES, exit_, TradingState.HALTED, NOW)
    assert submit.allowed  # a reduce-only submit is the emergency exit HALTED allows


def test_restore_counts_the_old_quantity_again() -> None:
    book = _working_book(8)
    engine = RiskEngine()
    intent = OrderIntent("w-1", "AAPL", BUY, 10.0, 99.0)
    assert engine.check_modify(book, Limits(), RULES, intent, TradingState.ACTIVE, NOW).allowed
    engine.restore(book, intent, 8.0)
    assert book.working["w-1"].open_quantity == 8
    assert book.instruments["AAPL"].working_buy == 8
