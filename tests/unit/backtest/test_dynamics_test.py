"""Per-regime metrics equal each segment alone; the dynamics test's baselines and scores."""

from __future__ import annotations

import numpy as np
import pytest
from trademaster.backtest.config import BacktestConfig
from trademaster.backtest.data import MarketData
from trademaster.backtest.dynamics_test import (
    dynamics_test,
    dynamics_tests,
    render_dynamics_html,
    slice_bars,
)
from trademaster.backtest.event import run_target_weights
from trademaster.backtest.sources import WeightPlan
from trademaster.backtest.vectorized import run_target_positions
from trademaster.data.dynamics import contiguous_segments, label_series
from trademaster.metrics.report import compute_metrics
from trademaster.runner.backtest import _segment_agent

pytestmark = pytest.mark.unit

CONFIG = BacktestConfig(initial_cash=1e6, fee_rate=0.001)


def _labelled(seed: int = 3, n: int = 400) -> MarketData:
    rng = np.random.default_rng(seed)
    drift = np.repeat([0.004, -0.003, 0.0005, 0.003, -0.004], n // 5)
    close = 100 * np.exp(np.cumsum(drift + rng.normal(0, 0.01, n)))
    labels = label_series(close).labels.astype(str)
    return MarketData.from_arrays(close, open_=close, labels=labels, tics=["X"])


def _alternating(data: MarketData) -> np.ndarray:
    return np.where((np.arange(data.num_bars) // 7) % 2 == 0, 50.0, -20.0)


def test_per_regime_metrics_equal_metrics_on_each_segment_alone() -> None:
    rng = np.random.default_rng(0)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 300)))
    labels = np.array(["0"] * 100 + ["1"] * 120 + ["2"] * 80, dtype=object)
    data = MarketData.from_arrays(close, open_=close, labels=labels, tics=["X"])
    result = run_target_positions(data, _alternating(data), BacktestConfig(allow_short=True))
    by_label = {r.regime: r for r in result.regimes}
    for label, start, end in contiguous_segments(labels):
        lo = max(start, 1) - 1  # bar t's return (equity[t] / equity[t-1]) belongs to label[t]
        alone = compute_metrics(
            result.equity[lo:end],
            periods_per_year=result.periods_per_year,
            benchmark=result.benchmark[lo:end],
        )
        regime = by_label[str(label)]
        assert regime.bars == end - max(start, 1)
        for key, value in regime.metrics.items():
            assert value == pytest.approx(alone[key], rel=1e-9, abs=1e-12), (label, key)


def test_dynamics_test_scores_buy_and_hold_at_fifty_and_cash_at_zero() -> None:
    data = _labelled()
    runs = [(s, e) for lab, s, e in contiguous_segments(data.labels) if lab == "2" and e - s >= 12]
    assert runs

    def hold(seg: MarketData):  # noqa: ANN202 - the agent is buy-and-hold itself
        return run_target_weights(seg, np.ones((seg.num_bars, 1)), CONFIG, benchmark=None)

    def cash(seg: MarketData):  # noqa: ANN202
        return run_target_weights(seg, np.zeros((seg.num_bars, 1)), CONFIG, benchmark=None)

    report = dynamics_test(data, hold, "2", CONFIG)
    assert report.segments["segment"].nunique() == len(runs)
    assert set(report.segments["policy"]) == {"agent", "buy_and_hold", "do_nothing"}
    # upstream's 0.675 for the 75% quantile (0.6745) puts buy-and-hold at 50.03
    assert report.scores()["total_return"] == pytest.approx(50.0, abs=0.05)
    summary = report.summary()
    assert summary.loc["do_nothing", "total_return"] == 0.0
    assert summary.loc["buy_and_hold", "total_return"] > 0  # label 2 is the bullish one
    assert dynamics_test(data, cash, "2", CONFIG).scores()["total_return"] == pytest.approx(0.0)


def test_each_segment_starts_fresh() -> None:
    data = _labelled()
    seen: list[int] = []

    def agent(seg: MarketData):  # noqa: ANN202
        seen.append(seg.num_bars)
        return run_target_weights(seg, np.ones((seg.num_bars, 1)), CONFIG, benchmark=None)

    report = dynamics_test(data, agent, 0, CONFIG, min_bars=5)
    starts = report.segments[report.segments["policy"] == "agent"]["bars"].tolist()
    assert seen == starts
    first = report.segments.iloc[0]
    seg = slice_bars(data, 0, data.num_bars)
    assert seg.num_bars == data.num_bars and first["bars"] >= 5


def test_dynamics_test_needs_labels_and_long_segments() -> None:
    plain = MarketData.from_arrays(np.linspace(1, 2, 50))
    with pytest.raises(ValueError, match="labelled"):
        dynamics_test(plain, lambda seg: None, "0", CONFIG)  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match="no segment"):
        dynamics_test(_labelled(), lambda seg: None, "0", CONFIG, min_bars=10_000)  # type: ignore[arg-type,return-value]


def test_dynamics_tests_cover_every_label_and_serialise() -> None:
    data = _labelled()
    reports = dynamics_tests(data, _hold, CONFIG)
    long_labels = {lab for lab, s, e in contiguous_segments(data.labels) if e - s >= 12}
    assert [r.label for r in reports] == sorted(long_labels)
    for report in reports:
        out = report.to_json()
        assert out["label"] == report.label
        assert out["segments"] == report.segments["segment"].nunique()
        assert [p["policy"] for p in out["policies"]] == ["agent", "buy_and_hold", "do_nothing"]
        means = report.summary()
        for policy in out["policies"]:
            for key, value in policy["metrics"].items():
                assert value == pytest.approx(float(means.loc[policy["policy"], key]))
        # the agent holds: +50 where buy-and-hold beats cash, -50 where it loses to it
        assert abs(out["scores"]["total_return"]) == pytest.approx(50.0, abs=0.05)
    page = render_dynamics_html(reports, "t <x>")
    assert "t &lt;x&gt;" in page and page.count("<h2>Label ") == len(reports)
    plain = MarketData.from_arrays(np.linspace(1, 2, 50))
    assert dynamics_tests(plain, _hold, CONFIG) == []


def test_runner_segment_agent_replays_the_strategy_decisions_on_the_segment() -> None:
    data = _labelled()
    weights = np.full((data.num_bars, 1), np.nan)
    weights[::9] = np.where(np.arange(len(weights[::9]))[:, None] % 2 == 0, 1.0, 0.25)
    agent = _segment_agent(data, WeightPlan(weights, rebalance_every_bar=False), CONFIG)
    start, end = 40, 75  # bar 40 has no decision of its own: bar 36's 1.0 stands
    got = agent(slice_bars(data, start, end))
    expected = weights[start:end].copy()
    expected[0] = weights[36]
    alone = run_target_weights(slice_bars(data, start, end), expected, CONFIG, benchmark=None)
    np.testing.assert_allclose(got.equity, alone.equity)
    assert got.equity[0] == CONFIG.initial_cash and got.benchmark is None


def _hold(seg: MarketData):  # noqa: ANN202
    return run_target_weights(seg, np.ones((seg.num_bars, 1)), CONFIG, benchmark=None)
