"""The versioned strategy config: task + agent + env settings + agent hyperparameters + training.

Torch-free, so the strategy service and the gateway validate configs and serve JSON schemas for
UI forms without torch installed. Validation never raises for bad user input: it returns
:class:`FieldViolation` records whose ``field`` is a dotted path (``agent_params.learning_rate``)
and whose ``description`` says what was expected and what was given.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from trademaster.agents.config import (
    AGENT_CONFIGS,
    SUPPORTED_AGENTS_BY_TASK,
    A2CConfig,
    DDPGConfig,
    DQNConfig,
    EIIEConfig,
    PPOConfig,
    SACConfig,
    TD3Config,
)
from trademaster.agents.config_published import (
    DDQNDemoConfig,
    DeepScalperConfig,
    DeepTraderConfig,
    InvestorImitatorConfig,
    PGConfig,
    SARLConfig,
)
from trademaster.config.limits import add_schema_limits, limit_violations
from trademaster.envs.config import (
    AlgorithmicTradingEnvConfig,
    HighFrequencyTradingEnvConfig,
    OrderExecutionEnvConfig,
    PortfolioManagementEnvConfig,
)
from trademaster.training.config import TrainingConfig

_LOGGER = logging.getLogger(__name__)

__all__ = [
    "ENV_CONFIGS",
    "SUPPORTED_AGENTS_BY_TASK",
    "ConfigError",
    "FieldViolation",
    "StrategyConfig",
    "config_json_schema",
    "default_config",
    "parse_strategy_config",
    "validate_strategy_config",
]

ENV_CONFIGS: dict[str, type[BaseModel]] = {
    "algorithmic_trading": AlgorithmicTradingEnvConfig,
    "portfolio_management": PortfolioManagementEnvConfig,
    "order_execution": OrderExecutionEnvConfig,
    "high_frequency_trading": HighFrequencyTradingEnvConfig,
}

TaskName = Literal[
    "algorithmic_trading", "portfolio_management", "order_execution", "high_frequency_trading"
]
AgentName = Literal[
    "dqn",
    "ppo",
    "sac",
    "td3",
    "eiie",
    "a2c",
    "ddpg",
    "pg",
    "ddqn_dp",
    "sarl",
    "deepscalper",
    "deeptrader",
    "investor_imitator",
]

EnvConfig = Annotated[
    AlgorithmicTradingEnvConfig
    | PortfolioManagementEnvConfig
    | OrderExecutionEnvConfig
    | HighFrequencyTradingEnvConfig,
    Field(discriminator="kind"),
]
AgentConfig = Annotated[
    DQNConfig
    | PPOConfig
    | SACConfig
    | TD3Config
    | EIIEConfig
    | A2CConfig
    | DDPGConfig
    | PGConfig
    | DDQNDemoConfig
    | SARLConfig
    | DeepScalperConfig
    | DeepTraderConfig
    | InvestorImitatorConfig,
    Field(discriminator="agent"),
]


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field: dotted path and a human-readable reason (maps to BadRequest)."""

    field: str
    description: str


class ConfigError(ValueError):
    """A strategy config failed validation; ``violations`` lists every bad field."""

    def __init__(self, violations: list[FieldViolation]) -> None:
        self.violations = list(violations)
        detail = "; ".join(f"{v.field}: {v.description}" for v in self.violations)
        super().__init__(f"invalid strategy config: {detail}")


