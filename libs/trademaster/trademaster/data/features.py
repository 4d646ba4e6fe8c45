"""Causal features computed per tic from long OHLCV frames.

Every feature at row t uses only rows <= t of the same tic (checked by
``trademaster.data.lookahead``). Warm-up rows are left NaN; callers drop them. Unlike
TradeMaster's preprocessor we never back-fill, since that copies future values into the past.

Feature names accepted by :func:`add_features` (k = window, a positive integer):

- ``zfeatures``: TradeMaster's ``zopen = open/close - 1``, ``zhigh = high/close - 1``,
  ``zlow = low/close - 1``, ``zadjcp = adjcp/close - 1`` (adjcp defaults to close),
  ``zclose = close_t/close_{t-1} - 1``, ``zd_k = mean(adjcp_{t-k+1..t})/adjcp_t - 1`` for
  k in 5, 10, 15, 20, 25, 30. TradeMaster's files use adjcp for zd_k (checked against the
  AAPL/DJ30 files, where adjcp != close); for files where adjcp == close this is the close.
- ``return``: ``close_t/close_{t-1} - 1``; ``log_return``: ``ln(close_t/close_{t-1})``.
- ``sma_k``: mean of the last k closes. ``ema_k``: ``e_t = a*close_t + (1-a)*e_{t-1}``,
  ``a = 2/(k+1)``, seeded with ``e_0 = close_0`` and NaN for the first k-1 rows.
- ``rsi_k`` (Wilder, default k=14): gains/losses of close diffs smoothed with Wilder's average
  (seed = simple mean of the first k, then ``m_t = m_{t-1} + (x_t - m_{t-1})/k``);
  ``rsi = 100 - 100/(1 + avg_gain/avg_loss)`` (100 when avg_loss is 0).
- ``macd``: ``macd = ema_12 - ema_26``, ``macd_signal = ema_9(macd)``,
  ``macd_hist = macd - macd_signal``.
- ``bollinger_k`` (default 20, 2 std): ``bb_mid_k = sma_k``, ``bb_upper_k/bb_lower_k =
  bb_mid_k +/- 2 * std_k`` with population std (ddof=0), as Bollinger defines it.
- ``atr_k`` (Wilder, default 14): true range ``max(high-low, |high-close_{t-1}|,
  |low-close_{t-1}|)`` (``high-low`` on a tic's first row), Wilder-averaged.
- ``volatility_k``: rolling sample std (ddof=1) of log returns over k rows (not annualized).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

_LOGGER = logging.getLogger(__name__)

Z_WINDOWS: tuple[int, ...] = (5, 10, 15, 20, 25, 30)
Z_COLUMNS: tuple[str, ...] = (
    "zopen",
    "zhigh",
    "zlow",
    "zadjcp",
    "zclose",
    *(f"zd_{k}" for k in Z_WINDOWS),
)

_PARAM = re.compile(r"^(sma|ema|rsi|atr|volatility|bollinger)_(\d+)$")
_DEFAULT_WINDOWS = {"rsi": 14, "atr": 14, "bollinger": 20}


def _check_window(window: int) -> None:
    if window < 1:
        raise ValueError(f"window must be >= 1, was {window}")


def wilder_average(values: pd.Series, window: int) -> pd.Series:
    """Wilder's smoothing, seeded with the simple mean of the first ``window`` valid values."""
    _check_window(window)
    valid = values.dropna()
    out = pd.Series(np.nan, index=values.index, dtype="float64")
    if len(valid) < window:
        return out
    seeded = valid.iloc[window - 1 :].copy()
    seeded.iloc[0] = valid.iloc[:window].mean()
    out.loc[seeded.index] = seeded.ewm(alpha=1.0 / window, adjust=False).mean()
    return out


def _ema(values: pd.Series, window: int) -> pd.Series:
    _check_window(window)
    return values.ewm(span=window, adjust=False, min_periods=window).mean()


def _by_tic(df: pd.DataFrame) -> pd.core.groupby.DataFrameGroupBy:
    return df.groupby("tic", sort=False, group_keys=False)


def _per_tic_series(
    df: pd.DataFrame, column: str, fn: Callable[[pd.Series], pd.Series]
) -> pd.Series:
    return df.groupby("tic", sort=False, group_keys=False)[column].transform(fn)


def zfeatures(df: pd.DataFrame) -> pd.DataFrame:
    """TradeMaster's z-features (see module docstring), without back-filling."""
    close = df["close"]
    adjcp = df["adjcp"] if "adjcp" in df.columns else close
    prev_close = _by_tic(df)["close"].shift(1)
    out = {
        "zopen": df["open"] / close - 1.0,
        "zhigh": df["high"] / close - 1.0,
        "zlow": df["low"] / close - 1.0,
        "zadjcp": adjcp / close - 1.0,
        "zclose": close / prev_close - 1.0,
    }
    tmp = pd.DataFrame({"tic": df["tic"], "adjcp": adjcp})
    rolling = tmp.groupby("tic", sort=False)["adjcp"]
    for k in Z_WINDOWS:
        mean = rolling.rolling(k, min_periods=k).mean().reset_index(level=0, drop=True)
        out[f"zd_{k}"] = mean.reindex(df.index) / adjcp - 1.0
    return pd.DataFrame(out, index=df.index)


