"""The one resolved run description: seed precedence, overrides shape, typed JSON round trip."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from trademaster.config.run import (
    DatasetRef,
    RunSpec,
    build_run_spec,
    resolve_strategy,
    run_spec,
)
from trademaster.config.strategy import ConfigError, default_config

pytestmark = pytest.mark.unit

DATA = DatasetRef(uri="file:///data/btc.csv", dataset_id="btc", content_hash="abc")


def _base(**training: object) -> dict[str, object]:
    config = default_config("algorithmic_trading", "dqn")
    config["training"].update(training)  # type: ignore[union-attr]
    return config


def _resolve(base: dict[str, object], overrides: dict[str, object], **kw: int) -> RunSpec:
    strategy = resolve_strategy(
        "algorithmic_trading", "dqn", base, overrides, choose_seed=lambda: 777, **kw
    )
    return run_spec(strategy, DATA)


def test_seed_precedence_request_then_strategy_then_chosen() -> None:
    assert _resolve(_base(seed=42), {}, seed=9).seed == 9
    assert _resolve(_base(seed=42), {}).seed == 42, "a seed stored in the strategy is honoured"
    assert _resolve(_base(seed=42), {"training": {"seed": 5}}).seed == 5
    assert _resolve(_base(seed=0), {}).seed == 777, "seed 0 means: the server chooses one"


def test_total_steps_come_from_one_place() -> None:
    spec = _resolve(_base(total_steps=1_600), {}, total_steps=3_000)
    assert spec.total_steps == spec.strategy.training.total_steps == 3_000
    assert _resolve(_base(total_steps=1_600), {}).total_steps == 1_600


def test_documented_overrides_example_is_accepted_and_the_old_one_refused() -> None:
    spec = _resolve(_base(), {"agent_params": {"learning_rate": 0.001}})
    assert spec.strategy.agent_params.learning_rate == 0.001  # type: ignore[union-attr]
    with pytest.raises(ConfigError) as caught:
        _resolve(_base(), {"agent": {"lr": 0.001}})
    assert [v.field for v in caught.value.violations] == ["overrides.agent"]


def test_the_spec_names_its_dataset_once() -> None:
    spec = _resolve(_base(), {})
    assert spec.strategy.dataset_id == spec.dataset.dataset_id == "btc"
    with pytest.raises(ValidationError, match="differs from dataset.dataset_id"):
        RunSpec(strategy=spec.strategy.model_copy(update={"dataset_id": "eth"}), dataset=DATA)


def test_json_round_trip_keeps_integers_and_floats() -> None:
    spec = _resolve(_base(total_steps=1_600), {"agent_params": {"learning_rate": 0.001}})
    data = json.loads(spec.model_dump_json())
    assert data["strategy"]["training"]["total_steps"] == 1_600
    assert isinstance(data["strategy"]["training"]["total_steps"], int)
    assert isinstance(data["strategy"]["agent_params"]["learning_rate"], float)
    assert RunSpec.model_validate(data) == spec
    assert spec.dataset.local_path() == "/data/btc.csv"


def test_build_run_spec_fills_task_env_defaults_under_the_given_env() -> None:
    spec = build_run_spec("portfolio_management", "ppo", "synthetic", env={"num_envs": 2})
    assert spec.strategy.env.num_envs == 2
    assert spec.strategy.env.episode_length == 64  # type: ignore[union-attr]
    assert spec.dataset.local_path() == "synthetic"
    with pytest.raises(ValidationError, match="train_fraction \\+ valid_fraction"):
        build_run_spec("algorithmic_trading", "dqn", "synthetic", train_fraction=0.9)
