from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from trademaster.backtest.config import BacktestConfig
from trademaster.backtest.data import MarketData
from trademaster.backtest.event import run_target_weights
from trademaster.backtest.report import monthly_returns, write_report
from trademaster.backtest.sources import SignalPoint, baseline_plan, signal_plan
from trademaster.data.synthetic import gbm

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def data() -> MarketData:
    return MarketData.from_frame(gbm(200, 2, seed=5))


def test_report_is_self_contained_html_with_inline_images(data: MarketData, tmp_path: Path) -> None:
    plan = baseline_plan("equal_weight", data)
    result = run_target_weights(
        data, plan.weights, BacktestConfig(fee_rate=0.001), rebalance_every_bar=True
    )
    files = write_report(result, tmp_path, title="equal weight")
    text = files["report.html"].read_text()
    assert text.count("data:image/png;base64,") == 3
    assert "http://" not in text and "https://" not in text
    assert "Monthly returns" in text and "sharpe_ratio" in text
    assert files["summary.png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    months = monthly_returns(result)
    compounded = np.prod(1 + months.stack().to_numpy()) - 1
    assert compounded == pytest.approx(result.metrics["total_return"], rel=1e-9)


def test_signal_plan_holds_each_weight_until_the_next_signal(data: MarketData) -> None:
    signals = [
        SignalPoint(data.dates[10], "SYN00", 0.5),
        SignalPoint(data.dates[50], "SYN00", -0.25),
        SignalPoint(data.dates[30], "SYN01", 1.0),
    ]
    plan = signal_plan(signals, data)
    assert np.isnan(plan.weights[:10]).all()
    assert plan.weights[10].tolist() == [0.5, 0.0]
    assert plan.weights[49].tolist() == [0.5, 1.0]
    assert plan.weights[-1].tolist() == [-0.25, 1.0]


def test_signal_plan_rejects_unknown_assets_and_bad_weights(data: MarketData) -> None:
    with pytest.raises(ValueError, match="asset must be one of"):
        signal_plan([SignalPoint(data.dates[0], "XYZ", 0.1)], data)
    with pytest.raises(ValueError, match=r"in \[-1, 1\]"):
        signal_plan([SignalPoint(data.dates[0], "SYN00", 2.0)], data)


def test_cash_baseline_never_trades(data: MarketData) -> None:
    plan = baseline_plan("cash", data)
    result = run_target_weights(data, plan.weights, BacktestConfig(fee_rate=0.01))
    assert len(result.ledger.fills) == 0 and (result.equity == 1e6).all()
    with pytest.raises(ValueError, match="baseline must be one of"):
        baseline_plan("yolo", data)
