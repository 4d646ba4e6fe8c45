"""Protobuf well-known types ↔ plain Python for every servicer: ``Struct`` ↔ JSON keeping
integers integers, and ``datetime`` → ``Timestamp``.

Struct stores every number as a double, so ``{"window": 10}`` comes back as ``10.0``: typed
configs would then report "must be >= 1, was 0.0" and clients would read floats they never sent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2


def integral_numbers(value: Any) -> Any:
    """``value`` with every integral float (``3.0``) turned into an int, recursively."""
    if isinstance(value, dict):
        return {key: integral_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integral_numbers(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def struct_to_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    """The Struct as a JSON-like dict, integral numbers as ints."""
    result: dict[str, Any] = integral_numbers(json_format.MessageToDict(struct))
    return result


def dict_to_struct(data: dict[str, Any]) -> struct_pb2.Struct:
    """A JSON-like dict as a Struct (the inverse of :func:`struct_to_dict`)."""
    out = struct_pb2.Struct()
    out.update(data)
    return out


def timestamp_of(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    """``value`` as a Timestamp (a naive datetime is UTC); None stays None (field left unset)."""
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value if value.tzinfo else value.replace(tzinfo=UTC))
    return stamp
