"""The one resolved description of a training run: :class:`RunSpec`.

A run is a validated :class:`~trademaster.config.strategy.StrategyConfig` (every default filled,
the seed and step count decided) plus where its data is and how the data is split. It is
torch-free, so the trainer service resolves it once (strategy + overrides + seed → validate),
stores exactly that, and hands exactly that to the job runner; the CLI builds the same object.
No second, dict-shaped config and no parallel seed or step-count channel exist: ``seed`` and
``total_steps`` are read from ``strategy.training`` and nowhere else.
"""

from __future__ import annotations

import copy
import logging
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from trademaster.config.strategy import (
    ConfigError,
    FieldViolation,
    StrategyConfig,
    parse_strategy_config,
)
from trademaster.training.config import TrainingConfig

_LOGGER = logging.getLogger(__name__)

__all__ = [
    "SYNTHETIC",
    "TASK_ENV_DEFAULTS",
    "DatasetRef",
    "RunSpec",
    "build_run_spec",
    "deep_merge",
    "resolve_strategy",
    "run_spec",
]

SYNTHETIC = "synthetic"
MAX_SEED = 2**31 - 1

TASK_ENV_DEFAULTS: dict[str, dict[str, Any]] = {
    "algorithmic_trading": {"num_envs": 8, "window": 10, "episode_length": 64},
    "portfolio_management": {"num_envs": 4, "window": 10, "episode_length": 64},
    "order_execution": {"num_envs": 8, "window": 10, "horizon": 20},
    "high_frequency_trading": {"num_envs": 8, "window": 10, "episode_length": 64},
}
"""CLI defaults under the user's env fields: short random episodes, a few envs at once."""


