"""Conversions every HTTP router shares: proto timestamps, Structs and enums to and from the
JSON bodies, and the caller shape routes need. One place, so routers never copy them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from trademaster.api.strategy.v1 import strategy_pb2
from trademaster.service import enums
from trademaster.service.enums import enum_name, enum_value, task_name


class CallerLike(Protocol):
    """What routes need of the app's authenticated caller: the token to forward."""

    @property
    def token(self) -> str: ...


CallerDependency = Callable[..., Awaitable[CallerLike]]
"""The app's auth dependency (``Depends(caller)`` answers the authenticated caller)."""


def time_of(message: Any, field: str) -> datetime | None:
    """The UTC time of a Timestamp field; None when the field is unset."""
    return getattr(message, field).ToDatetime(tzinfo=UTC) if message.HasField(field) else None


def task_enum(task: str | None) -> strategy_pb2.Task:
    """The Task of an HTTP task name (``order_execution``); UNSPECIFIED for None."""
    if not task:
        return strategy_pb2.TASK_UNSPECIFIED
    return enums.task_enum(task)


__all__ = [
    "CallerDependency",
    "CallerLike",
    "enum_name",
    "enum_value",
    "task_enum",
    "task_name",
    "time_of",
]
