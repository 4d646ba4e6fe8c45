"""Features: TradeMaster z-columns reproduced, indicators by hand, no look-ahead anywhere."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from trademaster.data.features import Z_COLUMNS, add_features, feature_function, wilder_average
from trademaster.data.loaders import load_ohlcv
from trademaster.data.lookahead import LookAheadError, assert_no_lookahead
from trademaster.data.synthetic import gbm

pytestmark = pytest.mark.unit

ALL_FEATURES = [
    "zfeatures",
    "return",
    "log_return",
    "sma_5",
    "ema_10",
    "rsi",
    "rsi_5",
    "macd",
    "bollinger",
    "atr",
    "atr_5",
    "volatility_10",
]
WARMUP = 30


def _frame(close: list[float], **extra: list[float]) -> pd.DataFrame:
    n = len(close)
    return pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=n),
            "tic": ["A"] * n,
            "open": extra.get("open", close),
            "high": extra.get("high", close),
            "low": extra.get("low", close),
            "close": close,
        }
    )


@pytest.mark.parametrize(
    "rel",
    [
        "algorithmic_trading/BTC/train.csv",
        "algorithmic_trading/BTC/BTC.csv",
        "algorithmic_trading/AAPL/train.csv",
        "algorithmic_trading/FX/train.csv",
        "portfolio_management/dj30/test.csv",
        "portfolio_management/sse50/valid.csv",
    ],
)
def test_zfeatures_match_trademaster_files_past_warmup(shared_data: Path, rel: str) -> None:
    real = load_ohlcv(shared_data / rel)
    ours = add_features(real.drop(columns=list(Z_COLUMNS)), ["zfeatures"])
    past_warmup = (real.groupby("tic").cumcount() >= WARMUP).to_numpy()
    for col in Z_COLUMNS:
        np.testing.assert_allclose(
            ours.loc[past_warmup, col], real.loc[past_warmup, col], rtol=0, atol=1e-9, err_msg=col
        )


def test_zfeatures_leave_warmup_nan_instead_of_backfilling() -> None:
    df = add_features(_frame([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), ["zfeatures"])
    assert np.isnan(df["zclose"].iloc[0])
    assert df["zclose"].iloc[1] == 1.0  # 2/1 - 1
    assert df["zd_5"].isna().tolist() == [True] * 4 + [False] * 2
    assert df["zd_5"].iloc[4] == pytest.approx(3.0 / 5.0 - 1.0)  # mean(1..5)=3, close 5
    assert df["zd_10"].isna().all()


def test_indicators_by_hand() -> None:
    close = [10.0, 11.0, 10.0, 12.0, 13.0, 12.0]
    df = add_features(_frame(close), ["return", "sma_3", "ema_3", "rsi_3", "volatility_3"])
    assert df["return"].iloc[1] == pytest.approx(0.1)  # 11/10 - 1
    assert df["sma_3"].iloc[2] == pytest.approx(31.0 / 3.0)  # (10+11+10)/3
    # ema a=2/(3+1)=0.5 seeded e0=10: e1=10.5, e2=10.25, e3=11.125
    assert df["ema_3"].iloc[:2].isna().all()
    assert df["ema_3"].iloc[3] == pytest.approx(11.125)
    # diffs: +1, -1, +2, +1, -1. Wilder k=3 seed at row 3: gain=(1+0+2)/3=1, loss=1/3
    # rsi_3[3] = 100 - 100/(1+3) = 75; row 4: gain=(2*1+1)/3=1, loss=(2/3*1/3... )=2/9
    assert df["rsi_3"].iloc[3] == pytest.approx(75.0)
    assert df["rsi_3"].iloc[4] == pytest.approx(100.0 - 100.0 / (1.0 + 1.0 / (2.0 / 9.0)))
    log_r = np.log(np.array(close[1:4]) / np.array(close[0:3]))
    assert df["volatility_3"].iloc[3] == pytest.approx(np.std(log_r, ddof=1))


def test_rsi_is_100_without_losses_and_wilder_seed() -> None:
    df = add_features(_frame([1.0, 2.0, 3.0, 4.0, 5.0]), ["rsi_2"])
    assert df["rsi_2"].tolist()[2:] == [100.0, 100.0, 100.0]
    # seed = mean of first 3, then m = m + (x - m)/3
    out = wilder_average(pd.Series([3.0, 6.0, 9.0, 12.0]), 3)
    assert out.tolist()[2:] == pytest.approx([6.0, 8.0])  # 6 + (12 - 6)/3
    assert np.isnan(out.iloc[0])


def test_atr_and_bollinger_by_hand() -> None:
    close = [10.0, 10.0, 10.0, 13.0]
    df = add_features(
        _frame(close, high=[11.0, 12.0, 11.0, 14.0], low=[9.0, 9.0, 8.0, 12.0]),
        ["atr_2", "bollinger_2"],
    )
    # TR: 2 (first row high-low), 3, 3, max(2, |14-10|, |12-10|)=4; seed (2+3)/2=2.5
    # then 2.5 + (3-2.5)/2 = 2.75, 2.75 + (4-2.75)/2 = 3.375
    assert df["atr_2"].tolist()[1:] == pytest.approx([2.5, 2.75, 3.375])
    # bollinger_2 at row 3: mid 11.5, population std 1.5, bands 11.5 +/- 3
    assert df["bb_upper_2"].iloc[3] == pytest.approx(14.5)
    assert df["bb_lower_2"].iloc[3] == pytest.approx(8.5)


def test_features_are_computed_per_tic() -> None:
    df = gbm(40, 3, seed=2)
    both = add_features(df, ["sma_5", "macd"])
    alone = add_features(df[df["tic"] == "SYN01"].reset_index(drop=True), ["sma_5", "macd"])
    mine = both[both["tic"] == "SYN01"].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, alone)


def test_unknown_feature_and_bad_window() -> None:
    with pytest.raises(ValueError, match="unknown feature 'foo'"):
        feature_function("foo")
    with pytest.raises(ValueError, match="window must be >= 1, was 0"):
        feature_function("sma_0")


def test_unsorted_frame_is_rejected() -> None:
    df = gbm(5, 1, seed=0).iloc[::-1]
    with pytest.raises(ValueError, match="sorted"):
        add_features(df, ["return"])


@pytest.mark.parametrize("name", ALL_FEATURES)
def test_every_feature_is_causal(name: str) -> None:
    df = gbm(120, 2, seed=11)
    report = assert_no_lookahead(feature_function(name), df, rng=np.random.default_rng(1))
    assert report.values_compared > 0 and len(report.probe_times) == 5


def test_all_features_together_are_causal_on_real_dj30(shared_data: Path) -> None:
    df = load_ohlcv(shared_data / "portfolio_management/dj30/test.csv", tics=["AAPL", "KO"])
    report = assert_no_lookahead(lambda d: add_features(d, ALL_FEATURES), df, n_probes=3)
    assert "zd_30" in report.features and "atr_14" in report.features


@pytest.mark.parametrize(
    ("leaky", "label"),
    [
        (lambda d: pd.DataFrame({"next_close": d.groupby("tic")["close"].shift(-1)}), "shift"),
        (
            lambda d: pd.DataFrame(
                {
                    "centred": d.groupby("tic")["close"].transform(
                        lambda s: s.rolling(5, center=True).mean()
                    )
                }
            ),
            "centred",
        ),
        (
            lambda d: pd.DataFrame(
                {
                    "bfilled": d.groupby("tic")["close"].transform(
                        lambda s: s.rolling(10).mean().bfill()
                    )
                }
            ),
            "bfill",
        ),
        (
            lambda d: pd.DataFrame({"zscore": (d["close"] - d["close"].mean()) / d["close"].std()}),
            "full",
        ),
    ],
)
def test_leaky_features_are_caught(leaky, label: str) -> None:  # type: ignore[no-untyped-def]
    df = gbm(60, 1, seed=3)
    probe = df["date"].iloc[5]  # before the first full rolling window, so bfill leaks
    with pytest.raises(LookAheadError) as info:
        assert_no_lookahead(leaky, df, probe_times=[probe])
    assert info.value.feature in str(info.value)
    assert info.value.probe_time == probe
    assert info.value.time <= probe
