"""The local stack hands the strategy service's dataset roots to the services that read them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from trademaster.service.localstack import Stack, StackConfig, service_env

pytestmark = pytest.mark.unit


def _env(name: str, tmp_path: Path, extra: dict[str, str]) -> dict[str, str]:
    return service_env(
        name,
        database_url="postgresql://db",
        redis_url="redis://r",
        jwt_secret="s" * 32,
        port_file=tmp_path / f"{name}.port",
        extra=extra,
    )


@pytest.mark.parametrize("name", ["backtest"])
def test_dataset_readers_get_the_strategy_roots_main_dir_first(tmp_path: Path, name: str) -> None:
    extra = {
        "TM_STRATEGY_DATA_DIR": "/data/main",
        "TM_STRATEGY_EXTRA_DATA_DIRS": os.pathsep.join(["/data/shared", "/data/more"]),
    }

    env = _env(name, tmp_path, extra)

    expected = os.pathsep.join(["/data/main", "/data/shared", "/data/more"])
    assert env[f"TM_{name.upper()}_DATA_DIRS"] == expected


def test_explicit_reader_dirs_win_and_other_services_get_none(tmp_path: Path) -> None:
    extra = {"TM_STRATEGY_DATA_DIR": "/data/main", "TM_BACKTEST_DATA_DIRS": "/mine"}

    assert _env("backtest", tmp_path, extra)["TM_BACKTEST_DATA_DIRS"] == "/mine"
    assert "TM_RISK_DATA_DIRS" not in _env("risk", tmp_path, extra)
    assert "TM_TRAINER_DATA_DIRS" not in _env("trainer", tmp_path, extra), "datasets by URI"


def test_stack_pins_the_strategy_data_dir_under_its_work_dir(tmp_path: Path) -> None:
    stack = Stack(StackConfig(work_dir=tmp_path, services=("strategy", "trainer", "backtest")))
    stack.database_url, stack.redis_url = "postgresql://db", "redis://r"

    strategy, trainer = stack.env_for("strategy"), stack.env_for("trainer")

    datasets = str(tmp_path.absolute() / "datasets")
    assert strategy["TM_STRATEGY_DATA_DIR"] == datasets
    assert "TM_TRAINER_DATA_DIRS" not in trainer
    assert stack.env_for("backtest")["TM_BACKTEST_DATA_DIRS"] == datasets
