"""``trademaster datasets``: what data files are there to train and backtest on."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from trademaster.cli.datasets_export import export
from trademaster.cli.datasets_import import import_
from trademaster.cli.quality_view import print_report
from trademaster.data.catalog import Catalog, DatasetInfo

SHARED_DATA_ENV = "TM_SHARED_DATA"


@click.group()
def datasets() -> None:
    """Inspect data files, check their quality, import them into the platform."""


def _tasks_for(info: DatasetInfo) -> str:
    if info.kind == "ohlcv":
        return "algorithmic_trading" + (", portfolio_management" if info.assets > 1 else "")
    if info.kind in ("lob", "hft_lob"):
        return "order_execution, high_frequency_trading"
    return ""


@datasets.command("list")
@click.option(
    "--root",
    "roots",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help=f"Folder to scan (repeatable); default: ${SHARED_DATA_ENV}.",
)
def list_datasets(roots: tuple[Path, ...]) -> None:
    """Print every csv/parquet file under the roots with its kind, size, dates and tasks."""
    if not roots:
        shared = os.environ.get(SHARED_DATA_ENV)
        if not shared or not Path(shared).is_dir():
            raise click.UsageError(f"give --root DIR or set {SHARED_DATA_ENV} to a data folder")
        roots = (Path(shared),)
    infos = Catalog(roots).list()
    table = Table(title=f"{len(infos)} datasets under {', '.join(str(r) for r in roots)}")
    for column in ("id", "kind", "rows", "assets", "start", "end", "freq", "tasks"):
        table.add_column(column, justify="right" if column in ("rows", "assets") else "left")
    for info in infos:
        if info.error is not None:
            table.add_row(info.dataset_id, "-", "", "", "", "", "", f"unreadable: {info.error}")
            continue
        table.add_row(
            info.dataset_id,
            f"{info.kind}{' (synthetic)' if info.synthetic else ''}",
            str(info.rows),
            str(info.assets),
            "" if info.start is None else info.start.strftime("%Y-%m-%d %H:%M"),
            "" if info.end is None else info.end.strftime("%Y-%m-%d %H:%M"),
            info.frequency or "",
            _tasks_for(info),
        )
    Console(width=200).print(table)


@datasets.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
def check(path: Path, as_json: bool) -> None:
    """Quality report of a local CSV, CSV.gz or Parquet file (exit status 1 when blocked)."""
    from trademaster.data.quality import check_file

    report = check_file(path)
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    else:
        print_report(report, Console(width=200))
    if report.blocked:
        raise SystemExit(1)


datasets.add_command(import_, "import")
datasets.add_command(export, "export")
