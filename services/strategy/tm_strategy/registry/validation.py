"""Edge checks of registry requests: each returns the parsed value or raises INVALID_ARGUMENT
naming the field and what was expected."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from google.protobuf import timestamp_pb2
from trademaster.service.errors import InvalidArgument

MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
ALIAS = re.compile(r"[a-z][a-z0-9_-]{0,63}")
TAG_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}")
ACCOUNT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
MAX_DESCRIPTION = 2000
MAX_REQUEST_ID = 128
MAX_TAG_VALUE = 256
MAX_TAGS = 50
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50
MAX_COMPARED = 10


def bad(
    field: str, expected: str, value: object, reason: str = "INVALID_ARGUMENT"
) -> InvalidArgument:
    text = f"must be {expected}, was {value!r}"
    return InvalidArgument(f"{field} {text}", [(field, text)], reason=reason)


def matching(pattern: re.Pattern[str], value: str, field: str, expected: str) -> str:
    if not pattern.fullmatch(value):
        raise bad(field, expected, value)
    return value


def model_name(value: str) -> str:
    return matching(
        MODEL_NAME, value, "name", 'letters, digits, ".", "_", "-" (1-100, no leading symbol)'
    )


def alias(value: str, field: str = "alias") -> str:
    return matching(
        ALIAS, value, field, 'lower-case letters, digits, "_", "-" (1-64, a letter first)'
    )


def account_id(value: str) -> str:
    return matching(ACCOUNT_ID, value, "account_id", "an account identifier (1-128 characters)")


def text(value: str, field: str, limit: int) -> str:
    if len(value) > limit:
        raise bad(field, f"at most {limit} characters", f"{len(value)} characters")
    return value


def version(value: int, field: str = "version") -> int:
    if value < 1:
        raise bad(field, ">= 1", value)
    return value


def page_size(value: int) -> int:
    if not 0 <= value <= MAX_PAGE_SIZE:
        raise bad("page_size", f"in [0, {MAX_PAGE_SIZE}]", value)
    return value or DEFAULT_PAGE_SIZE


def tags(set_tags: Mapping[str, str], remove_keys: Sequence[str] = ()) -> dict[str, str]:
    if len(set_tags) > MAX_TAGS:
        raise bad("tags", f"at most {MAX_TAGS} tags", len(set_tags))
    for key, value in set_tags.items():
        matching(TAG_KEY, key, f"tags[{key}]", 'a key of letters, digits, ".", "_", ":", "/", "-"')
        text(value, f"tags[{key}]", MAX_TAG_VALUE)
    for key in remove_keys:
        matching(TAG_KEY, key, "remove_tag_keys", "tag keys")
    return dict(set_tags)


def compared_versions(values: Sequence[int]) -> list[int]:
    numbers = list(values)
    if not 2 <= len(numbers) <= MAX_COMPARED or len(set(numbers)) != len(numbers):
        raise bad("versions", f"2 to {MAX_COMPARED} distinct version numbers", numbers)
    return [version(n, "versions") for n in numbers]


def as_of(stamp: timestamp_pb2.Timestamp, present: bool) -> datetime | None:
    """The requested point in time (UTC), None for now."""
    return stamp.ToDatetime(tzinfo=UTC) if present else None
