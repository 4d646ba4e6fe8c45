"""Hypothesis strategies built from protobuf descriptors: any request message of the API,
with the values that used to break servers (NUL, 10,000-char ids, NaN, huge ints, unknown
enum numbers, out-of-range timestamps, deep Structs) over-represented."""

from __future__ import annotations

import uuid
from typing import Any

from google.protobuf import message_factory, struct_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

_F = FieldDescriptor
_INT_RANGES = {
    _F.TYPE_INT32: (-(2**31), 2**31 - 1),
    _F.TYPE_SINT32: (-(2**31), 2**31 - 1),
    _F.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    _F.TYPE_INT64: (-(2**63), 2**63 - 1),
    _F.TYPE_SINT64: (-(2**63), 2**63 - 1),
    _F.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    _F.TYPE_UINT32: (0, 2**32 - 1),
    _F.TYPE_FIXED32: (0, 2**32 - 1),
    _F.TYPE_UINT64: (0, 2**64 - 1),
    _F.TYPE_FIXED64: (0, 2**64 - 1),
}
_NASTY_STRINGS = st.sampled_from(
    ["", "\x00", "a\x00b", "x" * 10_000, " ", "../../etc/passwd", "%2e%2e%2f", "@", "é✓"]
)
_ONLY_IN_STRUCTS = ("google.protobuf.Value", "google.protobuf.ListValue")
_TEXT = st.one_of(_NASTY_STRINGS, st.text(max_size=40), st.builds(lambda: str(uuid.uuid4())))


def _int(low: int, high: int) -> st.SearchStrategy[int]:
    edges = st.sampled_from([0, 1, -1, low, high, 99, 10**6])
    return st.one_of(edges.filter(lambda v: low <= v <= high), st.integers(low, high))


def _json(depth: int) -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(), st.booleans(), st.floats(allow_nan=True), _TEXT, st.integers(-(10**18), 10**18)
    )
    if depth <= 0:
        return leaves
    return st.one_of(
        leaves,
        st.lists(_json(depth - 1), max_size=3),
        st.dictionaries(st.text(max_size=8), _json(depth - 1), max_size=3),
    )


def _struct() -> st.SearchStrategy[struct_pb2.Struct]:
    def build(data: dict[str, Any]) -> struct_pb2.Struct:
        out = struct_pb2.Struct()
        out.update(data)
        return out

    deep = st.integers(1, 60).map(lambda n: _nested(n))
    flat = st.dictionaries(st.text(max_size=10), _json(2), max_size=4)
    return st.one_of(flat, deep).map(build)


def _nested(levels: int) -> dict[str, Any]:
    data: dict[str, Any] = {"leaf": 1}
    for _ in range(levels):
        data = {"k": data}
    return data


def _scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind == _F.TYPE_STRING:
        return _TEXT
    if kind == _F.TYPE_BYTES:
        return st.binary(max_size=32)
    if kind == _F.TYPE_BOOL:
        return st.booleans()
    if kind in (_F.TYPE_DOUBLE, _F.TYPE_FLOAT):
        return st.floats(
            allow_nan=True, allow_infinity=True, width=64 if kind == _F.TYPE_DOUBLE else 32
        )
    if kind == _F.TYPE_ENUM:
        return st.one_of(st.sampled_from([v.number for v in field.enum_type.values]), _int(-3, 500))
    low, high = _INT_RANGES[kind]
    return _int(low, high)


def message_strategy(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
    """Messages of ``descriptor``'s type with any subset of fields set."""
    cls = message_factory.GetMessageClass(descriptor)
    if descriptor.full_name == "google.protobuf.Struct":
        return _struct()
    if descriptor.full_name == "google.protobuf.Timestamp":
        return st.builds(
            lambda s, n: cls(seconds=s, nanos=n), _int(-(2**62), 2**62), _int(-(2**31), 2**31 - 1)
        )
    if descriptor.full_name == "google.protobuf.Duration":
        return st.builds(lambda s: cls(seconds=s), _int(-(2**62), 2**62))
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            continue
        if field.message_type is not None:
            if depth >= 3 or field.message_type.full_name in (
                "google.protobuf.Value",
                "google.protobuf.ListValue",
            ):
                continue
            value = message_strategy(field.message_type, depth + 1)
        else:
            value = _scalar(field)
        fields[field.name] = st.lists(value, max_size=3) if field.is_repeated else value
    return st.fixed_dictionaries({}, optional=fields).map(
        lambda values: _build(cls, descriptor, values)
    )


def _build(cls: Any, descriptor: Descriptor, values: dict[str, Any]) -> Message:
    message = cls()
    for name, value in values.items():
        field = descriptor.fields_by_name[name]
        target = getattr(message, name) if field.is_repeated or field.message_type else None
        if field.is_repeated:
            if field.message_type is not None:
                for item in value:
                    target.add().CopyFrom(item)
            else:
                target.extend(value)
        elif field.message_type is not None:
            target.CopyFrom(value)
        else:
            setattr(message, name, value)
    return message
