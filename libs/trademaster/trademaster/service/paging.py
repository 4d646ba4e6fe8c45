"""Opaque AIP page tokens, one format for every service.

A token is the keyset of the last row of a page (e.g. ``created_at, id``) as a JSON list in
URL-safe base64. Decoding parses each part with the caller's parsers, so a forged or stale
token is an INVALID_ARGUMENT naming the field, never a database error.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from trademaster.service.errors import InvalidArgument


class PageTokenError(InvalidArgument):
    """A page token this service did not issue."""

    def __init__(self, token: str, field: str = "page_token") -> None:
        super().__init__(
            f"{field} {token!r} was not issued by this server",
            [(field, "must be a token returned by the previous page")],
            reason="INVALID_PAGE_TOKEN",
        )


def encode_page_token(*parts: object) -> str:
    """The token for a keyset; parts are stored as strings."""
    raw = json.dumps([str(part) for part in parts]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(
    token: str, *parsers: Callable[[str], Any], field: str = "page_token"
) -> tuple[Any, ...]:
    """Inverse of :func:`encode_page_token`: one parsed value per parser.

    Raises:
        PageTokenError: not a token of this shape (bad encoding, arity or part).
    """
    try:
        parts = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(parts, list) or len(parts) != len(parsers):
            raise ValueError(f"expected {len(parsers)} parts")
        return tuple(parse(str(part)) for parse, part in zip(parsers, parts, strict=True))
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as error:
        raise PageTokenError(token, field) from error
