"""``google.protobuf.Struct`` ↔ plain JSON, keeping integers integers.

Struct stores every number as a double, so ``{"window": 10}`` comes back as ``10.0``: typed
configs would then report "must be >= 1, was 0.0" and clients would read floats they never sent.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2


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
