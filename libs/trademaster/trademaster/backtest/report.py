"""Self-contained HTML report (images inlined as base64 PNG, no external assets) and a PNG
summary of a backtest."""

from __future__ import annotations

import base64
import html
import io
import logging
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from trademaster.backtest.result import BacktestResult  # noqa: E402

_LOGGER = logging.getLogger(__name__)

MAX_MARKERS = 400
ROLLING_WINDOW = 63


def monthly_returns(result: BacktestResult) -> pd.DataFrame:
    """Compounded return per calendar month: rows are years, columns months 1..12."""
    equity = pd.Series(result.equity, index=pd.DatetimeIndex(result.dates))
    month_end = equity.groupby([equity.index.year, equity.index.month]).last()
    returns = month_end / month_end.shift(1).fillna(equity.iloc[0]) - 1.0
    table = returns.unstack()
    table.index.name, table.columns.name = "year", "month"
    return table


def _equity_panel(ax: Axes, result: BacktestResult, title: str) -> None:
    dates = result.dates
    ax.plot(dates, result.equity, label="strategy", linewidth=1.2)
    if result.benchmark is not None:
        ax.plot(dates, result.benchmark, label=f"benchmark ({result.benchmark_name})", alpha=0.7)
    fills = result.ledger.fills
    if 0 < len(fills) <= MAX_MARKERS:
        buys = fills.quantity > 0
        for mask, marker, color in ((buys, "^", "tab:green"), (~buys, "v", "tab:red")):
            bars = fills.bar[mask]
            ax.scatter(dates[bars], result.equity[bars], marker=marker, color=color, s=18, zorder=3)
    ax.set_title(title)
    ax.set_ylabel("value")
    ax.legend(loc="best", fontsize=8)


def _drawdown_panel(ax: Axes, result: BacktestResult) -> None:
    ax.fill_between(result.dates, result.drawdown(), 0.0, color="tab:red", alpha=0.4)
    ax.set_title("drawdown")


def _sharpe_panel(ax: Axes, result: BacktestResult) -> None:
    window = min(ROLLING_WINDOW, max(2, len(result.equity) // 4))
    ax.plot(result.dates, result.rolling_sharpe(window), color="tab:purple")
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_title(f"rolling Sharpe ({window} bars)")


def summary_figure(result: BacktestResult, title: str = "backtest") -> Figure:
    """2x2 summary: equity vs benchmark with trades, drawdown, rolling Sharpe, key metrics."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 7))
    _equity_panel(axes[0, 0], result, title)
    _drawdown_panel(axes[0, 1], result)
    _sharpe_panel(axes[1, 0], result)
    axes[1, 1].axis("off")
    keys = ("total_return", "annualized_return", "sharpe_ratio", "max_drawdown", "num_trades")
    text = "\n".join(f"{k}: {result.metrics.get(k, math.nan):.4f}" for k in keys)
    axes[1, 1].text(0.05, 0.95, text, va="top", family="monospace")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return buffer.getvalue()


def _img(fig: Figure, alt: str) -> str:
    data = base64.b64encode(_png(fig)).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"/>'


def _single(draw: str, result: BacktestResult, title: str) -> Figure:
    fig, ax = plt.subplots(figsize=(11, 3.5 if draw != "equity" else 5))
    if draw == "equity":
        _equity_panel(ax, result, title)
    elif draw == "drawdown":
        _drawdown_panel(ax, result)
    else:
        _sharpe_panel(ax, result)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def _fmt(value: float) -> str:
    return (
        "nan"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:.4f}"
    )


def _monthly_table(table: pd.DataFrame) -> str:
    head = "".join(f"<th>{m}</th>" for m in table.columns)
    rows = []
    for year, row in table.iterrows():
        cells = []
        for value in row:
            if pd.isna(value):
                cells.append("<td></td>")
                continue
            color = "#d4f4d4" if value >= 0 else "#f8d4d4"
            cells.append(f'<td style="background:{color}">{value * 100:.1f}%</td>')
        rows.append(f"<tr><th>{year}</th>{''.join(cells)}</tr>")
    return f"<table><tr><th>year</th>{head}</tr>{''.join(rows)}</table>"


def render_html(result: BacktestResult, title: str = "backtest") -> str:
    """The whole report as one HTML string."""
    metrics = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{_fmt(v)}</td></tr>" for k, v in result.metrics.items()
    )
    regimes = ""
    if result.regimes:
        keys = list(result.regimes[0].metrics)
        head = "".join(f"<th>{k}</th>" for k in keys)
        body = "".join(
            f"<tr><td>{html.escape(r.regime)}</td><td>{r.bars}</td>"
            + "".join(f"<td>{_fmt(r.metrics[k])}</td>" for k in keys)
            + "</tr>"
            for r in result.regimes
        )
        regimes = (
            f"<h2>Per-regime</h2><table><tr><th>regime</th><th>bars</th>{head}</tr>{body}</table>"
        )
    trades = result.trades.head(200).to_html(index=False, float_format=lambda x: f"{x:.6g}")
    warnings = "".join(f"<p class='warn'>{html.escape(w)}</p>" for w in result.warnings)
    start, end = pd.Timestamp(result.dates[0]), pd.Timestamp(result.dates[-1])
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ccc;padding:2px 6px}}.warn{{color:#a00}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{start.date()} to {end.date()}, {len(result.dates)} bars, {len(result.data.tics)} assets,
fill timing {result.config.fill_timing}, path {result.path}.</p>{warnings}
<h2>Metrics</h2><table>{metrics}</table>
<h2>Equity vs benchmark</h2>{_img(_single("equity", result, title), "equity")}
<h2>Drawdown</h2>{_img(_single("drawdown", result, title), "drawdown")}
<h2>Rolling Sharpe</h2>{_img(_single("sharpe", result, title), "rolling sharpe")}
<h2>Monthly returns</h2>{_monthly_table(monthly_returns(result))}
{regimes}
<h2>Trades (first 200 of {len(result.trades)})</h2>{trades}
</body></html>
"""


def write_report(result: BacktestResult, directory: str | Path, title: str = "backtest") -> dict:
    """Write ``report.html`` and ``summary.png`` into ``directory``; returns name -> path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    html_path = directory / "report.html"
    html_path.write_text(render_html(result, title), encoding="utf-8")
    png_path = directory / "summary.png"
    png_path.write_bytes(_png(summary_figure(result, title)))
    _LOGGER.info("backtest.report written dir=%s", directory)
    return {"report.html": html_path, "summary.png": png_path}
