"""``trademaster backtest``: run a backtest locally with a progress bar and print its metrics."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from trademaster.backtest.config import BacktestConfig, SlippageConfig
from trademaster.backtest.data import MarketData
from trademaster.backtest.event import run_target_weights
from trademaster.backtest.report import write_report
from trademaster.backtest.signals import sma_crossover_targets
from trademaster.backtest.sources import BASELINES, baseline_plan, run_dir_plan
from trademaster.data.loaders import DatasetError, load_ohlcv
from trademaster.metrics.returns import infer_market

_LOGGER = logging.getLogger(__name__)

TABLE_KEYS = (
    "total_return",
    "annualized_return",
    "annualized_volatility",
    "sharpe_ratio",
    "max_drawdown",
    "benchmark_total_return",
    "excess_return",
    "alpha",
    "beta",
    "num_trades",
    "total_fees",
)


@click.command()
@click.option("--data", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--baseline", type=click.Choice(BASELINES), help="Baseline policy.")
@click.option("--sma", help="FAST,SLOW long/flat SMA crossover on the first asset (full equity).")
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path), help="Trained run.")
@click.option("--start", default=None, help="Inclusive start date.")
@click.option("--end", default=None, help="Inclusive end date.")
@click.option("--cash", default=1_000_000.0, show_default=True, type=click.FloatRange(min=1e-9))
@click.option("--fee-rate", default=0.001, show_default=True, type=click.FloatRange(0, 0.5))
@click.option("--slippage-bps", default=0.0, show_default=True, type=click.FloatRange(min=0))
@click.option(
    "--fill",
    default="next_open",
    show_default=True,
    type=click.Choice(["next_open", "next_close", "same_close"]),
)
@click.option("--benchmark", default="buy_and_hold", show_default=True)
@click.option(
    "--market",
    "market_name",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "equity", "crypto", "fx"]),
    help="Calendar for annualizing metrics; auto: crypto when bars fall on weekends.",
)
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="Write report.html/summary.png."
)
def backtest(
    data: Path,
    baseline: str | None,
    sma: str | None,
    run_dir: Path | None,
    start: str | None,
    end: str | None,
    cash: float,
    fee_rate: float,
    slippage_bps: float,
    fill: str,
    benchmark: str,
    market_name: str,
    out: Path | None,
) -> None:
    """Backtest a baseline, an SMA crossover or a trained run on an OHLCV file."""
    if sum(x is not None for x in (baseline, sma, run_dir)) != 1:
        raise click.UsageError("pass exactly one of --baseline, --sma, --run-dir")
    try:
        frame = load_ohlcv(data, start=start, end=end)
        market = MarketData.from_frame(frame)
    except (DatasetError, ValueError) as exc:
        raise click.UsageError(f"cannot use --data {data} for {start}..{end}: {exc}") from exc
    slippage = (
        SlippageConfig(kind="fixed_bps", bps=slippage_bps) if slippage_bps else SlippageConfig()
    )
    config = BacktestConfig(
        initial_cash=cash,
        fee_rate=fee_rate,
        slippage=slippage,
        fill_timing=fill,
        market=infer_market(market.dates) if market_name == "auto" else market_name,
    )
    rebalance = False
    if baseline is not None:
        plan = baseline_plan(baseline, market)
        weights, rebalance = plan.weights, plan.rebalance_every_bar
    elif sma is not None:
        try:
            fast, slow = (int(x) for x in sma.split(","))
            signal = sma_crossover_targets(market.close[:, 0], fast=fast, slow=slow)
        except ValueError as exc:
            raise click.UsageError(f"--sma must be FAST,SLOW with 1 <= FAST < SLOW: {exc}") from exc
        weights = signal[:, None].repeat(market.num_assets, 1) * 0.0
        weights[:, 0] = signal
    else:
        assert run_dir is not None
        try:
            weights = run_dir_plan(run_dir, market, frame).weights
        except FileNotFoundError as exc:
            raise click.UsageError(str(exc)) from exc
    console = Console()
    with Progress(
        TextColumn("[bold]backtest"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} bars"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("backtest", total=market.num_bars)

        def report(done: int, total: int) -> bool:
            progress.update(task, completed=done)
            return True

        try:
            result = run_target_weights(
                market,
                weights,
                config,
                rebalance_every_bar=rebalance,
                benchmark=benchmark,
                progress=report,
            )
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
    table = Table(title=f"{data.name} {market.dates[0]!s:.10}..{market.dates[-1]!s:.10}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in TABLE_KEYS:
        value = result.metrics.get(key, math.nan)
        table.add_row(key, "nan" if math.isnan(value) else f"{value:.4f}")
    console.print(table)
    for note in result.warnings:
        console.print(f"[red]warning:[/red] {note}")
    if out is not None:
        files = write_report(result, out, title=f"backtest {data.name}")
        console.print(f"report: {files['report.html']}")
