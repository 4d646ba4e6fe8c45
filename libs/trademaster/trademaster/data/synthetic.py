"""Deterministic synthetic markets for tests, demos and smoke training (no real data needed).

Every frame carries ``df.attrs["synthetic"] = True`` and ``df.attrs["source"] =
"synthetic:<generator>:<seed>"``. The same arguments give bit-identical frames, and
:func:`write_synthetic_dataset` writes identical bytes, with a ``<file>.meta.json`` sidecar that
the catalog reads to flag the file as synthetic.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trademaster.data.loaders import CSV_SUFFIXES, PARQUET_SUFFIXES

_LOGGER = logging.getLogger(__name__)

META_SUFFIX = ".meta.json"


def _check_sizes(n_steps: int, n_assets: int) -> None:
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, was {n_steps}")
    if n_assets < 1:
        raise ValueError(f"n_assets must be >= 1, was {n_assets}")


def _tics(n_assets: int) -> list[str]:
    return [f"SYN{i:0{max(2, len(str(n_assets - 1)))}d}" for i in range(n_assets)]


def _ohlcv_from_close(
    close: np.ndarray, rng: np.random.Generator, start_price: float, bar_noise: float
) -> dict[str, np.ndarray]:
    """Consistent bars around a ``[T, A]`` close path: low <= min(open, close), high >= max."""
    prev_close = np.vstack([np.full((1, close.shape[1]), start_price), close[:-1]])
    open_ = prev_close * np.exp(rng.normal(0.0, bar_noise / 4.0, size=close.shape))
    top = np.maximum(open_, close)
    bottom = np.minimum(open_, close)
    high = top * (1.0 + np.abs(rng.normal(0.0, bar_noise, size=close.shape)))
    low = bottom * (1.0 - np.minimum(np.abs(rng.normal(0.0, bar_noise, size=close.shape)), 0.5))
    volume = np.exp(rng.normal(np.log(1e6), 0.3, size=close.shape))
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume}


def _to_long(
    bars: dict[str, np.ndarray], *, freq: str, start: str, generator: str, seed: int
) -> pd.DataFrame:
    n_steps, n_assets = bars["close"].shape
    dates = pd.date_range(start=start, periods=n_steps, freq=freq).as_unit("ns")
    df = pd.DataFrame(
        {
            "date": np.repeat(dates.to_numpy(), n_assets),
            "tic": np.tile(np.array(_tics(n_assets), dtype=object), n_steps),
            **{k: v.reshape(-1) for k, v in bars.items()},
        }
    )
    df["tic"] = df["tic"].astype(str)
    df.attrs["synthetic"] = True
    df.attrs["source"] = f"synthetic:{generator}:{seed}"
    return df


def gbm(
    n_steps: int,
    n_assets: int = 1,
    *,
    seed: int,
    mu: float = 0.0002,
    sigma: float = 0.01,
    start_price: float = 100.0,
    freq: str = "1D",
    start: str = "2020-01-01",
    bar_noise: float = 0.003,
) -> pd.DataFrame:
    """Geometric Brownian motion closes in long OHLCV form.

    ``close_t = close_{t-1} * exp((mu - sigma^2/2) + sigma * z_t)``, ``z_t ~ N(0, 1)`` i.i.d. per
    asset; ``mu``/``sigma`` are per step. Open/high/low are jittered around it consistently.
    """
    _check_sizes(n_steps, n_assets)
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, was {sigma}")
    if start_price <= 0:
        raise ValueError(f"start_price must be > 0, was {start_price}")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n_steps, n_assets))
    close = start_price * np.exp(np.cumsum((mu - 0.5 * sigma**2) + sigma * z, axis=0))
    bars = _ohlcv_from_close(close, rng, start_price, bar_noise)
    return _to_long(bars, freq=freq, start=start, generator="gbm", seed=seed)


def sine_trend(
    n_steps: int,
    n_assets: int = 1,
    *,
    seed: int,
    period: int = 40,
    amplitude: float = 0.1,
    noise: float = 0.002,
    start_price: float = 100.0,
    freq: str = "1D",
    start: str = "2020-01-01",
) -> pd.DataFrame:
    """A learnable market: ``close_t = start_price * (1 + amplitude * sin(2 pi t / period +
    phase_a)) * exp(noise * z_t)`` with a random phase per asset. A policy that buys the rising
    half-cycle earns a clear profit, so smoke tests can check that training really learns.
    """
    _check_sizes(n_steps, n_assets)
    if period < 2:
        raise ValueError(f"period must be >= 2, was {period}")
    if not 0 <= amplitude < 1:
        raise ValueError(f"amplitude must be in [0, 1), was {amplitude}")
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0.0, 2.0 * np.pi, size=n_assets)
    t = np.arange(n_steps, dtype=np.float64)[:, None]
    wave = 1.0 + amplitude * np.sin(2.0 * np.pi * t / period + phase[None, :])
    close = start_price * wave * np.exp(noise * rng.standard_normal((n_steps, n_assets)))
    bars = _ohlcv_from_close(close, rng, start_price, noise)
    return _to_long(bars, freq=freq, start=start, generator="sine_trend", seed=seed)


def lob(
    n_steps: int,
    *,
    seed: int,
    levels: int = 5,
    start_price: float = 20000.0,
    sigma: float = 0.0005,
    tick: float = 0.1,
    mean_size: float = 0.5,
) -> pd.DataFrame:
    """Synthetic order book in the HFT segment schema (``bid<i>_price/size``,
    ``ask<i>_price/size``, integer ``timestamp``); convert with ``loaders.hft_book``.

    The mid follows a GBM; bid level i sits at ``mid - spread/2 - (i-1)*tick``, asks mirror it;
    spreads are 1..3 ticks; sizes are exponential with mean ``mean_size`` (base units).
    """
    _check_sizes(n_steps, 1)
    if levels < 1:
        raise ValueError(f"levels must be >= 1, was {levels}")
    if tick <= 0:
        raise ValueError(f"tick must be > 0, was {tick}")
    rng = np.random.default_rng(seed)
    mid = start_price * np.exp(np.cumsum(sigma * rng.standard_normal(n_steps)))
    mid = np.round(mid / tick) * tick
    half_spread = rng.integers(1, 4, size=n_steps) * tick / 2.0
    offsets = np.arange(levels, dtype=np.float64) * tick
    bid_price = (mid - half_spread)[:, None] - offsets[None, :]
    ask_price = (mid + half_spread)[:, None] + offsets[None, :]
    bid_size = rng.exponential(mean_size, size=(n_steps, levels)) + 1e-4
    ask_size = rng.exponential(mean_size, size=(n_steps, levels)) + 1e-4
    cols: dict[str, np.ndarray] = {}
    for i in range(levels):
        cols[f"bid{i + 1}_price"] = bid_price[:, i]
        cols[f"bid{i + 1}_size"] = bid_size[:, i]
    for i in range(levels):
        cols[f"ask{i + 1}_price"] = ask_price[:, i]
        cols[f"ask{i + 1}_size"] = ask_size[:, i]
    df = pd.DataFrame({"timestamp": np.arange(n_steps, dtype=np.int64), **cols})
    df.attrs["synthetic"] = True
    df.attrs["source"] = f"synthetic:lob:{seed}"
    return df


def write_synthetic_dataset(path: str | Path, df: pd.DataFrame, **meta: Any) -> Path:
    """Write a synthetic frame (CSV or Parquet by suffix) plus its ``.meta.json`` sidecar.

    Byte-deterministic: CSV floats are written with 17 significant digits (round-trip exact);
    Parquet is written without the pandas index. Extra ``meta`` goes into the sidecar.
    """
    path = Path(path)
    if not df.attrs.get("synthetic"):
        raise ValueError("frame is not synthetic: df.attrs['synthetic'] must be True")
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in CSV_SUFFIXES:
        df.to_csv(path, index=False, float_format="%.17g", lineterminator="\n")
    elif suffix in PARQUET_SUFFIXES:
        df.to_parquet(path, index=False)
    else:
        raise ValueError(f"path suffix must be .csv or .parquet, was {suffix!r}")
    sidecar = {"synthetic": True, "source": df.attrs.get("source", "synthetic"), **meta}
    meta_path = path.with_name(path.name + META_SUFFIX)
    meta_path.write_text(json.dumps(sidecar, sort_keys=True, indent=2) + "\n")
    _LOGGER.info("wrote synthetic dataset %s (%d rows)", path, len(df))
    return path


def read_sidecar(path: str | Path) -> dict[str, Any] | None:
    """The ``<file>.meta.json`` sidecar of a data file, or None when absent or unreadable."""
    meta_path = Path(path).with_name(Path(path).name + META_SUFFIX)
    if not meta_path.is_file():
        return None
    try:
        loaded = json.loads(meta_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        _LOGGER.warning("ignoring unreadable sidecar %s: %s", meta_path, exc)
        return None
    return loaded if isinstance(loaded, dict) else None
