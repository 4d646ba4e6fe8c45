"""Tail-risk metrics: hand-computed cases, then empyrical-reloaded / scipy on fat-tailed data."""

from __future__ import annotations

import math

import empyrical
import numpy as np
import pytest
from scipy import stats
from trademaster.metrics import compute_metrics
from trademaster.metrics.tail import (
    historical_cvar,
    historical_var,
    parametric_cvar,
    parametric_var,
    rolling_sharpe,
    rolling_volatility,
    tail_ratio,
)

pytestmark = pytest.mark.unit

# Sorted: -0.05 -0.03 -0.02 -0.01 0 0.01 0.02 0.03 0.04 0.05; sum 0.04, sum of squares 0.0094.
R = np.array([-0.05, -0.02, 0.0, 0.01, 0.03, 0.04, -0.01, 0.02, 0.05, -0.03])
MU = 0.004
SIGMA = math.sqrt((0.0094 - 10 * MU**2) / 9)  # 0.0320416...
Z10, PHI_Z10 = -1.2815515655446004, 0.17549833193248685  # N^-1(0.1), N'(N^-1(0.1))


def test_historical_var_and_cvar_by_hand() -> None:
    # level 0.9: quantile at position 9 * 0.1 = 0.9 -> -0.05 + 0.9 * 0.02; worst k = 1
    assert historical_var(R, 0.9) == pytest.approx(-0.032)
    assert historical_cvar(R, 0.9) == pytest.approx(-0.05)
    # level 0.8: position 1.8 -> -0.03 + 0.8 * 0.01; worst k = 2: mean(-0.05, -0.03)
    assert historical_var(R, 0.8) == pytest.approx(-0.022)
    assert historical_cvar(R, 0.8) == pytest.approx(-0.04)


def test_parametric_var_and_cvar_by_hand() -> None:
    assert parametric_var(R, 0.9) == pytest.approx(MU + SIGMA * Z10)  # -0.037063
    assert parametric_cvar(R, 0.9) == pytest.approx(MU - SIGMA * PHI_Z10 / 0.1)  # -0.052233
    assert parametric_var(R, 0.9) == pytest.approx(-0.0370632, rel=1e-5)
    assert parametric_cvar(R, 0.9) == pytest.approx(-0.0522325, rel=1e-5)


def test_tail_ratio_by_hand() -> None:
    # q95: position 8.55 -> 0.04 + 0.55 * 0.01 = 0.0455; q05: position 0.45 -> -0.041
    assert tail_ratio(R) == pytest.approx(0.0455 / 0.041)


def test_rolling_volatility_and_sharpe_by_hand() -> None:
    r = np.array([0.01, -0.01, 0.02])
    # window 2: std(ddof=1) of a pair is |a - b| / sqrt 2; P = 4 annualizes by sqrt 4 = 2
    vol = rolling_volatility(r, 2, 4)
    assert math.isnan(vol[0])
    np.testing.assert_allclose(vol[1:], [0.02 / math.sqrt(2) * 2, 0.03 / math.sqrt(2) * 2])
    sharpe = rolling_sharpe(r, 2, 4)
    np.testing.assert_allclose(sharpe[1:], [0.0, 0.005 / (0.03 / math.sqrt(2)) * 2], atol=1e-12)
    assert np.isnan(rolling_sharpe(np.zeros(5), 3, 252)).all()  # flat windows: undefined


@pytest.fixture(scope="module")
def fat_tailed() -> np.ndarray:
    return stats.t.rvs(df=3, scale=0.01, size=1_500, random_state=np.random.default_rng(5))


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_historical_metrics_match_empyrical(fat_tailed: np.ndarray, level: float) -> None:
    cutoff = 1 - level
    assert historical_var(fat_tailed, level) == pytest.approx(
        empyrical.value_at_risk(fat_tailed, cutoff=cutoff), rel=1e-12
    )
    assert historical_cvar(fat_tailed, level) == pytest.approx(
        empyrical.conditional_value_at_risk(fat_tailed, cutoff=cutoff), rel=1e-12
    )


def test_tail_ratio_and_rolling_match_empyrical(fat_tailed: np.ndarray) -> None:
    assert tail_ratio(fat_tailed) == pytest.approx(empyrical.tail_ratio(fat_tailed), rel=1e-12)
    window = 63
    np.testing.assert_allclose(
        rolling_volatility(fat_tailed, window, 252)[window - 1 :],
        empyrical.roll_annual_volatility(fat_tailed, window=window),
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        rolling_sharpe(fat_tailed, window, 252)[window - 1 :],
        empyrical.roll_sharpe_ratio(fat_tailed, window=window),
        rtol=1e-9,
    )


@pytest.mark.parametrize("level", [0.95, 0.99])
def test_parametric_metrics_match_scipy_normal(fat_tailed: np.ndarray, level: float) -> None:
    dist = stats.norm(loc=fat_tailed.mean(), scale=fat_tailed.std(ddof=1))
    var = dist.ppf(1 - level)
    assert parametric_var(fat_tailed, level) == pytest.approx(var, rel=1e-10)
    # E[X | X <= VaR] by numerical integration, independent of the closed form.
    shortfall = dist.expect(lambda x: x, ub=var, conditional=True)
    assert parametric_cvar(fat_tailed, level) == pytest.approx(shortfall, rel=1e-6)
    # Fat tails: the historical shortfall is worse than the Gaussian one at 99%.
    if level == 0.99:
        assert historical_cvar(fat_tailed, level) < parametric_cvar(fat_tailed, level)


def test_compute_metrics_reports_tail_risk_at_the_chosen_level() -> None:
    equity = 100.0 * np.cumprod(np.concatenate([[1.0], 1.0 + R]))
    out = compute_metrics(equity, periods_per_year=252, var_level=0.8)
    assert out["value_at_risk"] == pytest.approx(-0.022)
    assert out["conditional_value_at_risk"] == pytest.approx(-0.04)
    assert out["tail_ratio"] == pytest.approx(0.0455 / 0.041)
    assert out["parametric_value_at_risk"] == pytest.approx(parametric_var(R, 0.8))


@pytest.mark.parametrize("bad", [0.0, 1.0, 1.5])
def test_levels_outside_the_open_unit_interval_are_rejected(bad: float) -> None:
    with pytest.raises(ValueError, match="level must be in"):
        historical_var(R, bad)
