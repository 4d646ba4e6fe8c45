"""Upper bounds on every size, count and duration of a strategy config.

Each integer of a config is work the platform does (steps to train, transitions to hold,
neurons to allocate): without a maximum, ``total_steps`` 10^15 ran for ever and
``buffer_size`` 10^12 was stored as valid. Rather than repeat a ``le=`` on each of the agents'
many fields, the bounds live here, are checked after pydantic's own validation, and are written
into the JSON schema as ``maximum``/``maxItems`` so UI forms show them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

DEFAULT_INT_MAX = 1_000_000_000
"""Any integer without a named bound (intervals, counts): at most a billion."""
INT_MAX: dict[str, int] = {
    "total_steps": 100_000_000,
    "buffer_size": 10_000_000,
    "learning_starts": 100_000_000,
    "batch_size": 65_536,
    "num_steps": 100_000,
    "num_envs": 256,
    "num_minibatches": 4_096,
    "update_epochs": 1_000,
    "gradient_steps": 10_000,
    "eval_episodes": 1_000,
    "seed": 2**31 - 1,
    "window": 10_000,
}
"""Bounds by field name, wherever the field sits in the config."""
HIDDEN_UNITS_MAX = 4_096
HIDDEN_LAYERS_MAX = 8

Violation = tuple[str, str]


def _bound(name: str) -> int:
    return INT_MAX.get(name, DEFAULT_INT_MAX)


def limit_violations(model: BaseModel, prefix: str = "") -> list[Violation]:
    """(dotted field, rule) for each integer of a validated config above its maximum."""
    out: list[Violation] = []
    for name, value in model:
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(value, BaseModel):
            out += limit_violations(value, path)
        elif isinstance(value, int) and not isinstance(value, bool):
            if value > _bound(name):
                out.append((path, f"must be <= {_bound(name)}, was {value}"))
        elif isinstance(value, tuple | list) and name == "hidden_sizes":
            if len(value) > HIDDEN_LAYERS_MAX:
                out.append(
                    (path, f"must have at most {HIDDEN_LAYERS_MAX} layers, was {len(value)}")
                )
            for index, units in enumerate(value):
                if isinstance(units, int) and units > HIDDEN_UNITS_MAX:
                    out.append((f"{path}[{index}]", f"must be <= {HIDDEN_UNITS_MAX}, was {units}"))
    return out


def add_schema_limits(schema: dict[str, Any]) -> dict[str, Any]:
    """Write the bounds into a JSON schema (in place; returned for chaining)."""
    _visit(schema, "")
    return schema


def _visit(node: Any, name: str) -> None:
    if isinstance(node, list):
        for item in node:
            _visit(item, name)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "integer":
        limit = HIDDEN_UNITS_MAX if name == "hidden_sizes" else _bound(name)
        node["maximum"] = min(node.get("maximum", limit), limit)
    if node.get("type") == "array" and name == "hidden_sizes":
        node["maxItems"] = min(node.get("maxItems", HIDDEN_LAYERS_MAX), HIDDEN_LAYERS_MAX)
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            for child, sub in value.items():
                _visit(sub, child)
        elif key in ("items", "prefixItems", "anyOf", "oneOf", "allOf"):
            _visit(value, name)
        elif key in ("$defs", "definitions") and isinstance(value, dict):
            for sub in value.values():
                _visit(sub, "")
