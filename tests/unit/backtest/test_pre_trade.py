"""Pre-trade limits in the event-driven backtest: the risk service's rule engine on every order,
with its reason codes, the decision bar's close as reference (no look-ahead)."""

from __future__ import annotations

import numpy as np
import pytest
from trademaster.backtest.config import BacktestConfig
from trademaster.backtest.data import MarketData
from trademaster.backtest.event import BarContext, EventStrategy, run_event_driven
from trademaster.backtest.pre_trade import PreTradeGate
from trademaster.risk import reasons as R
from trademaster.risk.model import InstrumentRules, Limits, TradingState

pytestmark = pytest.mark.unit
T = 12


class BuyEveryBar(EventStrategy):
    def __init__(self, quantity: float) -> None:
        self.quantity = quantity

    def on_bar(self, ctx: BarContext) -> None:
        if ctx.t < T - 1:
            ctx.order(self.quantity)


def _market(close: list[float] | None = None, open_: list[float] | None = None) -> MarketData:
    c = np.array(close or [100.0] * T)
    o = np.array(open_ or list(c))
    return MarketData.from_arrays(c, open_=o, tics=["AAA"])


def test_orders_past_the_position_limit_are_denied_with_the_engines_reason() -> None:
    gate = PreTradeGate(Limits(max_position={"*": 25.0}))
    result = run_event_driven(_market(), BuyEveryBar(10), BacktestConfig(), pre_trade=gate)
    assert result.positions[-1, 0] == 20  # 10, 20; 30 would breach 25
    free = run_event_driven(_market(), BuyEveryBar(10), BacktestConfig())
    assert free.positions[-1, 0] == 10 * (T - 1)
    assert len(gate.denials) == T - 3 and gate.allowed == 2
    first = gate.denials[0]
    assert (first.bar, first.asset, first.quantity) == (2, "AAA", 10)
    assert first.reasons == (R.POSITION_LIMIT_EXCEEDED,)
    assert "30" in first.messages[0] and "25" in first.messages[0]
    assert f"pre-trade limits denied {T - 3} of {T - 1} orders" in result.warnings[-1]


def test_order_quantity_and_instrument_rules_come_from_the_same_engine() -> None:
    big = PreTradeGate(Limits(max_order_quantity=5.0))
    run_event_driven(_market(), BuyEveryBar(10), BacktestConfig(), pre_trade=big)
    assert {d.reasons for d in big.denials} == {(R.ORDER_QUANTITY_EXCEEDED,)}
    lots = PreTradeGate(Limits(), {"AAA": InstrumentRules("AAA", tick_size=0.01, lot_size=3.0)})
    result = run_event_driven(_market(), BuyEveryBar(10), BacktestConfig(), pre_trade=lots)
    assert {d.reasons for d in lots.denials} == {(R.QUANTITY_NOT_LOT_MULTIPLE,)}
    assert result.positions[-1, 0] == 0


def test_halted_denies_everything_and_buying_power_counts_cash() -> None:
    halted = PreTradeGate(Limits(), state=TradingState.HALTED)
    result = run_event_driven(_market(), BuyEveryBar(1), BacktestConfig(), pre_trade=halted)
    assert result.positions[-1, 0] == 0
    assert {d.reasons for d in halted.denials} == {(R.TRADING_HALTED,)}
    cash = PreTradeGate(Limits())
    config = BacktestConfig(initial_cash=2_500.0)
    run_event_driven(_market(), BuyEveryBar(10), config, pre_trade=cash)
    assert cash.allowed == 2  # 1,000 of stock per order on 2,500 of equity
    assert cash.denials[0].reasons == (R.INSUFFICIENT_BUYING_POWER,)


def test_reference_is_the_decision_close_not_the_fill_bar() -> None:
    # the fill bar opens at 300: a limit at the decision close of 100 lets 10 units through
    # (notional 1,000 <= 1,500); judging by the fill price (3,000) would deny it
    close = [100.0] * T
    open_ = [100.0] + [300.0] * (T - 1)
    gate = PreTradeGate(Limits(max_order_notional=1_500.0))
    result = run_event_driven(
        _market(close, open_), BuyEveryBar(10), BacktestConfig(), pre_trade=gate
    )
    assert gate.denials == [] and gate.allowed == T - 1
    assert result.positions[-1, 0] == 10 * (T - 1)
