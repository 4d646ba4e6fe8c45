"""Shared pieces of the ``trademaster risk`` commands: connection options, output (a rich
table, or the API's JSON with ``--json``) and API paths."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import click
from rich.console import Console
from rich.table import Table

from trademaster.cli.jobs import _token_option, _url_option

STATES = ("ACTIVE", "REDUCING", "HALTED")
ORDER_STATUSES = (
    "DENIED",
    "PENDING_NEW",
    "ACCEPTED",
    "PARTIALLY_FILLED",
    "FILLED",
    "PENDING_CANCEL",
    "CANCELLED",
    "REJECTED",
    "EXPIRED",
)
EXIT_DENIED = 3
"""Exit code of ``orders submit``/``orders check`` when the risk check denied the order."""

json_option = click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")


def connection(command: Callable[..., Any]) -> Callable[..., Any]:
    return _url_option(_token_option(json_option(command)))


def emit(data: Any, as_json: bool, render: Callable[[Any, Console], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        render(data, Console())


def table(columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(*columns)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    return table


def api_path(*parts: str) -> str:
    return "/api/v1/" + "/".join(quote(p, safe="") for p in parts)
