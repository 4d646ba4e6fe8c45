"""``trademaster datasets export``: a dataset as Parquet or CSV, from the platform or a local file.

``SOURCE`` that names an existing local file is converted here; anything else is a dataset id
streamed from StrategyService.ExportDataset (platform datasets and the caller's own). The
download goes to ``OUT.part`` and is renamed only when it arrived whole, so an interrupted
export never leaves a truncated file under the requested name.
"""

from __future__ import annotations

from pathlib import Path

import click
import grpc
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from trademaster_client.errors import from_rpc_error

from trademaster.api.strategy.v1 import strategy_pb2, strategy_pb2_grpc
from trademaster.cli.jobs import _client, _target_option, _token_option

EXPORT_METHOD = "/trademaster.api.strategy.v1.StrategyService/ExportDataset"
_SUFFIX_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def _format_of(out: Path, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    found = _SUFFIX_FORMATS.get(out.suffix.lower())
    if found is None:
        raise click.UsageError(
            f"OUT must end in .parquet or .csv (or pass --format), was {out.name!r}"
        )
    return found


def _local(path: Path, out: Path, fmt: str) -> None:
    from trademaster.data.export import export_dataset
    from trademaster.data.loaders import DatasetError

    try:
        written = export_dataset(path, out, fmt)
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {written.rows} rows ({written.kind}) to {out}")


def _remote(dataset_id: str, out: Path, fmt: str, target: str | None, token: str | None) -> None:
    part = out.with_name(out.name + ".part")
    console = Console(width=200, stderr=True)
    with _client(target, token) as tm:
        stub = strategy_pb2_grpc.StrategyServiceStub(tm.channel("strategy"))
        auth = [("authorization", f"Bearer {tm.tokens.token()}")]
        request = strategy_pb2.ExportDatasetRequest(dataset_id=dataset_id, format=fmt)
        size = 0
        try:
            with (
                part.open("wb") as handle,
                Progress(
                    BarColumn(), DownloadColumn(), TransferSpeedColumn(), console=console
                ) as bar,
            ):
                task = bar.add_task("export", total=None)
                for message in stub.ExportDataset(request, metadata=auth):
                    if message.size_bytes:
                        bar.update(task, total=message.size_bytes)
                    handle.write(message.data)
                    size += len(message.data)
                    bar.advance(task, len(message.data))
        except grpc.RpcError as error:
            part.unlink(missing_ok=True)
            raise from_rpc_error(error, EXPORT_METHOD) from None
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    part.replace(out)
    click.echo(f"wrote {size} bytes ({fmt}) of {dataset_id} to {out}")


@click.command("export")
@click.argument("source")
@click.argument("out_arg", metavar="[OUT]", required=False, type=click.Path(path_type=Path))
@click.option(
    "--out", "out_opt", type=click.Path(dir_okay=False, path_type=Path), help="File to write."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "csv"]),
    default=None,
    help="Output format (default: from OUT's suffix).",
)
@_target_option
@_token_option
def export(
    source: str,
    out_arg: Path | None,
    out_opt: Path | None,
    fmt: str | None,
    target: str | None,
    token: str | None,
) -> None:
    """Write a dataset as Parquet or CSV in canonical columns: SOURCE is a local file or the id
    of a platform dataset or one of yours (``trademaster datasets export ID --out x.parquet``)."""
    out = out_opt or out_arg
    if out is None:
        raise click.UsageError("pass the file to write: --out FILE")
    chosen = _format_of(out, fmt)
    local = Path(source)
    if local.is_file():
        _local(local, out, chosen)
    else:
        _remote(source, out, chosen, target, token)
