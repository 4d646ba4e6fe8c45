"""Edge checks of StrategyService requests: names, configs, etags and page sizes.

Each returns every violation as ``(field, description)`` so one reply names all bad fields.
"""

from __future__ import annotations

from typing import Any

from trademaster.api.strategy.v1 import strategy_pb2
from trademaster.config.strategy import (
    SUPPORTED_AGENTS_BY_TASK,
    parse_strategy_config,
    validate_strategy_config,
)
from trademaster.service.enums import task_name
from trademaster.service.errors import InvalidArgument

MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 2000
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
Violations = list[tuple[str, str]]


def parse_etag(etag: str) -> int | None:
    """``'"3"'`` → 3; empty → None (unconditional)."""
    if not etag:
        return None
    text = etag.strip('"')
    if not text.isdigit():
        raise InvalidArgument(
            f"etag must be a value returned by the server, was {etag!r}",
            [("etag", f"must be a value returned by the server, was {etag!r}")],
            reason="INVALID_ETAG",
        )
    return int(text)


def check_page_size(page_size: int) -> int:
    if page_size < 0:
        raise InvalidArgument(
            f"page_size must be >= 0, was {page_size}",
            [("page_size", f"must be >= 0, was {page_size}")],
        )
    return min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def task_and_agent_violations(task: int, agent: str) -> Violations:
    if task == strategy_pb2.TASK_UNSPECIFIED or task not in strategy_pb2.Task.values():
        return [("task", f"must be one of {sorted(SUPPORTED_AGENTS_BY_TASK)}, was {task}")]
    supported = SUPPORTED_AGENTS_BY_TASK.get(task_name(task), ())
    if agent not in supported:
        return [("agent", f"must be one of {list(supported)} for {task_name(task)}, was {agent!r}")]
    return []


def text_violations(name: str, description: str) -> Violations:
    out: Violations = []
    if not name.strip():
        out.append(("name", "must not be empty"))
    elif len(name) > MAX_NAME_LENGTH:
        out.append(("name", f"must be at most {MAX_NAME_LENGTH} characters, was {len(name)}"))
    if len(description) > MAX_DESCRIPTION_LENGTH:
        out.append(
            (
                "description",
                f"must be at most {MAX_DESCRIPTION_LENGTH} characters, was {len(description)}",
            )
        )
    return out


def check_config(task: int, agent: str, config: dict[str, Any]) -> tuple[Violations, dict]:
    """Violations (paths prefixed ``config.``) and, when there are none, the normalized config."""
    head = task_and_agent_violations(task, agent)
    if head:
        return head, {}
    name = task_name(task)
    violations = [
        (f"config.{v.field}" if v.field else "config", v.description)
        for v in validate_strategy_config(name, agent, config)
    ]
    if violations:
        return violations, {}
    return [], parse_strategy_config(name, agent, config).model_dump(mode="json")
