"""Loaders: real TradeMaster file families and the quirks they carry."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from trademaster.data.loaders import (
    DatasetError,
    hft_book,
    load_hft_lob,
    load_lob,
    load_ohlcv,
    lob_book,
    lob_prices,
    lob_sizes,
)

pytestmark = pytest.mark.unit

OHLCV_FILES = {
    "algorithmic_trading/BTC/train.csv": (900, 1),
    "algorithmic_trading/FX/train.csv": (4011, 1),
    "algorithmic_trading/AAPL/train.csv": (2011, 1),
    "algorithmic_trading/IBM/valid.csv": (253, 1),
    "algorithmic_trading/JPM/test.csv": (260, 1),
    "order_execution/PD_BTC/train.csv": (2392, 1),
    "portfolio_management/dj30/test.csv": (7308, 29),
    "portfolio_management/dj30/DJI.csv": (5536, 1),
    "portfolio_management/exchange/test.csv": (2156, 22),
    "portfolio_management/sse50/valid.csv": (13390, 26),
    "portfolio_management/Future/data.csv": (20370, 20),
}


def _assert_canonical(df: pd.DataFrame) -> None:
    assert list(df.columns[:7]) == ["date", "tic", "open", "high", "low", "close", "volume"]
    assert df["date"].dtype == np.dtype("datetime64[ns]")
    assert all(isinstance(t, str) for t in df["tic"].unique())
    for col in ("open", "high", "low", "close", "volume"):
        assert df[col].dtype == np.float64
    assert not any(str(c).startswith("Unnamed") for c in df.columns)
    keys = df[["date", "tic"]]
    assert keys.equals(keys.sort_values(["date", "tic"]).reset_index(drop=True))


@pytest.mark.parametrize("rel", sorted(OHLCV_FILES))
def test_real_ohlcv_files_load_in_canonical_form(shared_data: Path, rel: str) -> None:
    rows, tics = OHLCV_FILES[rel]
    df = load_ohlcv(shared_data / rel)
    _assert_canonical(df)
    assert len(df) == rows
    assert df["tic"].nunique() == tics
    assert not df[["open", "high", "low", "close"]].isna().any().any()


def test_dji_capitalised_volume_is_read_and_adjcp_kept(shared_data: Path) -> None:
    df = load_ohlcv(shared_data / "portfolio_management/dj30/DJI.csv")
    assert df["volume"].iloc[0] == 169750000.0
    assert "adjcp" in df.columns


def test_missing_volume_stays_nan(shared_data: Path) -> None:
    df = load_ohlcv(shared_data / "algorithmic_trading/BTC/train.csv")
    assert df["volume"].isna().all()


def test_future_file_uses_datetime_and_symbol(shared_data: Path) -> None:
    df = load_ohlcv(shared_data / "portfolio_management/Future/data.csv", tics=["FU2305"])
    assert set(df["tic"]) == {"FU2305"}
    assert df["date"].iloc[0] == pd.Timestamp("2023-03-07 22:05:00")
    assert "hold" in df.columns


def test_sse50_truncated_last_line_is_dropped_with_warning(
    shared_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="trademaster.data.loaders"):
        df = load_ohlcv(shared_data / "portfolio_management/sse50/train.csv")
    assert len(df) == 4671
    assert "truncated" in caplog.text
    assert df["tic"].iloc[0] == "600000"  # numeric-looking tics stay strings, no ".0"
    assert "adjcp" in df.columns and "adjclose" not in df.columns


def test_date_and_tic_filters(shared_data: Path) -> None:
    df = load_ohlcv(
        shared_data / "portfolio_management/dj30/test.csv",
        tics=["AAPL", "MSFT"],
        start="2021-03-01",
        end="2021-03-31",
    )
    assert set(df["tic"]) == {"AAPL", "MSFT"}
    assert df["date"].min() >= pd.Timestamp("2021-03-01")
    assert df["date"].max() <= pd.Timestamp("2021-03-31")
    assert len(df) == 2 * 23


def test_missing_columns_raise_dataset_error_naming_them(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("date,open,close\n2020-01-01,1,2\n")
    with pytest.raises(DatasetError, match=r"\['high', 'low'\]") as info:
        load_ohlcv(path)
    assert "bad.csv" in str(info.value)


def test_single_asset_file_without_tic_takes_parameter_or_stem(tmp_path: Path) -> None:
    path = tmp_path / "ETH.csv"
    path.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n2020-01-02,1,2,0.5,1.5,1.4,10\n")
    assert load_ohlcv(path)["tic"].tolist() == ["ETH"]
    df = load_ohlcv(path, tic="X")
    assert df["tic"].tolist() == ["X"]
    assert df["adjcp"].tolist() == [1.4]
    assert df["volume"].tolist() == [10.0]


def test_parquet_and_tz_aware_dates(tmp_path: Path) -> None:
    src = pd.DataFrame(
        {
            "datetime": pd.to_datetime(["2020-01-01 01:00", "2020-01-01 00:00"]).tz_localize(
                "Europe/Berlin"
            ),
            "symbol": ["A", "A"],
            "open": [1.0, 2.0],
            "high": [1.0, 2.0],
            "low": [1.0, 2.0],
            "close": [1.0, 2.0],
        }
    )
    path = tmp_path / "x.parquet"
    src.to_parquet(path)
    df = load_ohlcv(path)
    assert df["date"].tolist() == [pd.Timestamp("2019-12-31 23:00"), pd.Timestamp("2020-01-01")]
    assert df["close"].tolist() == [2.0, 1.0]


def test_unsupported_suffix_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("a")
    with pytest.raises(DatasetError, match="unsupported file type"):
        load_ohlcv(path)


def test_order_execution_lob_levels(shared_data: Path) -> None:
    df = load_lob(shared_data / "order_execution/BTC/test.csv")
    assert len(df) == 600
    assert df["date"].iloc[0] == pd.Timestamp("2021-04-17 17:22:00.172344")
    bids, asks = lob_prices(df, "bids"), lob_prices(df, "asks")
    assert bids.shape == asks.shape == (600, 15)
    mid = df["midpoint"].to_numpy()
    # price = midpoint * (1 + distance); bids below the mid, asks above, monotone outwards
    assert bids[0, 0] == pytest.approx(mid[0] * (1 + df["bids_distance_0"].iloc[0]), rel=1e-15)
    assert (bids <= mid[:, None]).all() and (asks >= mid[:, None]).all()
    assert (np.diff(bids, axis=1) <= 1e-9).all() and (np.diff(asks, axis=1) >= -1e-9).all()
    notional = lob_sizes(df, "bids", unit="notional")
    np.testing.assert_allclose(lob_sizes(df, "bids") * bids, notional, rtol=1e-12)
    book = lob_book(df)
    assert book.levels == 15 and len(book) == 600
    np.testing.assert_allclose(book.mid, mid, rtol=1e-9)


def test_hft_segment_lob(shared_data: Path) -> None:
    path = (
        shared_data
        / "high_frequency_trading/small_BTC/Market_Dynamics_Model/BTC/default/label_0/label_0_0.csv"
    )
    df = load_hft_lob(path)
    book = hft_book(df)
    assert book.levels == 5
    assert len(book) == len(df) == 68
    assert book.times.dtype == np.int64 and (np.diff(book.times) > 0).all()
    assert (book.bid_price[:, 0] < book.ask_price[:, 0]).all()
    assert (np.diff(book.bid_price, axis=1) < 0).all()
    assert (book.bid_size > 0).all()


def test_lob_loader_rejects_ohlcv_file(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("date,open,high,low,close\n2020-01-01,1,1,1,1\n")
    with pytest.raises(DatasetError, match="system_time"):
        load_lob(path)
    with pytest.raises(DatasetError, match="timestamp"):
        load_hft_lob(path)


def test_capitalised_timestamp_and_instrument_columns_are_accepted(tmp_path: Path) -> None:
    """``Timestamp``/``INSTRUMENT`` (any case) map to date/tic; codes like ``001`` stay text."""
    path = tmp_path / "bars.csv"
    path.write_text(
        "Timestamp,INSTRUMENT,Open,High,Low,Close,Volume\n"
        "2024-01-03,001,10,11,9,10.5,100\n"
        "2024-01-02,001,9,10,8,9.5,90\n"
    )
    df = load_ohlcv(path)
    assert list(df.columns[:2]) == ["date", "tic"]
    assert df["tic"].tolist() == ["001", "001"]
    assert df["date"].tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    assert df["close"].tolist() == [9.5, 10.5]
