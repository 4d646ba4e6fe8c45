"""Synthetic markets: determinism and bar consistency."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trademaster.data.loaders import hft_book, load_ohlcv
from trademaster.data.synthetic import gbm, lob, read_sidecar, sine_trend, write_synthetic_dataset

pytestmark = pytest.mark.unit


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_assets=st.integers(1, 4), sigma=st.floats(0.0, 0.1))
def test_gbm_bars_are_consistent(seed: int, n_assets: int, sigma: float) -> None:
    df = gbm(30, n_assets, seed=seed, sigma=sigma)
    lo = np.minimum(df["open"], df["close"])
    hi = np.maximum(df["open"], df["close"])
    assert (df["low"] <= lo).all() and (lo <= hi).all() and (hi <= df["high"]).all()
    assert (df["low"] > 0).all() and (df["volume"] > 0).all()
    assert len(df) == 30 * n_assets


def test_same_seed_same_frame_different_seed_different_frame() -> None:
    pd.testing.assert_frame_equal(gbm(50, 2, seed=5), gbm(50, 2, seed=5))
    assert not gbm(50, 2, seed=5)["close"].equals(gbm(50, 2, seed=6)["close"])
    pd.testing.assert_frame_equal(sine_trend(50, 2, seed=1), sine_trend(50, 2, seed=1))


def test_attrs_mark_synthetic_source() -> None:
    df = sine_trend(10, seed=9)
    assert df.attrs == {"synthetic": True, "source": "synthetic:sine_trend:9"}
    assert lob(3, seed=2).attrs["source"] == "synthetic:lob:2"


def test_sine_trend_follows_its_wave() -> None:
    df = sine_trend(400, seed=0, period=40, amplitude=0.2, noise=0.0)
    close = df["close"].to_numpy()
    assert close.max() == pytest.approx(120.0, rel=1e-2)
    assert close.min() == pytest.approx(80.0, rel=1e-2)
    np.testing.assert_allclose(close[:360], close[40:400], rtol=1e-12)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_written_bytes_are_identical_and_reload(tmp_path: Path, suffix: str) -> None:
    a = write_synthetic_dataset(tmp_path / f"a{suffix}", gbm(20, 2, seed=4), note="x")
    b = write_synthetic_dataset(tmp_path / f"b{suffix}", gbm(20, 2, seed=4), note="x")
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    assert read_sidecar(a) == {"synthetic": True, "source": "synthetic:gbm:4", "note": "x"}
    back = load_ohlcv(a)
    np.testing.assert_array_equal(back["close"].to_numpy(), gbm(20, 2, seed=4)["close"].to_numpy())


def test_write_refuses_real_frames(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not synthetic"):
        write_synthetic_dataset(tmp_path / "x.csv", pd.DataFrame({"a": [1]}))


def test_lob_book_is_crossed_never() -> None:
    book = hft_book(lob(200, seed=1, levels=5))
    assert book.levels == 5
    assert (book.bid_price[:, 0] < book.ask_price[:, 0]).all()
    assert (np.diff(book.ask_price, axis=1) > 0).all()
    assert (book.ask_size > 0).all()


@pytest.mark.parametrize("bad", [{"n_steps": 0}, {"sigma": -1.0}, {"start_price": 0.0}])
def test_gbm_rejects_bad_arguments(bad: dict[str, float]) -> None:
    kwargs = {"n_steps": 5, "seed": 0, **bad}
    with pytest.raises(ValueError, match="must be"):
        gbm(**kwargs)  # type: ignore[arg-type]
