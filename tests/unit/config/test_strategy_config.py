"""Strategy config validation, JSON schema and defaults; the module imports without torch."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from trademaster.agents.config import AGENT_CONFIGS, SUPPORTED_AGENTS_BY_TASK
from trademaster.config.strategy import (
    ConfigError,
    FieldViolation,
    StrategyConfig,
    config_json_schema,
    default_config,
    parse_strategy_config,
    validate_strategy_config,
)

pytestmark = pytest.mark.unit

_PAIRS = [(task, agent) for task, agents in SUPPORTED_AGENTS_BY_TASK.items() for agent in agents]


def _fields(violations: list[FieldViolation]) -> dict[str, str]:
    return {v.field: v.description for v in violations}


@pytest.mark.parametrize(("task", "agent"), _PAIRS)
def test_default_config_is_valid_and_round_trips(task: str, agent: str) -> None:
    config = default_config(task, agent)

    assert validate_strategy_config(task, agent, config) == []
    parsed = parse_strategy_config(task, agent, config)
    assert parsed.task == task and parsed.agent == agent and parsed.version == 1
    stored = StrategyConfig.model_validate(json.loads(json.dumps(config)))
    assert stored.model_dump() == parsed.model_dump()


def test_partial_config_gets_defaults_filled_in() -> None:
    parsed = parse_strategy_config(
        "portfolio_management",
        "sac",
        {"dataset_id": "dj30", "agent_params": {"policy_lr": 1e-3}, "env": {"window": 20}},
    )

    assert parsed.agent_params.policy_lr == 1e-3
    assert parsed.agent_params.batch_size == 256
    assert parsed.env.window == 20
    assert parsed.training.total_steps > 0
    assert parsed.dataset_id == "dj30"


def test_each_bad_field_is_named_with_a_dotted_path() -> None:
    config: dict[str, Any] = {
        "env": {"fee_rate": -0.1, "window": 0},
        "agent_params": {"learning_rate": -0.1, "buffer_size": 0},
        "training": {"total_steps": "many"},
    }

    violations = _fields(validate_strategy_config("algorithmic_trading", "dqn", config))

    assert set(violations) == {
        "env.fee_rate",
        "env.window",
        "agent_params.learning_rate",
        "agent_params.buffer_size",
        "training.total_steps",
    }
    assert violations["agent_params.learning_rate"] == "must be > 0, was -0.1"
    assert violations["env.window"] == "must be >= 1, was 0"
    assert "'many'" in violations["training.total_steps"]


def test_list_items_are_named_with_their_index() -> None:
    config = {"agent_params": {"hidden_sizes": [64, 0]}}

    violations = validate_strategy_config("portfolio_management", "sac", config)

    assert violations == [FieldViolation("agent_params.hidden_sizes[1]", "must be >= 1, was 0")]


def test_extra_fields_are_reported_at_every_level() -> None:
    config = {"colour": "red", "agent_params": {"learning_rat": 0.1}, "env": {"foo": 1}}

    violations = _fields(validate_strategy_config("portfolio_management", "ppo", config))

    assert violations == {
        "colour": "unknown field",
        "agent_params.learning_rat": "unknown field",
        "env.foo": "unknown field",
    }


def test_unknown_agent_for_task_is_reported_on_agent() -> None:
    violations = validate_strategy_config("portfolio_management", "dqn", {})

    assert [v.field for v in violations] == ["agent"]
    assert "'dqn'" in violations[0].description and "sac" in violations[0].description


def test_unknown_task_is_reported_on_task() -> None:
    violations = validate_strategy_config("options_pricing", "ppo", {})

    assert [v.field for v in violations] == ["task"]


def test_task_agent_and_version_in_the_body_must_match() -> None:
    config = {"task": "order_execution", "agent": "td3", "version": 2}

    violations = _fields(validate_strategy_config("portfolio_management", "sac", config))

    assert set(violations) == {"task", "agent", "version"}
    assert violations["version"] == "must be 1, was 2"


@pytest.mark.parametrize("config", [[], "x", None, 3, {"env": []}, {"agent_params": None}])
def test_malformed_input_gives_violations_not_exceptions(config: Any) -> None:
    violations = validate_strategy_config("portfolio_management", "td3", config)

    assert violations
    assert all(v.field and v.description for v in violations)


def test_parse_raises_config_error_listing_violations() -> None:
    with pytest.raises(ConfigError) as excinfo:
        parse_strategy_config("portfolio_management", "eiie", {"agent_params": {"batch_size": 0}})

    assert excinfo.value.violations == [
        FieldViolation("agent_params.batch_size", "must be >= 1, was 0")
    ]
    assert "agent_params.batch_size" in str(excinfo.value)


def test_schema_and_defaults_reject_unsupported_pairs() -> None:
    with pytest.raises(ConfigError):
        config_json_schema("algorithmic_trading", "sac")
    with pytest.raises(ConfigError):
        default_config("nope", "ppo")


def _properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    models = [("", schema), *schema.get("$defs", {}).items()]
    return [
        (f"{model}.{name}", prop)
        for model, body in models
        for name, prop in body.get("properties", {}).items()
    ]


@pytest.mark.parametrize(("task", "agent"), _PAIRS)
def test_json_schema_documents_every_field_with_title_and_default(task: str, agent: str) -> None:
    schema = config_json_schema(task, agent)

    props = _properties(schema)
    assert len(props) > 20
    for name, prop in props:
        assert prop.get("description"), f"{name} has no description"
        assert prop.get("title"), f"{name} has no title"
    top = schema["properties"]
    assert top["agent_params"]["default"]["agent"] == agent
    assert top["env"]["default"]["kind"] == task
    json.dumps(schema)


def test_every_agent_config_field_has_a_description() -> None:
    for name, cls in AGENT_CONFIGS.items():
        for field, info in cls.model_fields.items():
            assert info.description, f"{name}.{field} has no description"


def test_strategy_module_imports_with_torch_blocked() -> None:
    script = textwrap.dedent(
        """
        import sys

        class BlockTorch:
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ImportError(f"torch import blocked: {name}")
                return None

        sys.meta_path.insert(0, BlockTorch())
        import trademaster.config.strategy as strategy

        schema = strategy.config_json_schema("portfolio_management", "sac")
        assert strategy.validate_strategy_config("portfolio_management", "td3", {}) == []
        assert "torch" not in sys.modules
        print("ok", len(schema["$defs"]))
        """
    )

    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
