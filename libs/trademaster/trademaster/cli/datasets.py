"""``trademaster datasets``: what data files are there to train and backtest on."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any, cast

import click
from rich.console import Console
from rich.table import Table

from trademaster.data.catalog import Catalog, DatasetInfo

SHARED_DATA_ENV = "TM_SHARED_DATA"


@click.group()
def datasets() -> None:
    """Inspect the data files available for training."""


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


def _print_report(report: Any, console: Console) -> None:
    status = report["status"] if isinstance(report, dict) else report.status
    findings = (
        report["findings"]
        if isinstance(report, dict)
        else [f.model_dump(mode="json") for f in report.findings]
    )
    colour = {"blocked": "red", "warnings": "yellow", "clean": "green"}.get(status, "white")
    console.print(f"quality: [{colour}]{status}[/{colour}]")
    table = Table()
    for column in ("severity", "code", "instrument", "column", "count", "rows", "message"):
        table.add_column(column)
    for f in findings:
        rows = ", ".join(str(r) for r in f.get("rows", [])[:8])
        table.add_row(
            f["severity"],
            f["code"],
            f.get("instrument") or "",
            f.get("column") or "",
            str(f["count"]),
            rows,
            f["message"],
        )
    if findings:
        console.print(table)


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
        _print_report(report, Console(width=200))
    if report.blocked:
        raise SystemExit(1)


@datasets.command("export")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def export(path: Path, out: Path) -> None:
    """Write a local bar or order-book file as Parquet (canonical columns for bars)."""
    from trademaster.data.catalog import describe, load_dataset

    info = describe(path)
    if info.kind is None:
        raise click.ClickException(f"{path} cannot be read: {info.error}")
    if out.suffix.lower() not in (".parquet", ".pq"):
        raise click.UsageError(f"OUT must end in .parquet, was {out.name!r}")
    frame = load_dataset(path, info.kind)
    frame.to_parquet(out, index=False)
    click.echo(f"wrote {len(frame)} rows ({info.kind}) to {out}")


class _Progressed:
    """A binary file whose reads advance a progress bar (httpx streams it in chunks)."""

    def __init__(self, path: Path, advance: Any) -> None:
        self._handle = path.open("rb")
        self._advance = advance

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._advance(len(data))
        return data

    def fileno(self) -> int:  # lets httpx send a Content-Length
        return self._handle.fileno()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def close(self) -> None:
        self._handle.close()


@datasets.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", default="", help="Display name (default: the file name).")
@click.option("--request-id", default="", help="Idempotency key: a retry returns the first.")
@click.option("--url", help="Gateway URL (env TM_URL; default http://127.0.0.1:8080).")
@click.option("--token", help="Bearer token (env TM_TOKEN; default: saved by 'login').")
def import_(path: Path, name: str, request_id: str, url: str | None, token: str | None) -> None:
    """Upload a CSV, CSV.gz or Parquet file to the platform and print its quality report."""
    import httpx
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from trademaster.cli.jobs import _gateway

    gateway = _gateway(url, token)
    headers = {"Authorization": f"Bearer {gateway.token}"}
    if request_id:
        headers["Idempotency-Key"] = request_id
    console = Console(width=200)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(f"uploading {path.name}", total=path.stat().st_size)
        body = _Progressed(path, lambda n: progress.advance(task, n))
        try:
            reply = httpx.post(
                f"{gateway.url}/api/v1/datasets",
                headers=headers,
                params={"name": name} if name else None,
                files={"file": (path.name, cast(IO[bytes], body), "application/octet-stream")},
                timeout=httpx.Timeout(30.0, read=None, write=None),
            )
        except httpx.HTTPError as error:
            raise click.ClickException(
                f"cannot reach the gateway at {gateway.url}: {error}"
            ) from error
        finally:
            body.close()
    if not reply.is_success:
        try:
            err = reply.json()["error"]
            message = f"{err['message']} ({err['reason']}, HTTP {reply.status_code})"
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {reply.status_code}: {reply.text[:200]}"
        raise click.ClickException(message)
    dataset = reply.json()
    console.print(
        f"dataset [bold]{dataset['id']}[/bold]: {dataset['rows']} rows, "
        f"{len(dataset['assets'])} instrument(s)"
    )
    report = gateway.request("GET", dataset["quality"]["report_path"])
    _print_report(report, console)
