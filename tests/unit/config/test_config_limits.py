"""Every size, count and duration of a strategy config has a maximum, checked and in the schema."""

from __future__ import annotations

import json

import pytest
from trademaster.config.limits import HIDDEN_LAYERS_MAX, HIDDEN_UNITS_MAX, INT_MAX
from trademaster.config.strategy import (
    SUPPORTED_AGENTS_BY_TASK,
    config_json_schema,
    default_config,
    validate_strategy_config,
)

pytestmark = pytest.mark.unit

PAIRS = [(task, agent) for task, agents in SUPPORTED_AGENTS_BY_TASK.items() for agent in agents]


def test_unbounded_work_is_refused_naming_each_field() -> None:
    config = {
        "training": {"total_steps": 10**15},
        "agent_params": {"agent": "dqn", "hidden_sizes": [100_000, 100_000], "buffer_size": 10**12},
    }

    violations = validate_strategy_config("algorithmic_trading", "dqn", config)

    assert {v.field for v in violations} == {
        "training.total_steps",
        "agent_params.hidden_sizes[0]",
        "agent_params.hidden_sizes[1]",
        "agent_params.buffer_size",
    }
    assert any("must be <= 100000000" in v.description for v in violations)


def test_too_many_layers_is_refused() -> None:
    config = {"agent_params": {"agent": "dqn", "hidden_sizes": [8] * (HIDDEN_LAYERS_MAX + 1)}}

    violations = validate_strategy_config("algorithmic_trading", "dqn", config)

    assert [v.field for v in violations] == ["agent_params.hidden_sizes"]


def test_values_at_the_maximum_are_accepted() -> None:
    config = {"training": {"total_steps": INT_MAX["total_steps"]}}

    assert validate_strategy_config("algorithmic_trading", "dqn", config) == []


@pytest.mark.parametrize(("task", "agent"), PAIRS)
def test_defaults_are_within_limits_and_every_integer_has_a_schema_maximum(
    task: str, agent: str
) -> None:
    schema = config_json_schema(task, agent)

    assert validate_strategy_config(task, agent, default_config(task, agent)) == []
    _assert_bounded(schema)
    assert f'"maximum": {HIDDEN_UNITS_MAX}' in json.dumps(schema) or agent == "eiie"


def _assert_bounded(node: object) -> None:
    if isinstance(node, dict):
        if node.get("type") == "integer":
            assert "maximum" in node, node
        for value in node.values():
            _assert_bounded(value)
    elif isinstance(node, list):
        for item in node:
            _assert_bounded(item)
