"""Panel: long <-> dense conversion and its error messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from trademaster.data.loaders import load_ohlcv
from trademaster.data.panel import Panel
from trademaster.data.synthetic import gbm

pytestmark = pytest.mark.unit


def test_from_long_puts_each_value_at_its_date_tic_field() -> None:
    df = gbm(4, 3, seed=7)
    panel = Panel.from_long(df, ["open", "close"])
    assert panel.shape == (4, 3, 2)
    assert panel.tics == ("SYN00", "SYN01", "SYN02")
    row = df[(df["tic"] == "SYN01") & (df["date"] == df["date"].unique()[2])].iloc[0]
    assert panel.field("close")[2, 1] == row["close"]
    assert panel.field("open")[2, 1] == row["open"]
    assert panel.dates.dtype == np.dtype("datetime64[ns]")


def test_round_trip_to_long() -> None:
    df = gbm(5, 2, seed=1)
    back = Panel.from_long(df, ["close", "volume"]).to_long()
    pd.testing.assert_frame_equal(back, df[["date", "tic", "close", "volume"]])


def test_missing_pairs_are_listed_or_forward_filled() -> None:
    df = gbm(3, 2, seed=3)
    gap = df.drop(index=[3]).reset_index(drop=True)  # (day 2, SYN01)
    with pytest.raises(ValueError, match=r"1 \(date, tic\) pairs missing.*SYN01"):
        Panel.from_long(gap, ["close"])
    filled = Panel.from_long(gap, ["close"], ffill=True)
    assert filled.field("close")[1, 1] == df["close"].iloc[1]  # day-1 value carried forward


def test_leading_gap_cannot_be_forward_filled() -> None:
    df = gbm(3, 2, seed=3).drop(index=[1])  # first row of SYN01
    with pytest.raises(ValueError, match="before a tic's first row"):
        Panel.from_long(df, ["close"], ffill=True)


def test_duplicates_and_unknown_field_are_errors() -> None:
    df = gbm(2, 1, seed=0)
    with pytest.raises(ValueError, match="duplicate"):
        Panel.from_long(pd.concat([df, df.iloc[:1]]), ["close"])
    with pytest.raises(ValueError, match="lacks columns"):
        Panel.from_long(df, ["zclose"])
    with pytest.raises(KeyError, match="zclose"):
        Panel.from_long(df, ["close"]).field("zclose")


def test_slice_dates_is_inclusive() -> None:
    panel = Panel.from_long(gbm(10, 2, seed=0), ["close"])
    sub = panel.slice_dates("2020-01-03", "2020-01-05")
    assert sub.shape == (3, 2, 1)
    np.testing.assert_array_equal(sub.values, panel.values[2:5])


def test_constructor_validates_shape() -> None:
    with pytest.raises(ValueError, match="values shape"):
        Panel(np.array([0], dtype="datetime64[ns]"), ("A",), ("close",), np.zeros((1, 2, 1)))


def test_dj30_panel(shared_data: Path) -> None:
    panel = Panel.from_long(
        load_ohlcv(shared_data / "portfolio_management/dj30/test.csv"), ["close"]
    )
    assert panel.shape == (252, 29, 1)
    assert not np.isnan(panel.values).any()
