"""Costs, impact models and fill timing."""

import pytest
import torch
from trademaster.market.costs import (
    CostModel,
    apply_impact,
    fixed_bps_impact,
    slipped_price,
    square_root_impact,
    trading_fee,
    volume_share_impact,
)
from trademaster.market.fills import FillTiming, fill_prices

pytestmark = pytest.mark.unit


def test_fee_is_proportional_plus_fixed_only_when_trading() -> None:
    notional = torch.tensor([-200.0, 0.0, 50.0], dtype=torch.float64)
    fee = trading_fee(notional, fee_rate=0.01, fixed_fee=1.0)
    assert fee.tolist() == pytest.approx([3.0, 0.0, 1.5])


def test_cost_model_rejects_negative_and_full_fees() -> None:
    with pytest.raises(ValueError, match="fee_rate must be >= 0, was -0.1"):
        CostModel(fee_rate=-0.1)
    with pytest.raises(ValueError, match="fee_rate must be < 1"):
        CostModel(fee_rate=1.0)
    with pytest.raises(ValueError, match="slippage_bps must be >= 0"):
        CostModel(slippage_bps=float("nan"))


def test_slipped_price_moves_against_trader() -> None:
    price = torch.tensor([100.0, 100.0, 100.0], dtype=torch.float64)
    qty = torch.tensor([2.0, -2.0, 0.0], dtype=torch.float64)
    assert slipped_price(price, qty, 10.0).tolist() == pytest.approx([100.1, 99.9, 100.0])


def test_impact_models_grow_with_size_and_hurt_the_trader() -> None:
    qty = torch.tensor([1.0, 4.0, -4.0], dtype=torch.float64)
    sqrt_imp = square_root_impact(qty, torch.full((3,), 100.0), torch.full((3,), 0.02), k=1.0)
    share_imp = volume_share_impact(qty, torch.full((3,), 10.0), coefficient=0.1)
    assert sqrt_imp.tolist() == pytest.approx([0.002, 0.004, 0.004])
    assert share_imp.tolist() == pytest.approx([0.001, 0.016, 0.016])
    assert fixed_bps_impact(qty, 5.0).tolist() == pytest.approx([5e-4] * 3)
    moved = apply_impact(torch.full((3,), 100.0, dtype=torch.float64), qty, sqrt_imp)
    assert moved.tolist() == pytest.approx([100.2, 100.4, 99.6])


def test_volume_share_caps_zero_volume_bars() -> None:
    impact = volume_share_impact(
        torch.tensor([5.0]), torch.tensor([0.0]), coefficient=0.1, max_share=0.5
    )
    assert impact.item() == pytest.approx(0.025)


def test_square_root_impact_rejects_zero_adv() -> None:
    with pytest.raises(ValueError, match="adv must be > 0"):
        square_root_impact(torch.ones(1), torch.zeros(1), torch.ones(1), k=1.0)


def test_fill_timing_uses_next_bar_by_default() -> None:
    open_ = torch.tensor([10.0, 11.0, 12.0])
    close = torch.tensor([10.5, 11.5, 12.5])
    idx = torch.tensor([0, 1])
    assert fill_prices(FillTiming.NEXT_OPEN, idx, open_, close).tolist() == [11.0, 12.0]
    assert fill_prices("next_close", idx, None, close).tolist() == [11.5, 12.5]
    assert fill_prices(FillTiming.SAME_CLOSE, idx, None, close).tolist() == [10.5, 11.5]
    assert FillTiming.SAME_CLOSE.is_look_ahead_prone
    assert not FillTiming.NEXT_OPEN.is_look_ahead_prone
    with pytest.raises(ValueError, match="NEXT_OPEN fill timing needs open prices"):
        fill_prices(FillTiming.NEXT_OPEN, idx, None, close)
