"""Checks every request message against what its descriptor allows, before any servicer runs.

Protobuf accepts more than the platform can store or convert: NUL bytes in strings (PostgreSQL
text refuses them), enum numbers no enum names (proto3 enums are open), timestamps and
durations outside the range ``FromDatetime``/``ToTimedelta`` handle, NaN/Infinity in doubles,
and Structs nested deeper than JSON columns and the decoder take. Each used to surface as
INTERNAL from deep inside a servicer. One descriptor-driven walk turns them into
INVALID_ARGUMENT naming the field, for every RPC of every service at once.
"""

from __future__ import annotations

import math
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

MAX_STRUCT_DEPTH = 40
"""Struct/Value/ListValue levels a request may carry: 20 JSON levels (configs use 3); the
decoder itself gives up near 33, which arrives as an undecodable request."""
MAX_STRING_CHARS = 1_000_000
MAX_VIOLATIONS = 20
_TIMESTAMP_SECONDS = (-62_135_596_800, 253_402_300_799)  # 0001-01-01 .. 9999-12-31
_DURATION_SECONDS = 315_576_000_000  # 10,000 years, the protobuf limit
_STRUCT_TYPES = frozenset(
    {"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"}
)

_FLOATS = (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT)

Violations = list[tuple[str, str]]


def request_violations(message: Message) -> Violations:
    """(field path, rule) for every field of ``message`` that breaks the rules above."""
    violations: Violations = []
    _walk(message, "", 0, violations)
    return violations[:MAX_VIOLATIONS]


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _walk(message: Message, path: str, depth: int, out: Violations) -> None:
    if len(out) >= MAX_VIOLATIONS:
        return
    descriptor: Descriptor = message.DESCRIPTOR
    full_name = descriptor.full_name
    if full_name in _STRUCT_TYPES:
        if depth > MAX_STRUCT_DEPTH:
            out.append((path, f"nested deeper than {MAX_STRUCT_DEPTH} levels"))
            return
    elif full_name == "google.protobuf.Timestamp":
        _check_timestamp(message, path, out)
        return
    elif full_name == "google.protobuf.Duration":
        _check_duration(message, path, out)
        return
    for field, value in message.ListFields():
        name = _join(path, field.name)
        repeated = field.is_repeated
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            for key, item in value.items():
                _check_scalar(field.message_type.fields_by_name["key"], key, name, out)
                _check_item(value_field, item, f"{name}[{key!s:.40}]", depth, out)
            continue
        items = value if repeated else [value]
        for index, item in enumerate(items):
            _check_item(field, item, f"{name}[{index}]" if repeated else name, depth, out)


def _check_item(field: FieldDescriptor, item: Any, path: str, depth: int, out: Violations) -> None:
    if field.type in (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_GROUP):
        nested = depth + 1 if field.message_type.full_name in _STRUCT_TYPES else depth
        _walk(item, path, nested, out)
    else:
        _check_scalar(field, item, path, out)


def _check_scalar(field: FieldDescriptor, value: Any, path: str, out: Violations) -> None:
    if field.type == FieldDescriptor.TYPE_STRING:
        if "\x00" in value:
            out.append((path, "must not contain NUL characters"))
        elif len(value) > MAX_STRING_CHARS:
            out.append((path, f"must be at most {MAX_STRING_CHARS} characters"))
    elif field.type == FieldDescriptor.TYPE_ENUM:
        if field.enum_type.values_by_number.get(value) is None:
            names = ", ".join(v.name for v in field.enum_type.values)
            out.append((path, f"unknown enum value {value}; one of [{names}]"))
    elif field.type in _FLOATS and not math.isfinite(value):
        out.append((path, f"must be a finite number, was {value}"))


def _check_timestamp(message: Any, path: str, out: Violations) -> None:
    low, high = _TIMESTAMP_SECONDS
    if not low <= message.seconds <= high or not 0 <= message.nanos < 1_000_000_000:
        out.append((path or "timestamp", "must be between 0001-01-01 and 9999-12-31 UTC"))


def _check_duration(message: Any, path: str, out: Violations) -> None:
    if abs(message.seconds) > _DURATION_SECONDS or abs(message.nanos) >= 1_000_000_000:
        out.append((path or "duration", f"must be within +-{_DURATION_SECONDS} s"))
