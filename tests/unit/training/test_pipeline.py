"""Experiment pipeline: leak-free splits, train-only scaling, every task's env from configs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from trademaster.config.run import build_run_spec
from trademaster.data.loaders import DatasetError, OrderBook
from trademaster.data.panel import Panel
from trademaster.data.synthetic import gbm, write_synthetic_dataset
from trademaster.training.pipeline import (
    TASKS,
    check_agent_for_task,
    load_dataset,
    load_run_dataset,
    make_algorithm,
    make_env,
)

pytestmark = pytest.mark.unit

torch.set_num_threads(1)


def _write(path: Path, frame: pd.DataFrame) -> str:
    frame.attrs.update(synthetic=True)
    return str(write_synthetic_dataset(path, frame))


def _dates(dataset: object, name: str) -> np.ndarray:
    part = dataset.part(name)  # type: ignore[attr-defined]
    return part.dates if isinstance(part, Panel) else part.times


@pytest.mark.parametrize("task", TASKS)
def test_synthetic_splits_are_chronological_and_disjoint(task: str) -> None:
    dataset = load_dataset("synthetic", task=task)
    train, valid, test = (_dates(dataset, n) for n in ("train", "valid", "test"))
    assert len(train) > len(valid) > 0 and len(test) > 0
    assert train.max() < valid.min() and valid.max() < test.min()
    expected = Panel if task in ("algorithmic_trading", "portfolio_management") else OrderBook
    assert isinstance(dataset.part("train"), expected)


def test_scaler_and_train_features_ignore_valid_and_test_data(tmp_path: Path) -> None:
    frame = gbm(400, 3, seed=5)
    cut = frame["date"].unique()[320]  # after the train part (30 warm-up + 0.7 x 370 dates)
    perturbed = frame.copy()
    later = perturbed["date"] >= cut
    rng = np.random.default_rng(0)
    for col in ("open", "high", "low", "close"):
        perturbed.loc[later, col] *= rng.uniform(0.5, 2.0, size=int(later.sum()))
    original = load_dataset(_write(tmp_path / "a.csv", frame), task="portfolio_management")
    changed = load_dataset(_write(tmp_path / "b.csv", perturbed), task="portfolio_management")

    assert original.part("train").dates.max() < np.datetime64(cut)
    assert original.scaler is not None and changed.scaler is not None
    assert original.scaler.to_dict() == changed.scaler.to_dict()
    np.testing.assert_array_equal(original.part("train").values, changed.part("train").values)
    assert not np.allclose(original.part("test").values, changed.part("test").values)
    train_z = original.split.train[["zclose", "zd_5"]]  # type: ignore[union-attr]
    assert abs(float(train_z.mean().abs().max())) < 1e-9  # standardized with train statistics
    assert abs(float(original.split.test["zclose"].mean())) > 1e-6  # type: ignore[union-attr]


def test_algorithmic_trading_picks_the_requested_tic(tmp_path: Path) -> None:
    path = _write(tmp_path / "long.csv", gbm(300, 3, seed=1))
    dataset = load_dataset(path, task="algorithmic_trading", tic="SYN02")
    assert dataset.part("train").tics == ("SYN02",)  # type: ignore[union-attr]
    with pytest.raises(DatasetError, match="tic 'NOPE' is not in"):
        load_dataset(path, task="algorithmic_trading", tic="NOPE")
    with pytest.raises(ValueError, match="algorithmic_trading only"):
        load_dataset(path, task="portfolio_management", tic="SYN02")


def test_bar_file_for_a_book_task_is_a_dataset_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "bars.csv", gbm(300, 1, seed=1))
    with pytest.raises(DatasetError, match="HFT LOB columns"):
        load_dataset(path, task="order_execution")


def test_too_few_dates_and_bad_fractions_are_value_errors() -> None:
    with pytest.raises(ValueError, match="train_fraction \\+ valid_fraction must be < 1"):
        load_dataset("synthetic", train_fraction=0.8, valid_fraction=0.2)
    with pytest.raises(FileNotFoundError, match="no/such.csv"):
        load_dataset("/no/such.csv")


def test_agent_must_suit_the_task() -> None:
    with pytest.raises(ValueError, match="not supported for task 'portfolio_management'"):
        check_agent_for_task("portfolio_management", "dqn")
    with pytest.raises(ValueError, match="agent must be one of"):
        check_agent_for_task("portfolio_management", "nope")
    with pytest.raises(ValueError, match="task must be one of"):
        check_agent_for_task("arbitrage", "ppo")


@pytest.mark.parametrize(
    ("task", "agent"),
    [
        ("algorithmic_trading", "dqn"),
        ("portfolio_management", "ppo"),
        ("portfolio_management", "eiie"),
        ("order_execution", "ppo"),
        ("high_frequency_trading", "dqn"),
    ],
)
def test_every_task_builds_envs_and_an_agent_that_acts(task: str, agent: str) -> None:
    run = build_run_spec(task, agent, "synthetic", env={"num_envs": 2})
    dataset = load_run_dataset(run)
    env = make_env(run, dataset, "train", evaluation=False, seed=0)
    evaluation = make_env(run, dataset, "test", evaluation=True, seed=0)
    assert env.num_envs == 2 and evaluation.num_envs == 1
    algorithm = make_algorithm(run, env, seed=0)
    obs = env.reset(seed=0)
    actions = algorithm.policy.act(obs, deterministic=True, action_mask=env.action_mask())
    result = env.step(actions)
    assert torch.isfinite(result.reward).all()
    assert torch.isfinite(result.info["portfolio_value"]).all()
    assert run.strategy.env.kind == task  # type: ignore[union-attr]


def test_dataset_of_another_task_is_refused() -> None:
    book = load_dataset("synthetic", task="order_execution")
    with pytest.raises(ValueError, match="loaded for task 'order_execution'"):
        make_env(
            build_run_spec("algorithmic_trading", "dqn", "synthetic"),
            book,
            "train",
            evaluation=False,
            seed=0,
        )


def test_real_dj30_portfolio_and_btc_lob(shared_data_dir: Path) -> None:
    dj30 = load_dataset(
        str(shared_data_dir / "portfolio_management/dj30/test.csv"), task="portfolio_management"
    )
    assert len(dj30.part("train").tics) == 29  # type: ignore[union-attr]
    assert np.isfinite(dj30.part("valid").values).all()  # type: ignore[union-attr]
    lob = load_dataset(
        str(shared_data_dir / "order_execution/BTC/test.csv"), task="order_execution"
    )
    train_book = lob.part("train")
    assert isinstance(train_book, OrderBook)
    assert len(train_book) == 420 and train_book.levels == 15
    hft = load_dataset(
        str(shared_data_dir / "high_frequency_trading/small_BTC"), task="high_frequency_trading"
    )
    times = np.concatenate([_dates(hft, n) for n in ("train", "valid", "test")])
    assert len(times) > 4_000 and np.all(np.diff(times) > 0)
