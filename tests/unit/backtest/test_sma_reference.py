"""SMA(10)/SMA(50) long/flat crossover against a hand-written reference loop.

Fill convention (the engine default, ``next_open``): the signal on bar t uses closes 0..t; the
order fills at the OPEN of bar t+1; fee = 0.1% × |quantity × fill price|; the account is
marked at each close. Fixed size: 100 units when long, 0 when flat.
"""

from __future__ import annotations

import numpy as np
import pytest
from support.shared_data import shared_data_path
from trademaster.backtest.config import BacktestConfig
from trademaster.backtest.data import MarketData
from trademaster.backtest.event import run_event_driven
from trademaster.backtest.signals import SMACrossoverStrategy, sma_crossover_targets
from trademaster.backtest.vectorized import run_target_positions
from trademaster.data.loaders import load_ohlcv
from trademaster.data.synthetic import gbm

pytestmark = pytest.mark.unit

FEE = 0.001
SIZE = 100.0
CASH = 100_000.0


def reference_loop(open_: list[float], close: list[float]) -> tuple[list[tuple], list[float]]:
    """Plain-Python SMA crossover: returns fills (bar, qty, price, fee) and equity per bar."""
    cash, pos, pending = CASH, 0.0, None
    fills, equity = [], []
    for t in range(len(close)):
        if pending is not None:
            qty = pending - pos
            price = open_[t]
            fee = FEE * abs(qty * price)
            cash -= qty * price + fee
            pos = pending
            fills.append((t, qty, price, fee))
            pending = None
        if t >= 49:
            fast = sum(close[t - 9 : t + 1]) / 10
            slow = sum(close[t - 49 : t + 1]) / 50
            target = SIZE if fast > slow else 0.0
            if target != pos:
                pending = target
        equity.append(cash + pos * close[t])
    return fills, equity


def _check(data: MarketData) -> None:
    config = BacktestConfig(initial_cash=CASH, fee_rate=FEE)
    ref_fills, ref_equity = reference_loop(data.open[:, 0].tolist(), data.close[:, 0].tolist())
    targets = sma_crossover_targets(data.close[:, 0], fast=10, slow=50, size=SIZE)
    vec = run_target_positions(data, targets, config)
    evt = run_event_driven(data, SMACrossoverStrategy(fast=10, slow=50, size=SIZE), config)
    assert len(ref_fills) > 10
    for result in (vec, evt):
        fills = result.ledger.fills
        assert fills.bar.tolist() == [f[0] for f in ref_fills]
        np.testing.assert_allclose(fills.quantity, [f[1] for f in ref_fills], rtol=0, atol=1e-9)
        np.testing.assert_allclose(fills.price, [f[2] for f in ref_fills], rtol=1e-12)
        np.testing.assert_allclose(fills.fee, [f[3] for f in ref_fills], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(result.equity, ref_equity, rtol=0, atol=1e-6)
        assert result.final_equity == pytest.approx(ref_equity[-1], abs=1e-6)
        trades = result.trades
        assert (trades["effect"] == "entry").sum() == (len(ref_fills) + 1) // 2
        assert set(trades["side"]) == {"buy", "sell"}


def test_sma_crossover_matches_reference_on_seeded_gbm() -> None:
    df = gbm(3000, seed=7, mu=0.0003, sigma=0.015)
    _check(MarketData.from_frame(df))


def test_sma_crossover_matches_reference_on_real_btc_daily() -> None:
    path = shared_data_path() / "algorithmic_trading" / "BTC" / "data.csv"
    if not path.is_file():
        pytest.skip(f"shared market data not found at {path} (set TM_SHARED_DATA)")
    data = MarketData.from_frame(load_ohlcv(path))
    assert data.num_bars > 2900
    _check(data)
