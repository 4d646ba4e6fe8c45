"""Splits and scalers: disjoint, ordered, and fitted on train only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from trademaster.data.splits import FeatureScaler, scale_split, split_by_date
from trademaster.data.synthetic import gbm

pytestmark = pytest.mark.unit


def test_split_is_disjoint_and_ordered() -> None:
    df = gbm(30, 2, seed=0)  # 2020-01-01 .. 2020-01-30
    split = split_by_date(df, "2020-01-10", "2020-01-20")
    assert len(split.train) == 20 and len(split.valid) == 20 and len(split.test) == 20
    assert split.train["date"].max() < split.valid["date"].min()
    assert split.valid["date"].max() < split.test["date"].min()


def test_gap_drops_leading_dates_of_valid_and_test() -> None:
    df = gbm(30, 2, seed=0)
    split = split_by_date(df, "2020-01-10", "2020-01-20", gap=3)
    assert split.valid["date"].min() == pd.Timestamp("2020-01-14")
    assert split.test["date"].min() == pd.Timestamp("2020-01-24")
    assert len(split.valid) == 2 * 7


def test_split_rejects_reversed_bounds_and_negative_gap() -> None:
    df = gbm(5, 1, seed=0)
    with pytest.raises(ValueError, match="valid_end must be >= train_end"):
        split_by_date(df, "2020-01-04", "2020-01-02")
    with pytest.raises(ValueError, match="gap must be >= 0, was -1"):
        split_by_date(df, "2020-01-02", "2020-01-04", gap=-1)


def test_scaler_statistics_come_from_train_only() -> None:
    df = gbm(40, 2, seed=1)
    split = split_by_date(df, "2020-01-20", "2020-01-30")
    scaled, scaler = scale_split(split, ["close"])
    train_close = split.train["close"]
    assert scaler.mean["close"]["*"] == pytest.approx(train_close.mean())
    assert scaled.train["close"].mean() == pytest.approx(0.0, abs=1e-12)
    assert scaled.train["close"].std(ddof=0) == pytest.approx(1.0)
    # changing valid/test data must not change the fitted statistics (no leakage)
    poisoned = split_by_date(
        df.assign(close=np.where(df["date"] > "2020-01-20", 1e9, df["close"])),
        "2020-01-20",
        "2020-01-30",
    )
    _, scaler2 = scale_split(poisoned, ["close"])
    assert scaler2.to_dict() == scaler.to_dict()
    expected = (split.test["close"] - train_close.mean()) / train_close.std(ddof=0)
    np.testing.assert_allclose(scaled.test["close"], expected)


def test_per_tic_scaler_and_unseen_tic_fallback() -> None:
    df = pd.DataFrame(
        {"tic": ["A", "A", "B", "B"], "x": [1.0, 3.0, 10.0, 10.0], "date": pd.Timestamp(0)}
    )
    scaler = FeatureScaler(per="tic").fit(df, ["x"])
    out = scaler.transform(pd.concat([df, pd.DataFrame({"tic": ["C"], "x": [6.0]})]))
    # A: mean 2, std 1 -> -1, 1; B: std 0 -> 1, so 0, 0; C pooled: mean 6, std sqrt(16.5)
    assert out["x"].tolist()[:4] == [-1.0, 1.0, 0.0, 0.0]
    assert out["x"].iloc[4] == pytest.approx(0.0)
    restored = FeatureScaler.from_dict(scaler.to_dict())
    pd.testing.assert_frame_equal(restored.transform(df), scaler.transform(df))


def test_unfitted_scaler_refuses_to_transform() -> None:
    with pytest.raises(ValueError, match="not fitted"):
        FeatureScaler().transform(gbm(3, 1, seed=0))