def simple_return(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"return": df["close"] / _by_tic(df)["close"].shift(1) - 1.0})


def log_return(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"log_return": np.log(df["close"] / _by_tic(df)["close"].shift(1))})


def sma(df: pd.DataFrame, window: int) -> pd.DataFrame:
    _check_window(window)
    mean = _per_tic_series(df, "close", lambda s: s.rolling(window, min_periods=window).mean())
    return pd.DataFrame({f"sma_{window}": mean})


def ema(df: pd.DataFrame, window: int) -> pd.DataFrame:
    return pd.DataFrame({f"ema_{window}": _per_tic_series(df, "close", lambda s: _ema(s, window))})


def rsi(df: pd.DataFrame, window: int = 14) -> pd.DataFrame:
    def one(close: pd.Series) -> pd.Series:
        diff = close.diff()
        gain = wilder_average(diff.clip(lower=0.0).where(diff.notna()), window)
        loss = wilder_average((-diff).clip(lower=0.0).where(diff.notna()), window)
        value = 100.0 - 100.0 / (1.0 + gain / loss)
        return value.where(loss != 0.0, 100.0).where(gain.notna())

    return pd.DataFrame({f"rsi_{window}": _per_tic_series(df, "close", one)})


def macd(df: pd.DataFrame, fast: int = 12, slow: int = 26, signal: int = 9) -> pd.DataFrame:
    line = _per_tic_series(df, "close", lambda s: _ema(s, fast) - _ema(s, slow))
    tmp = pd.DataFrame({"tic": df["tic"], "macd": line})
    sig = _per_tic_series(tmp, "macd", lambda s: _ema(s.dropna(), signal).reindex(s.index))
    return pd.DataFrame({"macd": line, "macd_signal": sig, "macd_hist": line - sig})


def bollinger(df: pd.DataFrame, window: int = 20, num_std: float = 2.0) -> pd.DataFrame:
    _check_window(window)
    mid = _per_tic_series(df, "close", lambda s: s.rolling(window, min_periods=window).mean())
    std = _per_tic_series(df, "close", lambda s: s.rolling(window, min_periods=window).std(ddof=0))
    return pd.DataFrame(
        {
            f"bb_mid_{window}": mid,
            f"bb_upper_{window}": mid + num_std * std,
            f"bb_lower_{window}": mid - num_std * std,
        }
    )


def atr(df: pd.DataFrame, window: int = 14) -> pd.DataFrame:
    prev_close = _by_tic(df)["close"].shift(1)
    true_range = pd.concat(
        [df["high"] - df["low"], (df["high"] - prev_close).abs(), (df["low"] - prev_close).abs()],
        axis=1,
    ).max(axis=1)
    tmp = pd.DataFrame({"tic": df["tic"], "tr": true_range})
    return pd.DataFrame(
        {f"atr_{window}": _per_tic_series(tmp, "tr", lambda s: wilder_average(s, window))}
    )


def volatility(df: pd.DataFrame, window: int) -> pd.DataFrame:
    _check_window(window)
    tmp = pd.DataFrame({"tic": df["tic"], "r": log_return(df)["log_return"]})
    vol = _per_tic_series(tmp, "r", lambda s: s.rolling(window, min_periods=window).std(ddof=1))
    return pd.DataFrame({f"volatility_{window}": vol})


_FIXED: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "zfeatures": zfeatures,
    "return": simple_return,
    "log_return": log_return,
    "macd": macd,
    "rsi": rsi,
    "atr": atr,
    "bollinger": bollinger,
}
_PARAMETRIC: dict[str, Callable[[pd.DataFrame, int], pd.DataFrame]] = {
    "sma": sma,
    "ema": ema,
    "rsi": rsi,
    "atr": atr,
    "volatility": volatility,
    "bollinger": bollinger,
}


def feature_function(name: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The function computing feature ``name`` (e.g. ``"sma_20"``) from a long frame.

    Raises:
        ValueError: unknown name.
    """
    if name in _FIXED:
        return _FIXED[name]
    match = _PARAM.match(name)
    if match is None:
        raise ValueError(
            f"unknown feature {name!r}; expected one of {sorted(_FIXED)} or "
            f"<{'|'.join(_PARAMETRIC)}>_<window>"
        )
    fn, window = _PARAMETRIC[match.group(1)], int(match.group(2))
    _check_window(window)
    return lambda df: fn(df, window)


def add_features(df: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """A copy of a long OHLCV frame with the named feature columns appended.

    The frame must be sorted by date within each tic (``load_ohlcv`` guarantees it).
    Existing columns with the same names are replaced.
    """
    if not df.empty and not df.groupby("tic", sort=False)["date"].is_monotonic_increasing.all():
        raise ValueError("frame must be sorted by date within each tic")
    blocks = [feature_function(name)(df) for name in names]
    new_cols = [c for block in blocks for c in block.columns]
    out = pd.concat([df.drop(columns=[c for c in new_cols if c in df.columns]), *blocks], axis=1)
    out.attrs = dict(df.attrs)
    return out
