"""Result: metrics equal trademaster.metrics, limits, fill timing, benchmark, regimes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from support.shared_data import shared_data_path
from trademaster.backtest.config import BacktestConfig, SlippageConfig
from trademaster.backtest.data import MarketData
from trademaster.backtest.event import (
    BarContext,
    run_event_driven,
    run_target_weights,
    strategy_from_function,
)
from trademaster.backtest.execution import LookAheadWarning
from trademaster.backtest.vectorized import run_target_positions
from trademaster.data.loaders import load_ohlcv
from trademaster.data.synthetic import gbm
from trademaster.metrics.report import compute_metrics

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def data() -> MarketData:
    return MarketData.from_frame(gbm(300, 3, seed=11))


def _alternating(data: MarketData, size: float = 10.0) -> np.ndarray:
    t = np.arange(data.num_bars)
    return np.where((t // 20) % 2 == 0, size, 0.0)[:, None].repeat(data.num_assets, 1)


def test_metrics_equal_trademaster_metrics_on_the_equity_curve(data: MarketData) -> None:
    result = run_target_positions(data, _alternating(data), BacktestConfig(fee_rate=0.002))
    exits = result.trades.query("effect == 'exit'")["realized_pnl"].to_numpy()
    expected = compute_metrics(
        result.equity,
        periods_per_year=252.0,
        benchmark=result.benchmark,
        weights=result.weights(),
        trades=exits,
    )
    for key, value in expected.items():
        got = result.metrics[key]
        assert (math.isnan(got) and math.isnan(value)) or got == pytest.approx(value), key
    assert result.metrics["num_trades"] == len(exits) > 0


def test_realized_pnl_of_round_trips_sums_to_equity_change(data: MarketData) -> None:
    targets = _alternating(data)
    targets[-30:] = 0.0
    result = run_target_positions(data, targets, BacktestConfig(fee_rate=0.003, fixed_fee=1))
    pnl = result.trades["realized_pnl"].sum()
    assert result.positions[-1].sum() == 0
    assert pnl == pytest.approx(result.final_equity - 1_000_000.0, rel=1e-9)


def test_same_close_fill_warns_and_is_flagged(data: MarketData) -> None:
    with pytest.warns(LookAheadWarning, match="same_close"):
        result = run_target_positions(
            data, _alternating(data), BacktestConfig(fill_timing="same_close")
        )
    assert result.warnings and "look-ahead" in result.warnings[0]
    assert result.ledger.fills.bar[0] == 0


def test_next_close_fills_at_the_next_close(data: MarketData) -> None:
    result = run_target_positions(
        data, _alternating(data), BacktestConfig(fill_timing="next_close")
    )
    fills = result.ledger.fills
    assert fills.bar[0] == 1
    np.testing.assert_allclose(fills.price, data.close[fills.bar, fills.asset])


def test_no_short_and_unit_cap_limit_positions(data: MarketData) -> None:
    targets = np.where(_alternating(data) > 0, 50.0, -50.0)
    config = BacktestConfig(allow_short=False, max_position_units=20)
    result = run_target_positions(data, targets, config)
    assert result.positions.min() >= 0 and result.positions.max() == 20


def test_cash_floor_shrinks_buys(data: MarketData) -> None:
    config = BacktestConfig(initial_cash=1_000, min_cash=0.0, fee_rate=0.01)
    result = run_target_positions(data, _alternating(data, size=100.0), config)
    assert result.path == "event"
    assert result.cash.min() >= -1e-9
    assert result.positions.max() < 100


def test_volume_limit_caps_each_fill(data: MarketData) -> None:
    slip = SlippageConfig(kind="volume_share", volume_limit=0.0001, price_impact=0.1)
    result = run_target_positions(data, _alternating(data, size=1e4), BacktestConfig(slippage=slip))
    fills = result.ledger.fills
    cap = 0.0001 * data.volume[fills.bar, fills.asset]
    assert (np.abs(fills.quantity) <= cap + 1e-9).all()
    assert (fills.slippage > 0).all()


def test_sqrt_impact_costs_more_for_bigger_orders(data: MarketData) -> None:
    slip = SlippageConfig(kind="sqrt_impact", price_impact=1.0, window=10)
    small = run_target_positions(data, _alternating(data, 10), BacktestConfig(slippage=slip))
    big = run_target_positions(data, _alternating(data, 1000), BacktestConfig(slippage=slip))
    per_unit_small = small.ledger.fills.slippage.sum() / np.abs(small.ledger.fills.quantity).sum()
    per_unit_big = big.ledger.fills.slippage.sum() / np.abs(big.ledger.fills.quantity).sum()
    assert per_unit_big > per_unit_small > 0


def test_equal_weight_portfolio_stays_within_leverage(data: MarketData) -> None:
    weights = np.full((data.num_bars, 3), 0.5)
    config = BacktestConfig(max_leverage=1.0, fee_rate=0.001)
    result = run_target_weights(data, weights, config, rebalance_every_bar=True)
    gross = np.abs(result.weights()).sum(1)
    assert gross[1:].max() < 1.05 and gross[5] > 0.9


def test_fully_invested_single_asset_rebalance_makes_no_dust_trades() -> None:
    one = MarketData.from_frame(gbm(200, 1, seed=5))
    weights = np.ones((one.num_bars, 1))

    result = run_target_weights(
        one, weights, BacktestConfig(fee_rate=0.001), rebalance_every_bar=True
    )

    notional = np.abs(result.ledger.fills.quantity * result.ledger.fills.price)
    assert notional.min() >= 1e-6 * 1_000_000, f"dust fills: {np.sort(notional)[:5]}"


def test_order_level_strategy_reads_cash_after_costs(data: MarketData) -> None:
    seen: list[float] = []

    def on_bar(ctx: BarContext) -> None:
        if ctx.t == 0:
            ctx.order(10.0)
        if ctx.t == 2:
            seen.append(ctx.cash)

    config = BacktestConfig(initial_cash=10_000, fee_rate=0.01)
    run_event_driven(data, strategy_from_function(on_bar), config)
    cost = 10.0 * data.open[1, 0]
    assert seen == [pytest.approx(10_000 - cost * 1.01)]


def test_benchmark_named_asset_and_unknown_name(data: MarketData) -> None:
    result = run_target_positions(data, _alternating(data), BacktestConfig(), benchmark="SYN01")
    np.testing.assert_allclose(result.benchmark, 1e6 * data.close[:, 1] / data.close[0, 1])
    assert "alpha" in result.metrics and "excess_return" in result.metrics
    with pytest.raises(ValueError, match="benchmark must be"):
        run_target_positions(data, _alternating(data), BacktestConfig(), benchmark="NOPE")


def test_regime_breakdown_from_labels() -> None:
    path = (
        shared_data_path()
        / "algorithmic_trading/BTC/Market_Dynamics_Model/BTC"
        / "test_labeled_slice_and_merge_model_3dynamics_minlength12_quantile_labeling.csv"
    )
    if not path.is_file():
        pytest.skip(f"shared market data not found at {path} (set TM_SHARED_DATA)")
    data = MarketData.from_frame(load_ohlcv(path))
    result = run_target_positions(data, np.full(data.num_bars, 1.0), BacktestConfig())
    regimes = result.regimes
    assert {r.regime for r in regimes} == {"0", "1", "2"}
    assert sum(r.bars for r in regimes) == data.num_bars - 1
    total = np.prod([1 + r.metrics["total_return"] for r in regimes]) - 1
    assert total == pytest.approx(result.metrics["total_return"], rel=1e-9)


def test_date_slice_rejects_empty_and_reversed_ranges(data: MarketData) -> None:
    with pytest.raises(ValueError, match="start must be <= end"):
        data.slice_dates("2020-05-01", "2020-01-01")
    with pytest.raises(ValueError, match="need >= 2"):
        data.slice_dates("1990-01-01", "1990-02-01")
