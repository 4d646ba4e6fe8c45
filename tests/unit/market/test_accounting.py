"""Accounting invariants of the shared market model."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from trademaster.market.accounting import (
    Portfolio,
    constrain_target_positions,
    mark_to_market,
    position_weights,
    rebalance_to_target_positions,
    target_weights_to_positions,
)
from trademaster.market.costs import CostModel

pytestmark = pytest.mark.unit

F64 = torch.float64
prices_st = st.floats(1.0, 1000.0)
qty_st = st.floats(-50.0, 50.0)
trades_st = st.lists(
    st.tuples(
        st.lists(qty_st, min_size=3, max_size=3), st.lists(prices_st, min_size=3, max_size=3)
    ),
    min_size=1,
    max_size=8,
)
costs_st = st.builds(
    CostModel,
    fee_rate=st.floats(0.0, 0.01),
    fixed_fee=st.floats(0.0, 5.0),
    slippage_bps=st.floats(0.0, 50.0),
)


def _t(values: list[float]) -> torch.Tensor:
    return torch.tensor([values], dtype=F64)


def test_short_sale_credits_cash_and_gains_when_price_falls() -> None:
    cost = CostModel(fee_rate=0.001)
    cash, positions = torch.tensor([1000.0], dtype=F64), torch.zeros(1, dtype=F64)

    result = rebalance_to_target_positions(
        cash, positions, torch.tensor([-1.0], dtype=F64), torch.tensor([100.0], dtype=F64), cost
    )

    assert result.cash.item() == pytest.approx(1000.0 + 100.0 - 0.1)
    assert result.positions.item() == -1.0
    value_at_90 = mark_to_market(result.cash, result.positions, torch.tensor([90.0], dtype=F64))
    assert value_at_90.item() == pytest.approx(1000.0 + 10.0 - 0.1)


def test_slippage_fills_buys_higher_and_sells_lower() -> None:
    cost = CostModel(slippage_bps=100.0)
    price = torch.tensor([[100.0, 100.0]], dtype=F64)
    result = rebalance_to_target_positions(
        torch.tensor([0.0], dtype=F64), torch.zeros(1, 2, dtype=F64), _t([1.0, -1.0]), price, cost
    )
    # buy 1 at 101, sell 1 at 99: cash -2, slippage cost 2
    assert result.cash.item() == pytest.approx(-2.0)
    assert result.slippage_cost.item() == pytest.approx(2.0)


@settings(max_examples=60, deadline=None)
@given(trades=trades_st, cost=costs_st)
def test_value_identity_holds_after_any_trade_sequence(trades, cost) -> None:
    cash, positions = torch.tensor([10_000.0], dtype=F64), torch.zeros(1, 3, dtype=F64)
    for target, prices in trades:
        price = _t(prices)
        before = mark_to_market(cash, positions, price)
        cash, positions, traded, fees, slip = rebalance_to_target_positions(
            cash, positions, _t(target), price, cost
        )
        after = mark_to_market(cash, positions, price)
        assert torch.all(fees >= 0) and torch.all(slip >= 0)
        assert after.item() == pytest.approx((before - fees - slip).item(), abs=1e-7)
        expected = cash + (positions * price).sum(-1)
        assert after.item() == expected.item()


@settings(max_examples=60, deadline=None)
@given(
    qty=st.lists(qty_st, min_size=3, max_size=3),
    p0=st.lists(prices_st, min_size=3, max_size=3),
    p1=st.lists(prices_st, min_size=3, max_size=3),
    cost=costs_st,
)
def test_no_trade_keeps_value_and_tracks_price_moves(qty, p0, p1, cost) -> None:
    cash, positions = torch.tensor([500.0], dtype=F64), _t(qty)
    before = mark_to_market(cash, positions, _t(p0))

    result = rebalance_to_target_positions(cash, positions, positions, _t(p0), cost)

    assert result.cash.item() == cash.item()
    assert result.fees.item() == 0.0
    assert mark_to_market(result.cash, result.positions, _t(p0)).item() == before.item()
    moved = mark_to_market(result.cash, result.positions, _t(p1))
    expected = before + (positions * (_t(p1) - _t(p0))).sum(-1)
    assert moved.item() == pytest.approx(expected.item(), abs=1e-8)


@settings(max_examples=60, deadline=None)
@given(
    trades=trades_st,
    fee_lo=st.floats(0.0, 0.005),
    fee_extra=st.floats(0.0, 0.005),
    slip_lo=st.floats(0.0, 20.0),
    slip_extra=st.floats(0.0, 20.0),
)
def test_final_value_is_non_increasing_in_fee_rate_and_slippage(
    trades, fee_lo, fee_extra, slip_lo, slip_extra
) -> None:
    def final_value(cost: CostModel) -> float:
        cash, positions = torch.tensor([10_000.0], dtype=F64), torch.zeros(1, 3, dtype=F64)
        for target, prices in trades:
            cash, positions, *_ = rebalance_to_target_positions(
                cash, positions, _t(target), _t(prices), cost
            )
        return mark_to_market(cash, positions, _t(trades[-1][1])).item()

    cheap = final_value(CostModel(fee_rate=fee_lo, slippage_bps=slip_lo))
    dear = final_value(CostModel(fee_rate=fee_lo + fee_extra, slippage_bps=slip_lo + slip_extra))
    assert dear <= cheap + 1e-7


def test_portfolio_create_and_value() -> None:
    book = Portfolio.create(2, 3, 100.0)
    assert book.cash.dtype == torch.float64 and book.positions.shape == (2, 3)
    assert torch.equal(book.value(torch.ones(2, 3, dtype=F64)), torch.full((2,), 100.0, dtype=F64))


def test_weights_round_trip() -> None:
    value = torch.tensor([1000.0, 500.0], dtype=F64)
    weights = torch.tensor([[0.2, -0.3], [0.5, 0.5]], dtype=F64)
    prices = torch.tensor([[10.0, 20.0], [5.0, 50.0]], dtype=F64)

    positions = target_weights_to_positions(value, weights, prices)

    assert positions[0].tolist() == pytest.approx([20.0, -15.0])
    assert torch.allclose(position_weights(value, positions, prices), weights)


def test_constraints_no_short_leverage_and_lots() -> None:
    value = torch.tensor([1000.0], dtype=F64)
    prices = _t([10.0, 10.0])

    no_short = constrain_target_positions(_t([5.0, -5.0]), value, prices, allow_short=False)
    levered = constrain_target_positions(_t([150.0, -150.0]), value, prices, max_leverage=2.0)
    lots = constrain_target_positions(_t([7.9, -7.9]), value, prices, lot_size=5.0)

    assert no_short.tolist() == [[5.0, 0.0]]
    assert levered[0].tolist() == pytest.approx([100.0, -100.0])
    assert lots.tolist() == [[5.0, -5.0]]


def test_constraint_arguments_are_validated() -> None:
    value, prices = torch.tensor([1.0], dtype=F64), _t([1.0])
    with pytest.raises(ValueError, match="max_leverage must be > 0, was 0"):
        constrain_target_positions(prices, value, prices, max_leverage=0.0)
    with pytest.raises(ValueError, match="lot_size must be > 0, was -1"):
        constrain_target_positions(prices, value, prices, lot_size=-1.0)
