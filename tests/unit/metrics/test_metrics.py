"""Metrics on hand-computed series (arithmetic written out) and invariants (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trademaster.metrics import METRIC_KEYS, compute_metrics, infer_market, periods_per_year
from trademaster.metrics.drawdown import (
    calmar_ratio,
    drawdown_series,
    longest_drawdown_duration,
    max_drawdown,
)
from trademaster.metrics.returns import annualized_return, simple_returns, total_return
from trademaster.metrics.risk import (
    alpha_beta,
    annualized_volatility,
    downside_deviation,
    sortino_ratio,
)
from trademaster.metrics.sharpe import normal_cdf, probabilistic_sharpe_ratio, sharpe_ratio
from trademaster.metrics.trades import (
    notional_turnover,
    period_win_rate,
    profit_factor,
    trade_win_rate,
    turnover,
)

pytestmark = pytest.mark.unit

# equity 100 -> 110 -> 99 -> 121: returns +10%, -10%, +22.2...%
EQUITY = [100.0, 110.0, 99.0, 121.0]


def test_returns_by_hand() -> None:
    assert simple_returns(EQUITY) == pytest.approx([0.1, -0.1, 22.0 / 99.0])
    assert total_return(EQUITY) == pytest.approx(0.21)  # 121/100 - 1
    # 3 periods, 252/yr: 1.21 ** (252/3) - 1 = 1.21 ** 84 - 1
    assert annualized_return(EQUITY, 252) == pytest.approx(1.21**84 - 1)
    # two periods, P=1: sqrt(1.21) - 1 = 0.1
    assert annualized_return([100.0, 110.0, 121.0], 1) == pytest.approx(0.1)


def test_volatility_and_sharpe_by_hand() -> None:
    r = [0.01, -0.01, 0.03]
    # mean 0.01; deviations 0, -0.02, 0.02; var(ddof=1) = 0.0008/2 = 0.0004; std 0.02
    assert annualized_volatility(r, 252) == pytest.approx(0.02 * math.sqrt(252))
    assert sharpe_ratio(r, 252) == pytest.approx(0.01 / 0.02 * math.sqrt(252))
    # rf 0.01 per period: excess mean 0, same std -> 0
    assert sharpe_ratio(r, 252, risk_free=0.01) == pytest.approx(0.0)


def test_sharpe_of_constant_returns_is_nan_not_inf() -> None:
    assert math.isnan(sharpe_ratio([0.01, 0.01, 0.01], 252))
    assert math.isnan(sharpe_ratio([0.01], 252))


def test_sortino_by_hand() -> None:
    r = [0.02, -0.01, 0.03, -0.02]
    # downside: min(r,0)^2 = 0, 1e-4, 0, 4e-4; mean = 5e-4/4 = 1.25e-4
    dd = math.sqrt(1.25e-4)
    assert downside_deviation(r) == pytest.approx(dd)
    # mean r = 0.02/4 = 0.005
    assert sortino_ratio(r, 12) == pytest.approx(0.005 / dd * math.sqrt(12))
    assert math.isnan(sortino_ratio([0.01, 0.02], 12))


def test_max_drawdown_by_hand() -> None:
    eq = [100.0, 120.0, 90.0, 60.0, 130.0, 117.0]
    # running peak 100,120,120,120,130,130 -> dd 0,0,-.25,-.5,0,-.1
    np.testing.assert_allclose(drawdown_series(eq), [0, 0, -0.25, -0.5, 0, -0.1])
    dd = max_drawdown(eq)
    assert dd.max_drawdown == pytest.approx(-0.5)
    assert (dd.peak_index, dd.trough_index, dd.recovery_index) == (1, 3, 4)
    assert dd.duration == 3  # recovery 4 - peak 1
    # episodes: 1->4 (3 periods), 4->end under water (5 - 4 = 1)
    assert longest_drawdown_duration(eq) == 3


def test_unrecovered_drawdown_runs_to_the_end() -> None:
    dd = max_drawdown([100.0, 80.0, 90.0, 95.0])
    assert dd.recovery_index is None
    assert dd.duration == 3  # last index 3 - peak 0
    assert max_drawdown([1.0, 2.0, 3.0]).max_drawdown == 0.0


def test_calmar_by_hand() -> None:
    eq = [100.0, 80.0, 121.0]
    # annualized (P=1, n=2): sqrt(1.21) - 1 = 0.1; mdd = -0.2 -> 0.5
    assert calmar_ratio(eq, 1) == pytest.approx(0.5)
    assert math.isnan(calmar_ratio([1.0, 2.0], 1))


def test_win_rates_and_profit_factor_by_hand() -> None:
    assert period_win_rate([0.01, 0.0, -0.02, 0.03]) == pytest.approx(2 / 3)  # flat ignored
    assert math.isnan(period_win_rate([0.0, 0.0]))
    assert trade_win_rate([5.0, -2.0, 1.0, -1.0]) == pytest.approx(0.5)
    assert profit_factor([5.0, -2.0, 1.0, -1.0]) == pytest.approx(2.0)  # 6 / 3
    assert profit_factor([1.0]) == math.inf


def test_turnover_by_hand() -> None:
    w = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]
    # |dw| sums: 2 -> 1.0 one-way, 1 -> 0.5; mean 0.75
    assert turnover(w) == pytest.approx(0.75)
    # traded 50 + 150 = 200 over mean value 100
    assert notional_turnover([50.0, -150.0], [90.0, 110.0]) == pytest.approx(2.0)


def test_alpha_beta_by_hand() -> None:
    b = np.array([0.01, -0.02, 0.03, 0.0])
    r = 2.0 * b + 0.001  # beta 2, alpha 0.001 per period
    alpha, beta = alpha_beta(r, b, 252)
    assert beta == pytest.approx(2.0)
    assert alpha == pytest.approx(0.001 * 252)
    assert all(math.isnan(v) for v in alpha_beta(r, np.zeros(4), 252))


def test_probabilistic_sharpe_ratio_by_hand() -> None:
    r = np.array([0.02, -0.01, 0.03, -0.02, 0.01])
    # mean 0.006; std(ddof=1)=sqrt(0.00037/... ) computed below step by step
    mean = 0.006
    dev = r - mean
    std = math.sqrt(np.sum(dev**2) / 4)
    sr = mean / std
    m2 = np.mean(dev**2)
    skew = np.mean(dev**3) / m2**1.5
    kurt = np.mean(dev**4) / m2**2
    z = sr * math.sqrt(4) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    assert probabilistic_sharpe_ratio(r) == pytest.approx(0.5 * (1 + math.erf(z / math.sqrt(2))))
    assert normal_cdf(0.0) == 0.5
    assert normal_cdf(1.959963984540054) == pytest.approx(0.975)
    assert probabilistic_sharpe_ratio(r, benchmark_sharpe=sr) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("freq", "market", "expected"),
    [
        ("1D", "equity", 252),
        ("1D", "crypto", 365),
        ("1D", "fx", 252),
        ("1h", "equity", 6.5 * 252),
        ("1h", "crypto", 24 * 365),
        ("5min", "crypto", 12 * 24 * 365),
        (pd.Timedelta(minutes=30), "equity", 13 * 252),
        ("W", "equity", 52),
        ("1s", "crypto", 31_536_000),
    ],
)
def test_periods_per_year(freq: str, market: str, expected: float) -> None:
    assert periods_per_year(freq, market) == pytest.approx(expected)


def test_periods_per_year_rejects_unknown_market() -> None:
    with pytest.raises(ValueError, match="market must be one of"):
        periods_per_year("1D", "bonds")


def test_compute_metrics_keys_and_values() -> None:
    out = compute_metrics(
        EQUITY,
        periods_per_year=252,
        benchmark=[1.0, 1.1, 1.0, 1.2],
        weights=[[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]],
        trades=[1.0, -2.0, 3.0],
    )
    assert tuple(out) == METRIC_KEYS
    assert out["total_return"] == pytest.approx(0.21)
    assert out["max_drawdown"] == pytest.approx(-0.1)  # 110 -> 99
    assert out["max_drawdown_duration"] == 2.0  # peak 1, recovery 3
    assert out["excess_return"] == pytest.approx(0.01)
    assert out["turnover"] == pytest.approx(0.5)  # (1 + 0) / 2 per step
    assert out["num_trades"] == 3.0 and out["profit_factor"] == pytest.approx(2.0)
    assert out["final_value"] == 121.0


def test_compute_metrics_without_extras_and_invalid_input() -> None:
    out = compute_metrics([1.0, 1.0, 1.0], periods_per_year=252)
    assert "alpha" not in out and "turnover" not in out
    assert math.isnan(out["sharpe_ratio"])  # flat curve: NaN, not inf
    with pytest.raises(ValueError, match="equity values must be finite and > 0"):
        compute_metrics([1.0, -1.0], periods_per_year=252)
    with pytest.raises(ValueError, match="periods_per_year must be > 0, was 0"):
        compute_metrics([1.0, 2.0], periods_per_year=0)


equity_curves = st.lists(
    st.floats(min_value=1e-3, max_value=1e6, allow_nan=False), min_size=2, max_size=60
)


@settings(max_examples=200, deadline=None)
@given(equity_curves)
def test_drawdown_is_within_minus_one_and_zero(eq: list[float]) -> None:
    dd = drawdown_series(eq)
    assert np.all(dd <= 0.0) and np.all(dd >= -1.0)
    m = max_drawdown(eq)
    assert -1.0 <= m.max_drawdown <= 0.0
    assert m.peak_index <= m.trough_index
    assert 0 <= m.duration <= len(eq) - 1
    assert m.duration <= longest_drawdown_duration(eq)


@settings(max_examples=200, deadline=None)
@given(equity_curves, st.sampled_from([1.0, 12.0, 252.0]))
def test_annualized_return_has_the_sign_of_total_return(eq: list[float], ppy: float) -> None:
    total = total_return(eq)
    with np.errstate(over="ignore"):
        ann = annualized_return(eq, ppy)
    assert np.sign(ann) == np.sign(total) or total == 0.0 or abs(total) < 1e-12


def test_infer_market_from_weekend_bars() -> None:
    every_day = pd.date_range("2021-01-01", periods=60, freq="D")
    business_days = pd.bdate_range("2021-01-01", periods=60)

    assert infer_market(every_day) == "crypto"  # 2 of 7 bars fall on weekends
    assert infer_market(business_days) == "equity"
    assert infer_market([]) == "equity"
