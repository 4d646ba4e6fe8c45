"""The gate's tracking error: the UI page's definition (services/gateway/ui/src/deployments.ts)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tm_trainer.promotion_tracking import worst_tracking
from tm_trainer.tracking import SECONDS_PER_YEAR, tracking_error

T0 = 1_700_000_000.0


def _curve(values: list[float], step: float = 60.0, start: float = T0) -> list[tuple[float, float]]:
    return [(start + i * step, v) for i, v in enumerate(values)]


def test_identical_curves_track_perfectly_and_a_scaled_copy_too() -> None:
    curve = _curve([100.0, 101.0, 99.5, 102.0, 103.0])
    assert tracking_error(curve, curve).error_bps == pytest.approx(0.0, abs=1e-9)
    scaled = [(t, v * 3.0) for t, v in curve]  # another starting capital, same returns
    assert tracking_error(scaled, curve).error_bps == pytest.approx(0.0, abs=1e-9)


def test_value_is_the_annualised_sample_std_of_return_differences() -> None:
    rng = np.random.default_rng(3)
    live = 100.0 * np.cumprod(1 + rng.normal(0, 0.01, 50))
    back = 100.0 * np.cumprod(1 + rng.normal(0, 0.01, 50))
    diffs = (live[1:] / live[:-1] - 1) - (back[1:] / back[:-1] - 1)
    expected = float(np.std(diffs, ddof=1)) * math.sqrt(SECONDS_PER_YEAR / 60.0) * 1e4
    found = tracking_error(_curve(list(live)), _curve(list(back)))
    assert found.common_bars == 50
    assert found.error_bps == pytest.approx(expected, rel=1e-9)


def test_only_bars_inside_the_backtest_count_and_the_point_at_or_before_is_used() -> None:
    back = _curve([100.0, 101.0, 102.0, 103.0], step=120.0)
    live = _curve([50.0, 50.5, 51.0, 51.5, 52.0, 52.5, 53.0, 53.5, 54.0], step=60.0, start=T0 - 60)
    found = tracking_error(live, back)
    assert found.common_bars == 7  # T0 .. T0+360; T0-60 before, T0+420 after the last point
    assert found.error_bps is not None and found.error_bps > 0


def test_fewer_than_three_common_bars_is_not_computable() -> None:
    assert tracking_error(_curve([1.0, 2.0]), _curve([1.0, 2.0])).error_bps is None
    assert tracking_error([], _curve([1.0])).common_bars == 0


def test_worst_tracking_takes_the_best_matching_backtest_and_the_worst_deployment() -> None:
    back = _curve([100.0, 101.0, 100.0, 102.0, 101.0, 103.0])
    other_period = _curve([100.0, 101.0, 102.0], start=T0 + 10_000)
    steady = [(t, v * 2) for t, v in back]
    noisy = _curve([100.0, 102.0, 99.0, 103.0, 100.0, 104.0])
    found = worst_tracking({"a": steady, "b": noisy}, {"bt1": back, "bt2": other_period})
    assert found.error_bps == pytest.approx(tracking_error(noisy, back).error_bps)
    assert "deployment b vs backtest bt1: 6 common bars" in found.detail
    none = worst_tracking({"a": steady}, {})
    assert none.error_bps is None and "no succeeded backtest" in none.detail
