"""Signal builders and the look-ahead shift test.

``sma_crossover_targets`` is the vectorized SMA(fast)/SMA(slow) long/flat (or long/short)
rule; ``SMACrossoverStrategy`` is the same rule as an event-driven strategy with running sums.
``check_no_lookahead`` re-runs a signal function on truncated data: a causal signal's decision
on bar t cannot change when bars after t are removed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from trademaster.backtest.data import MarketData
from trademaster.backtest.event import BarContext, EventStrategy

_LOGGER = logging.getLogger(__name__)


class LookAheadDetected(AssertionError):
    """A signal's decision on bar t depends on bars after t."""


def rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over exactly ``window`` values along axis 0 (NaN for the first window-1)."""
    if window < 1:
        raise ValueError(f"window must be >= 1, was {window}")
    csum = np.cumsum(values, axis=0)
    out = np.full(values.shape, np.nan)
    if len(values) < window:
        return out
    out[window - 1] = csum[window - 1]
    out[window:] = csum[window:] - csum[:-window]
    out[window - 1 :] /= window
    return out


def sma_crossover_targets(
    close: np.ndarray, *, fast: int, slow: int, size: float = 1.0, allow_short: bool = False
) -> np.ndarray:
    """Target units: ``size`` while SMA(fast) > SMA(slow) of closes up to t, else 0 (or
    ``-size`` with ``allow_short``); 0 until ``slow`` closes exist."""
    if not 1 <= fast < slow:
        raise ValueError(f"need 1 <= fast < slow, was fast={fast}, slow={slow}")
    close = np.asarray(close, dtype=np.float64)
    fast_ma = rolling_mean(close, fast)
    slow_ma = rolling_mean(close, slow)
    low = -size if allow_short else 0.0
    out = np.where(fast_ma > slow_ma, size, low)
    out[: min(slow - 1, len(out))] = 0.0
    return out


class SMACrossoverStrategy(EventStrategy):
    """Event-driven SMA crossover on asset 0 with O(1) running sums per bar."""

    def __init__(
        self, *, fast: int, slow: int, size: float = 1.0, allow_short: bool = False
    ) -> None:
        if not 1 <= fast < slow:
            raise ValueError(f"need 1 <= fast < slow, was fast={fast}, slow={slow}")
        self.fast, self.slow, self.size = fast, slow, size
        self.low = -size if allow_short else 0.0

    def on_start(self, ctx: BarContext) -> None:
        self._close = ctx.closes[0]
        self._fast_sum = 0.0
        self._slow_sum = 0.0
        self._target = 0.0

    def on_bar(self, ctx: BarContext) -> None:
        t = ctx.t
        close = self._close
        price = close[t]
        self._fast_sum += price
        self._slow_sum += price
        fast, slow = self.fast, self.slow
        if t >= fast:
            self._fast_sum -= close[t - fast]
        if t >= slow:
            self._slow_sum -= close[t - slow]
        if t < slow - 1:
            return
        target = self.size if self._fast_sum / fast > self._slow_sum / slow else self.low
        if target != self._target:
            self._target = target
            ctx.order_target(target)


def check_no_lookahead(
    signal: Callable[[MarketData], np.ndarray],
    data: MarketData,
    *,
    probes: int = 8,
    seed: int = 0,
    atol: float = 0.0,
) -> None:
    """Shift test: ``signal(data[:t+1])[t]`` must equal ``signal(data)[t]`` at random probes.

    Raises:
        LookAheadDetected: naming the first bar whose decision used later bars.
    """
    full = np.asarray(signal(data), dtype=np.float64)
    rng = np.random.default_rng(seed)
    low = 2
    candidates = np.arange(low, data.num_bars - 1)
    picks = np.sort(rng.choice(candidates, size=min(probes, len(candidates)), replace=False))
    for t in picks.tolist():
        cut = MarketData(
            dates=data.dates[: t + 1],
            tics=data.tics,
            close=data.close[: t + 1],
            open=None if data.open is None else data.open[: t + 1],
            volume=None if data.volume is None else data.volume[: t + 1],
            labels=None if data.labels is None else data.labels[: t + 1],
        )
        partial = np.asarray(signal(cut), dtype=np.float64)
        if not np.allclose(partial[t], full[t], atol=atol, rtol=0.0, equal_nan=True):
            raise LookAheadDetected(
                f"signal at bar {t} ({data.dates[t]}) was {full[t]} with later bars and "
                f"{partial[t]} without them: it looks ahead"
            )