class StrategyConfig(BaseModel):
    """A complete, versioned strategy: what to trade, with which agent, and how to train it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = Field(1, description="Schema version of this config.")
    task: TaskName = Field(..., description="Trading task the strategy solves.")
    agent: AgentName = Field(..., description="Agent (algorithm) that learns the policy.")
    dataset_id: str | None = Field(
        None,
        min_length=1,
        description="Catalog id of the dataset to train on; None = choose later.",
    )
    env: EnvConfig = Field(..., title="Env", description="Environment settings of the task.")
    agent_params: AgentConfig = Field(
        ..., title="Agent Params", description="Hyperparameters of the agent."
    )
    training: TrainingConfig = Field(
        TrainingConfig.model_validate({}),
        title="Training",
        description="Training loop settings (steps, seed, evaluation...).",
    )

    @model_validator(mode="after")
    def _parts_agree(self) -> StrategyConfig:
        supported = SUPPORTED_AGENTS_BY_TASK[self.task]
        if self.agent not in supported:
            raise ValueError(
                f"agent {self.agent!r} is not supported for task {self.task!r}, "
                f"expected one of {list(supported)}"
            )
        if getattr(self.env, "kind", None) != self.task:
            raise ValueError(f"env.kind must equal task {self.task!r}, was {self.env.kind!r}")
        if getattr(self.agent_params, "agent", None) != self.agent:
            raise ValueError(
                f"agent_params.agent must equal agent {self.agent!r}, "
                f"was {self.agent_params.agent!r}"
            )
        return self


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


@functools.cache
def _model_for(task: str, agent: str) -> type[StrategyConfig]:
    """StrategyConfig subclass pinned to one task and agent: concrete nested schemas + defaults."""
    env_cls = ENV_CONFIGS[task]
    agent_cls = AGENT_CONFIGS[agent]
    task_type: Any = Literal[task]
    agent_type: Any = Literal[agent]
    return create_model(  # type: ignore[call-overload, no-any-return, unused-ignore]
        f"{_camel(task)}{agent.upper()}StrategyConfig",
        __base__=StrategyConfig,
        __doc__=f"Strategy config for task {task!r} with agent {agent!r}.",
        task=(task_type, Field(task, description="Trading task the strategy solves.")),
        agent=(agent_type, Field(agent, description="Agent (algorithm) that learns the policy.")),
        env=(
            env_cls,
            Field(env_cls(), title="Env", description=f"Environment settings: {env_cls.__doc__}"),
        ),
        agent_params=(
            agent_cls,
            Field(
                agent_cls(),
                title="Agent Params",
                description=f"Agent hyperparameters: {agent_cls.__doc__}",
            ),
        ),
    )


def _known_pair(task: str, agent: str) -> list[FieldViolation]:
    if task not in ENV_CONFIGS:
        return [
            FieldViolation("task", f"unknown task {task!r}, expected one of {list(ENV_CONFIGS)}")
        ]
    supported = SUPPORTED_AGENTS_BY_TASK[task]
    if agent not in supported:
        return [
            FieldViolation(
                "agent",
                f"agent {agent!r} is not supported for task {task!r}, "
                f"expected one of {list(supported)}",
            )
        ]
    return []


def _dotted(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


_BOUNDS = {
    "greater_than": (">", "gt"),
    "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"),
    "less_than_equal": ("<=", "le"),
}


def _describe(error: Any) -> str:
    """Turn one pydantic error into 'what was expected, what was given'."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    given = error.get("input")
    if kind in _BOUNDS:
        op, key = _BOUNDS[kind]
        bound = ctx[key]
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        return f"must be {op} {bound}, was {given!r}"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "literal_error":
        return f"must be {ctx.get('expected')}, was {given!r}"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s), was {given!r}"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} item(s), was {given!r}"
    if kind == "string_too_short":
        return f"must have at least {ctx.get('min_length')} character(s), was {given!r}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind in ("value_error", "assertion_error"):
        return message
    return f"{message[:1].lower()}{message[1:]}, was {given!r}"


def validate_strategy_config(task: str, agent: str, config: Any) -> list[FieldViolation]:
    """Every problem with ``config`` for ``task``/``agent``; an empty list means valid.

    ``config`` holds ``env``, ``agent_params``, ``training`` and optionally ``version``,
    ``dataset_id``, ``task`` and ``agent`` (which must then match the arguments). Omitted fields
    take their defaults. Never raises for bad input.
    """
    violations = _known_pair(task, agent)
    if violations:
        return violations
    if not isinstance(config, dict):
        return [FieldViolation("config", f"must be an object, was {type(config).__name__}")]
    try:
        parsed = _model_for(task, agent).model_validate(config)
    except ValidationError as exc:
        return [
            FieldViolation(_dotted(err["loc"]) or "config", _describe(err)) for err in exc.errors()
        ]
    return [FieldViolation(field, rule) for field, rule in limit_violations(parsed)]


def parse_strategy_config(task: str, agent: str, config: Any) -> StrategyConfig:
    """Validated config with defaults filled in; raises :class:`ConfigError` listing violations."""
    violations = validate_strategy_config(task, agent, config)
    if violations:
        raise ConfigError(violations)
    return _model_for(task, agent).model_validate(config)


def config_json_schema(task: str, agent: str) -> dict[str, Any]:
    """JSON Schema (titles, descriptions, defaults, bounds) of the config for ``task``/``agent``.

    Raises:
        ConfigError: ``task`` is unknown or ``agent`` is not supported for it.
    """
    violations = _known_pair(task, agent)
    if violations:
        raise ConfigError(violations)
    return add_schema_limits(_model_for(task, agent).model_json_schema())


def default_config(task: str, agent: str) -> dict[str, Any]:
    """The all-defaults config for ``task``/``agent`` as plain JSON-compatible data.

    Raises:
        ConfigError: ``task`` is unknown or ``agent`` is not supported for it.
    """
    violations = _known_pair(task, agent)
    if violations:
        raise ConfigError(violations)
    return _model_for(task, agent).model_validate({}).model_dump(mode="json")
