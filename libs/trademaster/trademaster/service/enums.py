"""Proto enum values ↔ the names the library and the HTTP API use, for every service.

Task names are the library's (``order_execution``); other enums drop their prefix
(``TRADING_STATE_HALTED`` → ``HALTED``).
"""

from __future__ import annotations

from typing import Any

from trademaster.api.strategy.v1 import strategy_pb2


def task_name(task: int) -> str:
    """``TASK_ORDER_EXECUTION`` → ``order_execution``."""
    return strategy_pb2.Task.Name(task).removeprefix("TASK_").lower()  # type: ignore[arg-type]


def task_enum(name: str) -> strategy_pb2.Task:
    """``order_execution`` → ``TASK_ORDER_EXECUTION``; ValueError for an unknown task."""
    return strategy_pb2.Task.Value(f"TASK_{name.upper()}")


def enum_name(enum: Any, value: int, prefix: str) -> str:
    """An enum value's name without its prefix; empty for the UNSPECIFIED value."""
    return "" if value == 0 else str(enum.Name(value)).removeprefix(prefix)


def enum_value(enum: Any, name: str, prefix: str) -> Any:
    """The number of ``prefix + name`` (typed Any: the stubs want each enum's own type)."""
    return enum.Value(prefix + name)
