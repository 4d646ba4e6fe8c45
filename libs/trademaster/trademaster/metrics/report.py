"""One call that turns an equity curve (plus optional benchmark, weights, trades) into the
metric dict shown by services and the UI.

Keys (stable, snake_case; NaN where undefined, e.g. Sharpe of a flat curve):

- always: ``total_return``, ``annualized_return``, ``annualized_volatility``, ``sharpe_ratio``,
  ``sortino_ratio``, ``calmar_ratio``, ``max_drawdown`` (<= 0), ``max_drawdown_duration``
  (periods), ``longest_drawdown_duration`` (periods), ``probabilistic_sharpe_ratio`` (vs 0),
  ``win_rate`` (per period), ``num_periods``, ``final_value``, and the tail risk at
  ``var_level`` (default 0.95; returns, a loss is negative): ``value_at_risk``,
  ``conditional_value_at_risk`` (historical), ``parametric_value_at_risk``,
  ``parametric_conditional_value_at_risk`` (Gaussian), ``tail_ratio``
- with ``benchmark`` (benchmark value curve, same length): ``alpha``, ``beta``,
  ``benchmark_total_return``, ``benchmark_annualized_return``, ``excess_return``
  (total_return - benchmark_total_return)
- with ``weights`` ([T, A] portfolio weights): ``turnover``
- with ``trades`` (realized PnL per closed trade): ``num_trades``, ``trade_win_rate``,
  ``profit_factor``

Formulas are in the docstrings of ``returns``, ``risk``, ``sharpe``, ``drawdown``, ``trades``,
``tail``.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import ArrayLike

from trademaster.metrics.drawdown import calmar_ratio, longest_drawdown_duration, max_drawdown
from trademaster.metrics.returns import (
    annualized_return,
    as_equity,
    simple_returns,
    total_return,
)
from trademaster.metrics.risk import alpha_beta, annualized_volatility, sortino_ratio
from trademaster.metrics.sharpe import probabilistic_sharpe_ratio, sharpe_ratio
from trademaster.metrics.tail import (
    historical_cvar,
    historical_var,
    parametric_cvar,
    parametric_var,
    tail_ratio,
)
from trademaster.metrics.trades import period_win_rate, profit_factor, trade_win_rate, turnover

_LOGGER = logging.getLogger(__name__)

BASE_KEYS: tuple[str, ...] = (
    "total_return",
    "annualized_return",
    "annualized_volatility",
    "sharpe_ratio",
    "sortino_ratio",
    "calmar_ratio",
    "max_drawdown",
    "max_drawdown_duration",
    "longest_drawdown_duration",
    "probabilistic_sharpe_ratio",
    "win_rate",
    "num_periods",
    "final_value",
    "value_at_risk",
    "conditional_value_at_risk",
    "parametric_value_at_risk",
    "parametric_conditional_value_at_risk",
    "tail_ratio",
)
BENCHMARK_KEYS: tuple[str, ...] = (
    "alpha",
    "beta",
    "benchmark_total_return",
    "benchmark_annualized_return",
    "excess_return",
)
WEIGHT_KEYS: tuple[str, ...] = ("turnover",)
TRADE_KEYS: tuple[str, ...] = ("num_trades", "trade_win_rate", "profit_factor")
METRIC_KEYS: tuple[str, ...] = BASE_KEYS + BENCHMARK_KEYS + WEIGHT_KEYS + TRADE_KEYS


def compute_metrics(
    equity: ArrayLike,
    *,
    periods_per_year: float,
    benchmark: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    trades: ArrayLike | None = None,
    risk_free: float = 0.0,
    var_level: float = 0.95,
) -> dict[str, float]:
    """Performance and risk metrics of an equity curve ``V_0..V_n``.

    Args:
        periods_per_year: bars per year (see ``returns.periods_per_year``).
        benchmark: benchmark value curve aligned with ``equity``.
        weights: portfolio weights per period, ``[T, A]``.
        trades: realized PnL of each closed trade.
        risk_free: risk-free return per period.
        var_level: confidence level of the VaR/CVaR keys, in (0, 1).
    """
    if not periods_per_year > 0:
        raise ValueError(f"periods_per_year must be > 0, was {periods_per_year}")
    values = as_equity(equity)
    r = simple_returns(values)
    dd = max_drawdown(values)
    out: dict[str, float] = {
        "total_return": total_return(values),
        "annualized_return": annualized_return(values, periods_per_year),
        "annualized_volatility": annualized_volatility(r, periods_per_year),
        "sharpe_ratio": sharpe_ratio(r, periods_per_year, risk_free),
        "sortino_ratio": sortino_ratio(r, periods_per_year, risk_free),
        "calmar_ratio": calmar_ratio(values, periods_per_year),
        "max_drawdown": dd.max_drawdown,
        "max_drawdown_duration": float(dd.duration),
        "longest_drawdown_duration": float(longest_drawdown_duration(values)),
        "probabilistic_sharpe_ratio": probabilistic_sharpe_ratio(r, 0.0, risk_free),
        "win_rate": period_win_rate(r),
        "num_periods": float(len(r)),
        "final_value": float(values[-1]),
        "value_at_risk": historical_var(r, var_level),
        "conditional_value_at_risk": historical_cvar(r, var_level),
        "parametric_value_at_risk": parametric_var(r, var_level),
        "parametric_conditional_value_at_risk": parametric_cvar(r, var_level),
        "tail_ratio": tail_ratio(r),
    }
    if benchmark is not None:
        bench = as_equity(benchmark)
        if bench.shape != values.shape:
            raise ValueError(
                f"benchmark must have the equity's shape {values.shape}, had {bench.shape}"
            )
        alpha, beta = alpha_beta(r, simple_returns(bench), periods_per_year, risk_free)
        out["alpha"] = alpha
        out["beta"] = beta
        out["benchmark_total_return"] = total_return(bench)
        out["benchmark_annualized_return"] = annualized_return(bench, periods_per_year)
        out["excess_return"] = out["total_return"] - out["benchmark_total_return"]
    if weights is not None:
        out["turnover"] = turnover(weights)
    if trades is not None:
        pnl = np.asarray(trades, dtype=np.float64)
        out["num_trades"] = float(len(pnl))
        out["trade_win_rate"] = trade_win_rate(pnl)
        out["profit_factor"] = profit_factor(pnl)
    return out
