"""TradeMaster's "dynamics test": the agent against buy-and-hold and do-nothing on every segment
of one market-dynamics label, each segment run on its own (fresh cash, no carried position).

The agent is any callable that backtests a ``MarketData`` slice (a trained policy through
``backtest.sources``, a signal strategy...). Buy-and-hold holds equal weights bought at the first
bar through the same fill model and costs; do-nothing keeps the cash. Scores follow upstream's
radar score: 0 is do-nothing, 50 is buy-and-hold, ``score = 200 * Phi(z) - 100`` with
``z = (m - m_do_nothing) / sigma`` and ``sigma = |m_do_nothing - m_buy_and_hold| / 0.675``
(risk metrics are negated first, so higher is better everywhere).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from trademaster.backtest.config import BacktestConfig
from trademaster.backtest.data import MarketData
from trademaster.backtest.event import run_target_weights
from trademaster.backtest.result import BacktestResult
from trademaster.data.dynamics import contiguous_segments
from trademaster.metrics.report import compute_metrics

POLICIES = ("agent", "buy_and_hold", "do_nothing")
SCORED = {
    "total_return": 1.0,
    "sharpe_ratio": 1.0,
    "max_drawdown": 1.0,
    "annualized_volatility": -1.0,
}
"""Metric -> sign that makes higher better (max_drawdown is already <= 0)."""


def slice_bars(data: MarketData, start: int, end: int) -> MarketData:
    """Bars ``start..end-1`` of ``data`` (labels kept)."""

    def cut(arr: np.ndarray | None) -> np.ndarray | None:
        return None if arr is None else arr[start:end]

    return replace(
        data,
        dates=data.dates[start:end],
        close=data.close[start:end],
        open=cut(data.open),
        volume=cut(data.volume),
        labels=cut(data.labels),
    )


@dataclass(frozen=True)
class DynamicsTestReport:
    """Per-segment metrics of the three policies plus their means and the agent's scores."""

    label: str
    segments: pd.DataFrame
    """One row per (segment, policy): segment, start, end, bars, policy and the metrics."""

    def summary(self) -> pd.DataFrame:
        """Mean of each metric per policy over the segments."""
        cols = [c for c in SCORED if c in self.segments.columns]
        return self.segments.groupby("policy")[cols].mean().reindex(list(POLICIES))

    def to_json(self) -> dict[str, Any]:
        """Label, segment count, mean metrics per policy and scores (non-finite values left out)."""
        means = self.summary()
        return {
            "label": self.label,
            "segments": int(self.segments["segment"].nunique()),
            "policies": [
                {"policy": p, "metrics": _finite(means.loc[p].to_dict())} for p in POLICIES
            ],
            "scores": _finite(self.scores()),
        }

    def scores(self) -> dict[str, float]:
        """The agent's radar score per metric (NaN where both baselines tie)."""
        means = self.summary()
        out: dict[str, float] = {}
        for metric, sign in SCORED.items():
            m, fifty, zero = (sign * float(means.loc[p, metric]) for p in POLICIES)
            sigma = abs(zero - fifty) / 0.675
            out[metric] = (
                math.nan if not sigma or math.isnan(m) else 200 * _phi((m - zero) / sigma) - 100
            )
        return out


def _finite(values: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in values.items() if math.isfinite(float(v))}


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def dynamics_test(
    data: MarketData,
    agent: Callable[[MarketData], BacktestResult],
    label: str | int,
    config: BacktestConfig,
    *,
    min_bars: int = 12,
) -> DynamicsTestReport:
    """Run the three policies on every segment of ``label`` at least ``min_bars`` long.

    Raises:
        ValueError: the data has no labels, or no segment of ``label`` is long enough.
    """
    if data.labels is None:
        raise ValueError("dynamics_test needs labelled data (a 'label' column)")
    wanted = str(label)
    labels = data.labels.astype(str)
    spans = [
        (s, e) for lab, s, e in contiguous_segments(labels) if lab == wanted and e - s >= min_bars
    ]
    if not spans:
        raise ValueError(f"no segment of label {wanted!r} has >= {min_bars} bars")
    ppy = data.periods_per_year()
    rows = []
    equal = np.full(data.num_assets, 1.0 / data.num_assets)
    for k, (start, end) in enumerate(spans):
        seg = slice_bars(data, start, end)
        curves = {
            "agent": agent(seg).equity,
            "buy_and_hold": run_target_weights(
                seg, np.tile(equal, (seg.num_bars, 1)), config, benchmark=None
            ).equity,
            "do_nothing": np.full(seg.num_bars, float(config.initial_cash)),
        }
        for policy, equity in curves.items():
            metrics = compute_metrics(equity, periods_per_year=ppy)
            rows.append(
                {
                    "segment": k,
                    "start": seg.dates[0],
                    "end": seg.dates[-1],
                    "bars": seg.num_bars,
                    "policy": policy,
                    **metrics,
                }
            )
    return DynamicsTestReport(wanted, pd.DataFrame(rows))


def dynamics_tests(
    data: MarketData,
    agent: Callable[[MarketData], BacktestResult],
    config: BacktestConfig,
    *,
    min_bars: int = 12,
) -> list[DynamicsTestReport]:
    """The test on every label with a segment of at least ``min_bars`` (none when unlabelled),
    so a report can offer each label without re-running the backtest."""
    if data.labels is None:
        return []
    long_enough = {
        str(lab) for lab, s, e in contiguous_segments(data.labels.astype(str)) if e - s >= min_bars
    }
    return [
        dynamics_test(data, agent, label, config, min_bars=min_bars)
        for label in sorted(long_enough)
    ]


def render_dynamics_html(reports: list[DynamicsTestReport], title: str) -> str:
    """One HTML page: per label, the scores, the policy means and every segment's metrics."""
    parts = []
    for report in reports:
        scores = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{v:.1f}</td></tr>"
            for k, v in report.to_json()["scores"].items()
        )
        cols = ["segment", "start", "end", "bars", "policy", *SCORED]
        table = report.segments[[c for c in cols if c in report.segments]].to_html(
            index=False, float_format=lambda x: f"{x:.4f}"
        )
        parts.append(
            f"<h2>Label {html.escape(report.label)}</h2>"
            f"<h3>Agent score (0 = do nothing, 50 = buy and hold)</h3><table>{scores}</table>"
            f"<h3>Mean per policy</h3>{report.summary().to_html(float_format=lambda x: f'{x:.4f}')}"
            f"<h3>Segments</h3>{table}"
        )
    body = "".join(parts) or "<p>No label has a segment long enough.</p>"
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
        "font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    )
