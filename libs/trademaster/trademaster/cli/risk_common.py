"""Shared pieces of the ``trademaster risk`` commands: connection options (as for ``trademaster
jobs``: ``--target``/``--token``), the JSON view of RiskService messages, output (a rich table, or
that JSON with ``--json``) and enum names.

The JSON view is the RPC's response with proto field names, enum values without their prefix
(``PENDING_NEW``, ``DENY``, ``HALTED``), times as ISO 8601 UTC, durations in seconds, decimals as
the API's strings and unset messages as null.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC
from typing import Any

import click
from google.protobuf.descriptor import EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message
from rich.console import Console
from rich.table import Table
from trademaster_client import Client

from trademaster.cli.jobs import _client, _target_option, _token_option

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
PAGE = 500
"""Largest page the risk service serves."""

json_option = click.option("--json", "as_json", is_flag=True, help="Print the response as JSON.")


def connection(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--target``, ``--token`` and ``--json``."""
    return _target_option(_token_option(json_option(command)))


def client(target: str | None, token: str | None) -> AbstractContextManager[Client]:
    """The CLI's client (addresses and token as for ``trademaster jobs``); API errors become
    ``ClickException`` (exit 1) naming the status code and reason."""
    return _client(target, token)


def emit(data: Any, as_json: bool, render: Callable[[Any, Console], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        render(data, Console())


def table(columns: list[str], rows: list[list[Any]]) -> Table:
    out = Table(*columns)
    for row in rows:
        out.add_row(*("" if cell is None else str(cell) for cell in row))
    return out


def _prefix(enum: EnumDescriptor) -> str:
    """``OrderStatus`` → ``ORDER_STATUS_`` (the style guide's value prefix)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper() + "_"


def enum_name(enum: EnumDescriptor, number: int) -> str:
    value = enum.values_by_number.get(number)
    return value.name.removeprefix(_prefix(enum)) if value is not None else str(number)


def enum_value(enum: EnumDescriptor, name: str) -> str:
    """The full value name of short ``name`` (``"halted"`` → ``"TRADING_STATE_HALTED"``), as
    message constructors take it; KeyError for a name the enum lacks."""
    full = _prefix(enum) + name.upper()
    return enum.values_by_name[full].name


def _value(field: FieldDescriptor, value: Any) -> Any:
    if field.enum_type is not None:
        return enum_name(field.enum_type, value)
    if field.message_type is None:
        return value
    kind = field.message_type.full_name
    if kind == "google.protobuf.Timestamp":
        return value.ToDatetime(tzinfo=UTC).isoformat().replace("+00:00", "Z")
    if kind == "google.protobuf.Duration":
        return value.ToNanoseconds() / 1e9
    return view(value)


def view(message: Message) -> dict[str, Any]:
    """The JSON view of ``message`` (see the module docstring)."""
    out: dict[str, Any] = {}
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        entry = field.message_type
        if entry is not None and entry.GetOptions().map_entry:
            inner = entry.fields_by_name["value"]
            out[field.name] = {key: _value(inner, item) for key, item in value.items()}
        elif field.is_repeated:
            out[field.name] = [_value(field, item) for item in value]
        elif entry is not None and not message.HasField(field.name):
            out[field.name] = None
        else:
            out[field.name] = _value(field, value)
    return out


def collect(tm: Client, method: Any, request: Message, limit: int) -> Iterator[Any]:
    """Up to ``limit`` items of a list RPC, fetching pages as needed."""
    for count, item in enumerate(tm.paginate(method, request, page_size=min(limit, PAGE))):
        if count == limit:
            return
        yield item
