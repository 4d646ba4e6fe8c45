"""What a backtest produced: equity, positions, fills, trades, metrics, benchmark, regimes.

Metrics come from ``trademaster.metrics.compute_metrics`` on the equity curve (one value per
bar, marked at the close after that bar's fills), with the benchmark curve, the position
weights and the realized PnL of every exit.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from trademaster.backtest.config import BacktestConfig
from trademaster.backtest.data import MarketData
from trademaster.metrics.drawdown import drawdown_series
from trademaster.metrics.report import compute_metrics
from trademaster.metrics.tail import rolling_sharpe

if TYPE_CHECKING:
    from trademaster.backtest.execution import Ledger

_LOGGER = logging.getLogger(__name__)

Benchmark = str | np.ndarray | None
"""``"buy_and_hold"`` (equal weight of every asset, bought at the first close, no costs), a
ticker of the data, a value series ``[T]``, or None for no benchmark."""

TRADE_COLUMNS = (
    "time",
    "bar",
    "asset",
    "side",
    "effect",
    "quantity",
    "price",
    "fee",
    "slippage",
    "realized_pnl",
)
REGIME_KEYS = (
    "total_return",
    "annualized_volatility",
    "sharpe_ratio",
    "max_drawdown",
    "win_rate",
    "benchmark_total_return",
    "excess_return",
)


def benchmark_curve(
    data: MarketData, benchmark: Benchmark, initial_cash: float
) -> np.ndarray | None:
    """The benchmark's value per bar, scaled to start at ``initial_cash``.

    Raises:
        ValueError: unknown name, or a series of the wrong length / non-positive values.
    """
    if benchmark is None:
        return None
    if isinstance(benchmark, str):
        if benchmark == "buy_and_hold":
            rel = (data.close / data.close[0]).mean(axis=1)
        elif benchmark in data.tics:
            a = data.tics.index(benchmark)
            rel = data.close[:, a] / data.close[0, a]
        else:
            raise ValueError(
                f"benchmark must be 'buy_and_hold' or a ticker of {list(data.tics)}, "
                f"was {benchmark!r}"
            )
        return initial_cash * rel
    series = np.asarray(benchmark, dtype=np.float64)
    if series.shape != (data.num_bars,):
        raise ValueError(f"benchmark series must have shape ({data.num_bars},), was {series.shape}")
    if not np.all(np.isfinite(series)) or np.any(series <= 0):
        raise ValueError("benchmark series must be finite and > 0")
    return initial_cash * series / series[0]


@dataclass(frozen=True)
class RegimeStats:
    """Metrics over the bars of one market-dynamics regime (returns compounded in time order)."""

    regime: str
    bars: int
    metrics: dict[str, float]


@dataclass
class BacktestResult:
    """One finished backtest. ``trades``, ``metrics`` and ``regimes`` are computed on first use."""

    data: MarketData
    config: BacktestConfig
    ledger: Ledger
    path: Literal["vectorized", "event", "book"]
    benchmark: np.ndarray | None
    benchmark_name: str
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        data: MarketData,
        config: BacktestConfig,
        ledger: Ledger,
        *,
        path: Literal["vectorized", "event", "book"],
        benchmark: Benchmark,
    ) -> BacktestResult:
        notes = []
        if config.fill_timing == "same_close":
            notes.append("same_close fills are look-ahead-prone: results are optimistic")
        name = (
            benchmark if isinstance(benchmark, str) else ("series" if benchmark is not None else "")
        )
        return cls(
            data=data,
            config=config,
            ledger=ledger,
            path=path,
            benchmark=benchmark_curve(data, benchmark, config.initial_cash),
            benchmark_name=name,
            warnings=notes,
        )

    @property
    def dates(self) -> np.ndarray:
        return self.data.dates

    @property
    def equity(self) -> np.ndarray:
        return self.ledger.equity

    @property
    def cash(self) -> np.ndarray:
        return self.ledger.cash

    @property
    def positions(self) -> np.ndarray:
        return self.ledger.positions

    @property
    def final_equity(self) -> float:
        return float(self.ledger.equity[-1])

    def weights(self) -> np.ndarray:
        """Signed weight of each asset in equity at each close, ``[T, A]``."""
        return self.positions * self.data.close / self.equity[:, None]

    def drawdown(self) -> np.ndarray:
        """``V_t / max_{s<=t} V_s − 1`` per bar."""
        return drawdown_series(self.equity)

    def rolling_sharpe(self, window: int = 63) -> np.ndarray:
        """Annualized Sharpe of the trailing ``window`` returns (NaN until enough history)."""
        returns = self.equity[1:] / self.equity[:-1] - 1.0
        out = np.full(len(self.equity), np.nan)
        out[1:] = rolling_sharpe(returns, window, self.periods_per_year)
        return out

    @cached_property
    def periods_per_year(self) -> float:
        return self.config.periods_per_year or self.data.periods_per_year(self.config.market)

    @cached_property
    def trades(self) -> pd.DataFrame:
        """One row per entry/exit (a flip is an exit then an entry), in time order.

        ``realized_pnl`` (exits only) uses the average cost basis including entry fees, minus
        the exit's fee: ``units × (exit − basis) × sign(position) − exit fee``.
        """
        fills = self.ledger.fills
        positions = [0.0] * self.data.num_assets
        basis = [0.0] * self.data.num_assets
        rows: list[tuple[Any, ...]] = []
        for bar, asset, q, px, fee, slip in zip(
            fills.bar.tolist(),
            fills.asset.tolist(),
            fills.quantity.tolist(),
            fills.price.tolist(),
            fills.fee.tolist(),
            fills.slippage.tolist(),
            strict=True,
        ):
            side = "buy" if q > 0 else "sell"
            held = positions[asset]
            size = abs(q)
            if held == 0.0 or (held > 0) == (q > 0):
                new = abs(held) + size
                unit_cost = px + math.copysign(fee / size, q)
                basis[asset] = (basis[asset] * abs(held) + unit_cost * size) / new
                rows.append((bar, asset, side, "entry", size, px, fee, slip, math.nan))
            else:
                closing = min(size, abs(held))
                share = closing / size
                pnl = closing * (px - basis[asset]) * math.copysign(1.0, held) - fee * share
                rows.append((bar, asset, side, "exit", closing, px, fee * share, slip * share, pnl))
                rest = size - closing
                if rest > 0:
                    basis[asset] = px + math.copysign(fee * (1 - share) / rest, q)
                    rows.append(
                        (
                            bar,
                            asset,
                            side,
                            "entry",
                            rest,
                            px,
                            fee * (1 - share),
                            slip * (1 - share),
                            math.nan,
                        )
                    )
                elif closing == abs(held):
                    basis[asset] = 0.0
            positions[asset] = held + q
        frame = pd.DataFrame(rows, columns=list(TRADE_COLUMNS[1:]))
        frame.insert(0, "time", self.dates[frame["bar"].to_numpy(dtype=np.int64)])
        frame["asset"] = [self.data.tics[a] for a in frame["asset"]]
        return frame

    @cached_property
    def metrics(self) -> dict[str, float]:
        """``compute_metrics`` on the equity curve with benchmark, weights and trade PnL."""
        exits = self.trades.loc[self.trades["effect"] == "exit", "realized_pnl"].to_numpy()
        out = compute_metrics(
            self.equity,
            periods_per_year=self.periods_per_year,
            benchmark=self.benchmark,
            weights=self.weights(),
            trades=exits,
        )
        out["total_fees"] = float(self.ledger.fills.fee.sum())
        out["total_slippage"] = float(self.ledger.fills.slippage.sum())
        out["num_fills"] = float(len(self.ledger.fills))
        return out

    @cached_property
    def regimes(self) -> list[RegimeStats]:
        """Per-regime metrics when the data has ``label``s: bar t's return belongs to label[t]."""
        labels = self.data.labels
        if labels is None:
            return []
        returns = self.equity[1:] / self.equity[:-1] - 1.0
        bench = None if self.benchmark is None else self.benchmark[1:] / self.benchmark[:-1] - 1.0
        out = []
        for label in sorted({str(x) for x in labels[1:]}):
            mask = labels[1:].astype(str) == label
            if mask.sum() < 2:
                continue
            curve = np.concatenate([[1.0], np.cumprod(1.0 + returns[mask])])
            bcurve = (
                None if bench is None else np.concatenate([[1.0], np.cumprod(1.0 + bench[mask])])
            )
            full = compute_metrics(curve, periods_per_year=self.periods_per_year, benchmark=bcurve)
            out.append(
                RegimeStats(label, int(mask.sum()), {k: full[k] for k in REGIME_KEYS if k in full})
            )
        return out

    def equity_frame(self) -> pd.DataFrame:
        """time, equity, benchmark_equity, drawdown, cash per bar."""
        return pd.DataFrame(
            {
                "time": self.dates,
                "equity": self.equity,
                "benchmark_equity": self.benchmark if self.benchmark is not None else np.nan,
                "drawdown": self.drawdown(),
                "cash": self.cash,
            }
        )
