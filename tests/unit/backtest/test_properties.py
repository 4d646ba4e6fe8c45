"""Property tests: costs only hurt, both engine paths agree, accounting identities hold."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trademaster.backtest.config import BacktestConfig, SlippageConfig
from trademaster.backtest.data import MarketData
from trademaster.backtest.event import TargetPositionsStrategy, run_event_driven
from trademaster.backtest.vectorized import run_target_positions

pytestmark = pytest.mark.unit

T = 120


def _market(seed: int, assets: int = 1) -> MarketData:
    rng = np.random.default_rng(seed)
    close = 50 * np.exp(np.cumsum(0.02 * rng.standard_normal((T, assets)), axis=0))
    open_ = close * np.exp(0.005 * rng.standard_normal((T, assets)))
    volume = rng.uniform(500, 5000, size=(T, assets))
    return MarketData.from_arrays(close, open_=open_, volume=volume)


def _signals(seed: int, assets: int = 1, *, short: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed + 1000)
    levels = np.array([-10.0, 0.0, 10.0, 25.0]) if short else np.array([0.0, 10.0, 25.0])
    keep = rng.random((T, assets)) < 0.8
    raw = rng.choice(levels, size=(T, assets))
    out = raw.copy()
    for t in range(1, T):
        out[t] = np.where(keep[t], out[t - 1], raw[t])
    return out


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    fee_lo=st.floats(0, 0.01),
    extra_fee=st.floats(0, 0.01),
    bps_lo=st.floats(0, 50),
    extra_bps=st.floats(0, 50),
    fixed_lo=st.floats(0, 5),
    extra_fixed=st.floats(0, 5),
)
def test_more_fee_or_slippage_never_increases_final_equity(
    seed: int,
    fee_lo: float,
    extra_fee: float,
    bps_lo: float,
    extra_bps: float,
    fixed_lo: float,
    extra_fixed: float,
) -> None:
    data, targets = _market(seed), _signals(seed)

    def final(fee: float, bps: float, fixed: float) -> float:
        config = BacktestConfig(
            initial_cash=10_000,
            fee_rate=fee,
            fixed_fee=fixed,
            slippage=SlippageConfig(kind="fixed_bps", bps=bps),
        )
        return run_target_positions(data, targets, config, benchmark=None).final_equity

    low = final(fee_lo, bps_lo, fixed_lo)
    assert final(fee_lo + extra_fee, bps_lo, fixed_lo) <= low + 1e-9
    assert final(fee_lo, bps_lo + extra_bps, fixed_lo) <= low + 1e-9
    assert final(fee_lo, bps_lo, fixed_lo + extra_fixed) <= low + 1e-9


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), extra_k=st.floats(0.0, 2.0))
def test_more_volume_share_impact_never_increases_final_equity(seed: int, extra_k: float) -> None:
    data, targets = _market(seed), _signals(seed)

    def final(k: float) -> float:
        slip = SlippageConfig(kind="volume_share", price_impact=k)
        config = BacktestConfig(initial_cash=10_000, fee_rate=0.001, slippage=slip)
        return run_target_positions(data, targets, config, benchmark=None).final_equity

    assert final(0.1 + extra_k) <= final(0.1) + 1e-9


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    assets=st.integers(1, 3),
    timing=st.sampled_from(["next_open", "next_close", "same_close"]),
    fee=st.floats(0, 0.01),
    bps=st.floats(0, 30),
    fixed=st.floats(0, 2),
)
@pytest.mark.filterwarnings("ignore::trademaster.backtest.execution.LookAheadWarning")
def test_vectorized_and_event_driven_paths_agree_on_random_signals(
    seed: int, assets: int, timing: str, fee: float, bps: float, fixed: float
) -> None:
    data, targets = _market(seed, assets), _signals(seed, assets)
    config = BacktestConfig(
        initial_cash=10_000,
        fee_rate=fee,
        fixed_fee=fixed,
        slippage=SlippageConfig(kind="fixed_bps", bps=bps),
        fill_timing=timing,
    )
    vec = run_target_positions(data, targets, config)
    evt = run_event_driven(data, TargetPositionsStrategy(targets), config)
    assert vec.path == "vectorized" and evt.path == "event"
    np.testing.assert_allclose(evt.equity, vec.equity, rtol=1e-12, atol=1e-8)
    np.testing.assert_allclose(evt.positions, vec.positions, atol=1e-12)
    np.testing.assert_array_equal(evt.ledger.fills.bar, vec.ledger.fills.bar)
    np.testing.assert_allclose(evt.ledger.fills.fee, vec.ledger.fills.fee, rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), fee=st.floats(0, 0.01), bps=st.floats(0, 30))
def test_value_is_cash_plus_positions_and_costs_explain_the_gap(
    seed: int, fee: float, bps: float
) -> None:
    data, targets = _market(seed, 2), _signals(seed, 2)
    config = BacktestConfig(
        initial_cash=10_000, fee_rate=fee, slippage=SlippageConfig(kind="fixed_bps", bps=bps)
    )
    result = run_target_positions(data, targets, config)
    fills = result.ledger.fills
    assert (fills.fee >= 0).all() and (fills.slippage >= -1e-12).all()
    marked = result.cash + (result.positions * data.close).sum(1)
    np.testing.assert_allclose(result.equity, marked, rtol=1e-12)
    frictionless = run_target_positions(data, targets, BacktestConfig(initial_cash=10_000))
    gap = frictionless.final_equity - result.final_equity
    assert gap == pytest.approx(fills.fee.sum() + fills.slippage.sum(), rel=1e-9, abs=1e-6)


def test_no_trade_policy_keeps_its_value() -> None:
    data = _market(1, 2)
    config = BacktestConfig(initial_cash=5_000, fee_rate=0.01, fixed_fee=3)
    result = run_target_positions(data, np.zeros((T, 2)), config)
    assert (result.equity == 5_000).all()
    assert len(result.ledger.fills) == 0