class DatasetRef(BaseModel):
    """Where a run's market data is: a URI (``file:///...``, a path, or ``synthetic``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    uri: str = Field(..., min_length=1, description="file:// URI, local path or 'synthetic'.")
    dataset_id: str = Field("", description="Catalog id, when resolved by the strategy service.")
    content_hash: str = Field("", description="Content hash the catalog recorded for the data.")

    def local_path(self) -> str:
        """The path (or ``synthetic``) the data loaders read."""
        parsed = urlparse(self.uri)
        if parsed.scheme == "file":
            return unquote(parsed.path)
        return self.uri


class RunSpec(BaseModel):
    """A resolved training run: typed strategy config + data reference + split fractions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = Field(1, description="Schema version of the run spec.")
    strategy: StrategyConfig = Field(..., description="Validated config, defaults filled.")
    dataset: DatasetRef = Field(..., description="The market data the run reads.")
    tic: str | None = Field(
        None, min_length=1, description="Ticker to trade from a long file (algorithmic_trading)."
    )
    train_fraction: float = Field(0.7, gt=0, lt=1, description="Share of dates for training.")
    valid_fraction: float = Field(0.15, gt=0, lt=1, description="Share of dates for validation.")

    @field_validator("strategy", mode="before")
    @classmethod
    def _plain_strategy(cls, value: Any) -> Any:
        # A task/agent-pinned subclass becomes the plain StrategyConfig, so a spec built here
        # equals the same spec read back from JSON.
        if isinstance(value, StrategyConfig) and type(value) is not StrategyConfig:
            return value.model_dump()
        return value

    @model_validator(mode="after")
    def _consistent(self) -> RunSpec:
        if self.train_fraction + self.valid_fraction >= 1:
            raise ValueError(
                "train_fraction + valid_fraction must be < 1, was "
                f"{self.train_fraction + self.valid_fraction}"
            )
        if self.tic is not None and self.strategy.task != "algorithmic_trading":
            raise ValueError(
                f"tic selects the asset of algorithmic_trading only, task is {self.task!r}"
            )
        named = self.strategy.dataset_id
        if named and self.dataset.dataset_id and named != self.dataset.dataset_id:
            raise ValueError(
                f"strategy.dataset_id {named!r} differs from dataset.dataset_id "
                f"{self.dataset.dataset_id!r}"
            )
        return self

    @property
    def task(self) -> str:
        return self.strategy.task

    @property
    def agent(self) -> str:
        return self.strategy.agent

    @property
    def training(self) -> TrainingConfig:
        return self.strategy.training

    @property
    def seed(self) -> int:
        return self.strategy.training.seed

    @property
    def total_steps(self) -> int:
        return self.strategy.training.total_steps

    def with_data(self, uri: str, *, tic: str | None = None) -> RunSpec:
        """The same run on other data (e.g. evaluating on another file)."""
        return self.model_copy(
            update={"dataset": DatasetRef(uri=uri), "tic": tic if tic is not None else self.tic}
        )


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``overrides`` merged into a copy of ``base``: objects merge, other values replace."""
    merged = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _random_seed() -> int:
    return secrets.randbelow(MAX_SEED) + 1


def resolve_strategy(
    task: str,
    agent: str,
    strategy_config: Mapping[str, Any],
    overrides: Mapping[str, Any],
    *,
    seed: int = 0,
    total_steps: int = 0,
    choose_seed: Callable[[], int] = _random_seed,
) -> StrategyConfig:
    """A stored strategy config with ``overrides`` merged in, validated, defaults filled.

    Seed: ``seed`` when > 0, else the merged config's ``training.seed`` when > 0 (a seed stored
    in the strategy is honoured), else ``choose_seed()``; the chosen seed is part of the result.
    ``total_steps`` > 0 replaces the config's. Every bad field is reported at once.

    Raises:
        ConfigError: violations with fields prefixed ``overrides.`` (what the caller can fix).
    """
    merged = deep_merge(strategy_config, overrides)
    training = merged.setdefault("training", {})
    if not isinstance(training, dict):
        raise ConfigError(
            [
                FieldViolation(
                    "overrides.training", f"must be an object, was {type(training).__name__}"
                )
            ]
        )
    if total_steps:
        training["total_steps"] = total_steps
    stored_seed = training.get("seed", 0)
    if seed:
        training["seed"] = seed
    elif not (isinstance(stored_seed, int) and not isinstance(stored_seed, bool) and stored_seed):
        training["seed"] = choose_seed()
    try:
        return parse_strategy_config(task, agent, merged)
    except ConfigError as error:
        raise ConfigError(
            [
                FieldViolation(f"overrides.{v.field}" if v.field else "overrides", v.description)
                for v in error.violations
            ]
        ) from None


def run_spec(strategy: StrategyConfig, dataset: DatasetRef) -> RunSpec:
    """The run of ``strategy`` on ``dataset``; the strategy names the dataset it trains on."""
    if dataset.dataset_id:
        strategy = strategy.model_copy(update={"dataset_id": dataset.dataset_id})
    return RunSpec(strategy=strategy, dataset=dataset)


def build_run_spec(
    task: str,
    agent: str,
    data: str,
    *,
    env: Mapping[str, Any] | None = None,
    agent_params: Mapping[str, Any] | None = None,
    training: Mapping[str, Any] | None = None,
    tic: str | None = None,
    train_fraction: float = 0.7,
    valid_fraction: float = 0.15,
) -> RunSpec:
    """A run from loose parts (CLI, tests, benchmarks): ``TASK_ENV_DEFAULTS`` under ``env``.

    Raises:
        ConfigError: the parts do not form a valid strategy config.
        pydantic.ValidationError: bad fractions or ``tic``.
    """
    uri = data if data == SYNTHETIC else Path(data).absolute().as_uri()
    strategy = parse_strategy_config(
        task,
        agent,
        {
            "env": {**TASK_ENV_DEFAULTS.get(task, {}), **(env or {})},
            "agent_params": dict(agent_params or {}),
            "training": dict(training or {}),
        },
    )
    return RunSpec(
        strategy=strategy,
        dataset=DatasetRef(uri=uri),
        tic=tic,
        train_fraction=train_fraction,
        valid_fraction=valid_fraction,
    )
