"""Conversions every HTTP router shares: proto timestamps, Structs and enums to and from the
JSON bodies, and the caller shape routes need. One place, so routers never copy them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from trademaster.api.strategy.v1 import strategy_pb2


class CallerLike(Protocol):
    """What routes need of the app's authenticated caller: the token to forward."""

    @property
    def token(self) -> str: ...


CallerDependency = Callable[..., Awaitable[CallerLike]]
"""The app's auth dependency (``Depends(caller)`` answers the authenticated caller)."""


def time_of(message: Any, field: str) -> datetime | None:
    """The UTC time of a Timestamp field; None when the field is unset."""
    return getattr(message, field).ToDatetime(tzinfo=UTC) if message.HasField(field) else None


def enum_name(enum: Any, value: int, prefix: str) -> str:
    """An enum value's name without its prefix; empty for the UNSPECIFIED value."""
    return "" if value == 0 else str(enum.Name(value)).removeprefix(prefix)


def enum_value(enum: Any, name: str, prefix: str) -> Any:
    """The number of ``prefix + name`` (typed Any: the stubs want each enum's own type)."""
    return enum.Value(prefix + name)


def task_enum(task: str | None) -> strategy_pb2.Task:
    """The Task of an HTTP task name (``order_execution``); UNSPECIFIED for None."""
    if not task:
        return strategy_pb2.TASK_UNSPECIFIED
    return strategy_pb2.Task.Value(f"TASK_{task.upper()}")


def task_name(task: int) -> str:
    """The HTTP task name of a Task (``TASK_ORDER_EXECUTION`` → ``order_execution``)."""
    return strategy_pb2.Task.Name(task).removeprefix("TASK_").lower()
