"""``trademaster datasets import``: stream a local file to StrategyService.UploadDataset.

The file goes in chunks over the client-streaming RPC (never read whole), with a progress bar;
then the platform's quality report of the new dataset is printed. Addresses and token as for
``trademaster jobs`` (``--target``, ``TM_CLIENT_<SERVICE>_ADDR``, ``--token``/``TM_TOKEN``/login).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import grpc
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from trademaster_client.errors import from_rpc_error

from trademaster.api.strategy.v1 import strategy_pb2, strategy_pb2_grpc
from trademaster.cli.jobs import _client, _target_option, _token_option
from trademaster.cli.quality_view import print_report

CHUNK_BYTES = 1 << 20
"""Per message: well under gRPC's 4 MiB default, large enough that framing costs nothing."""
UPLOAD_METHOD = "/trademaster.api.strategy.v1.StrategyService/UploadDataset"


def upload_requests(
    path: Path, name: str, request_id: str, advance: Callable[[int], None]
) -> Iterator[strategy_pb2.UploadDatasetRequest]:
    """The metadata message, then the file's bytes chunk by chunk (read lazily)."""
    metadata = strategy_pb2.UploadDatasetMetadata(
        name=name or path.name, filename=path.name, request_id=request_id
    )
    yield strategy_pb2.UploadDatasetRequest(metadata=metadata)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK_BYTES), b""):
            advance(len(block))
            yield strategy_pb2.UploadDatasetRequest(chunk=block)


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", default="", help="Display name (default: the file name).")
@click.option("--request-id", default="", help="Idempotency key: a retry returns the first.")
@_target_option
@_token_option
def import_(path: Path, name: str, request_id: str, target: str | None, token: str | None) -> None:
    """Upload a CSV, CSV.gz or Parquet file to the platform and print its quality report."""
    console = Console(width=200)
    with _client(target, token) as tm:
        stub = strategy_pb2_grpc.StrategyServiceStub(tm.channel("strategy"))
        auth = [("authorization", f"Bearer {tm.tokens.token()}")]
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task(f"uploading {path.name}", total=path.stat().st_size)
            requests = upload_requests(path, name, request_id, lambda n: progress.advance(task, n))
            try:  # no deadline: a large file on a slow link may take long; errors end it
                dataset = stub.UploadDataset(requests, metadata=auth).dataset
            except grpc.RpcError as error:
                raise from_rpc_error(error, UPLOAD_METHOD) from None
        quality = tm.strategy.GetDatasetQuality(
            strategy_pb2.GetDatasetQualityRequest(dataset_id=dataset.dataset_id)
        )
    console.print(
        f"dataset [bold]{dataset.dataset_id}[/bold]: {dataset.rows} rows, "
        f"{len(dataset.assets)} instrument(s)"
    )
    print_report(json.loads(quality.report_json) | {"status": quality.quality.status}, console)
