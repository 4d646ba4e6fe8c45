"""Market-dynamics labeling: agreement with upstream's labelled files, determinism, portfolios."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from trademaster.data.dynamics import (
    DynamicsParams,
    contiguous_segments,
    dtw_distance,
    label_frame,
    label_series,
    label_statistics,
)
from trademaster.data.loaders import load_ohlcv

pytestmark = pytest.mark.unit

_MDM = "test_labeled_slice_and_merge_model_3dynamics_minlength12_quantile_labeling.csv"
# (labelled file, key column, upstream merging_threshold from configs/market_dynamics_modeling)
UPSTREAM = {
    "AT BTC": (f"algorithmic_trading/BTC/Market_Dynamics_Model/BTC/{_MDM}", "adjcp", 0.03),
    "AT FX": (f"algorithmic_trading/FX/Market_Dynamics_Model/YUAN/{_MDM}", "adjcp", 0.003),
    "PD BTC": (f"order_execution/PD_BTC/Market_Dynamics_Model/BTC/{_MDM}", "adjcp", 0.03),
    "OE BTC": (f"order_execution/BTC/Market_Dynamics_Model/OE_BTC/{_MDM}", "midpoint", 0.0003),
}


@pytest.mark.parametrize("name", sorted(UPSTREAM))
def test_agreement_with_upstream_labels(shared_data: Path, name: str) -> None:
    """Measured agreement is 100% on all four files (filtered series identical to 1e-12)."""
    rel, key, threshold = UPSTREAM[name]
    upstream = pd.read_csv(shared_data / rel)
    result = label_series(upstream[key].to_numpy(), DynamicsParams(merging_threshold=threshold))
    np.testing.assert_allclose(result.filtered, upstream["key_indicator_filtered"], rtol=1e-9)
    agreement = float(np.mean(result.labels == upstream["label"].to_numpy()))
    assert agreement >= 0.99, f"{name}: {agreement:.4f}"


def test_merging_is_what_makes_btc_agree(shared_data: Path) -> None:
    rel, key, _ = UPSTREAM["AT BTC"]
    upstream = pd.read_csv(shared_data / rel)
    unmerged = label_series(upstream[key].to_numpy(), DynamicsParams(merging_threshold=0))
    merged = label_series(upstream[key].to_numpy())
    assert len(unmerged.segments) > len(merged.segments)
    assert np.mean(unmerged.labels == upstream["label"].to_numpy()) < 0.99


def test_dj30_labelled_by_the_dji_index(shared_data: Path) -> None:
    """Upstream labelled DJ30 2021 by DJI 2000-2021 with its older, merge-free model."""
    test = load_ohlcv(shared_data / "portfolio_management/dj30/test_with_label.csv")
    dji = load_ohlcv(shared_data / "portfolio_management/dj30/DJI.csv")
    out = label_frame(
        test.drop(columns=["label"]),
        DynamicsParams(merging_threshold=0),
        portfolio="index",
        index=dji,
    )
    assert np.mean(out["label"].to_numpy() == test["label"].to_numpy()) >= 0.99


def _trend(n: int = 300) -> np.ndarray:
    up = np.linspace(100, 200, n // 3)
    flat = 200 + np.sin(np.arange(n // 3) / 3)
    down = np.linspace(200, 90, n - 2 * (n // 3))
    return np.concatenate([up, flat, down])


def test_labels_follow_the_trend_and_are_deterministic() -> None:
    values = _trend()
    first, second = label_series(values), label_series(values)
    np.testing.assert_array_equal(first.labels, second.labels)
    assert first.labels[20] == 2 and first.labels[-20] == 0
    assert len(first.labels) == len(values)
    rebuilt = np.concatenate([np.full(s.length, s.label) for s in first.segments])
    np.testing.assert_array_equal(rebuilt, first.labels)
    runs = contiguous_segments(first.labels)
    assert runs[0][0] == 2 and runs[-1][0] == 0 and runs[-1][2] == len(values)


def test_fixed_slope_bounds() -> None:
    values = _trend()
    wide = label_series(values, DynamicsParams(labeling_method="slope", slope_bounds=(-50, 50)))
    assert set(wide.labels) == {1}  # every slope is inside the middle bin
    tight = label_series(values, DynamicsParams(labeling_method="slope", slope_bounds=(-0.1, 0.1)))
    assert tight.labels[10] == 2 and tight.labels[-10] == 0
    with pytest.raises(ValidationError):
        DynamicsParams(labeling_method="slope", slope_bounds=(0.1, 0.1))
    with pytest.raises(ValidationError):
        DynamicsParams(dynamic_number=1)


def test_rejects_unusable_series() -> None:
    with pytest.raises(ValueError, match="positive"):
        label_series(np.array([1.0, -1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=">= 3"):
        label_series(np.array([1.0, 2.0]))


def test_dtw_distance_is_scale_free_and_zero_on_identical() -> None:
    a = np.linspace(1, 2, 30)
    assert dtw_distance(a, a) == 0.0
    assert dtw_distance(a * 10, np.linspace(10, 30, 50)) == pytest.approx(
        dtw_distance(a, np.linspace(1, 3, 50))
    )


def _portfolio() -> pd.DataFrame:
    dates = pd.date_range("2020-01-01", periods=300, freq="D")
    base = _trend()
    frames = [
        pd.DataFrame({"date": dates, "tic": t, "close": base * f})
        for t, f in (("A", 1.0), ("B", 1.1), ("C", 0.9))
    ]
    frames.append(pd.DataFrame({"date": dates, "tic": "D", "close": 20000.0 / base}))
    return pd.concat(frames, ignore_index=True)


def test_majority_vote_gives_one_label_per_date() -> None:
    df = _portfolio()
    per = label_frame(df)
    majority = label_frame(df, portfolio="majority")
    assert majority.groupby("date")["label"].nunique().max() == 1
    first = majority[majority["date"] == majority["date"].min()]["label"].iloc[0]
    assert first == per[(per["tic"] == "A")]["label"].iloc[0]  # A, B, C outvote D
    assert per[per["tic"] == "D"]["label"].iloc[0] != first


def test_index_labels_map_onto_missing_dates() -> None:
    df = _portfolio()
    index = df[df["tic"] == "A"].iloc[::2]  # index only every other day
    out = label_frame(df, portfolio="index", index=index)
    assert out.groupby("date")["label"].nunique().max() == 1
    with pytest.raises(ValueError, match="index frame"):
        label_frame(df, portfolio="index")


def test_label_statistics_per_label() -> None:
    stats = label_statistics(_portfolio())
    assert set(stats["label"]) <= {0, 1, 2}
    assert stats["bars"].sum() == 4 * 300
    up = stats.set_index("label").loc[2]
    assert up["slope_mean"] > 0 and up["return_mean"] > 0
