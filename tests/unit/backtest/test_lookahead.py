from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from trademaster.backtest.data import MarketData
from trademaster.backtest.signals import (
    LookAheadDetected,
    check_no_lookahead,
    sma_crossover_targets,
)
from trademaster.data.synthetic import gbm

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def data() -> MarketData:
    return MarketData.from_frame(gbm(400, seed=3))


def test_causal_sma_signal_passes_shift_test(data: MarketData) -> None:
    check_no_lookahead(
        lambda d: sma_crossover_targets(d.close[:, 0], fast=5, slow=20), data, probes=20
    )


def test_signal_peeking_at_next_bar_is_detected(data: MarketData) -> None:
    def peeking(d: MarketData) -> np.ndarray:
        close = d.close[:, 0]
        nxt = np.append(close[1:], close[-1])
        return np.where(nxt > close, 1.0, 0.0)

    with pytest.raises(LookAheadDetected, match="looks ahead"):
        check_no_lookahead(peeking, data, probes=20)


def test_centered_moving_average_is_detected(data: MarketData) -> None:
    def centered(d: MarketData) -> np.ndarray:
        close = d.close[:, 0]
        smooth = pd.Series(close).rolling(5, center=True, min_periods=1).mean().to_numpy()
        return np.where(close > smooth, 1.0, 0.0)

    with pytest.raises(LookAheadDetected):
        check_no_lookahead(centered, data, probes=30)
