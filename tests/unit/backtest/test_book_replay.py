"""Replay of order-book policies (order execution, HFT) through the task's own env."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from trademaster.backtest.book_replay import ExecutionResult, book_replay
from trademaster.backtest.config import BacktestConfig, SlippageConfig
from trademaster.backtest.event import BacktestCancelled
from trademaster.config.run import DatasetRef, resolve_strategy, run_spec
from trademaster.config.strategy import default_config
from trademaster.data.loaders import hft_book
from trademaster.data.synthetic import lob
from trademaster.envs.factory import build_env
from trademaster.training.model_artifact import ModelArtifact
from trademaster.training.pipeline import env_config, make_algorithm

pytestmark = pytest.mark.unit

BOOK = hft_book(lob(400, seed=3))
DATA = DatasetRef(uri="synthetic")


def _artifact(task: str, agent: str, env: dict[str, object]) -> ModelArtifact:
    """An (untrained, seeded) policy of ``task`` as a model artifact, as the trainer saves it."""
    config = default_config(task, agent)
    config["env"].update(env)  # type: ignore[union-attr]
    run = run_spec(resolve_strategy(task, agent, config, {}, seed=1), DATA)
    algorithm = make_algorithm(run, build_env(env_config(run), BOOK, seed=0), seed=1)
    return ModelArtifact(run, dict(algorithm.policy.state_dict()), 0, None, (), ())


def _env_equity(artifact: ModelArtifact, config: BacktestConfig) -> list[float]:
    """The HFT env's own account value, stepped by the same policy over the whole book."""
    run = artifact.run_spec
    cfg = env_config(
        run,
        num_envs=1,
        episode_length=None,
        initial_cash=config.initial_cash,
        fee_rate=config.fee_rate,
    )
    env = build_env(cfg, BOOK, seed=0)
    algorithm = make_algorithm(run, env, seed=0)
    algorithm.policy.load_state_dict(artifact.policy_state)
    obs, values = env.reset(seed=0), [config.initial_cash]
    with torch.no_grad():
        for _ in range(len(BOOK) - cfg.window):
            result = env.step(
                algorithm.policy.act(obs, deterministic=True, action_mask=env.action_mask())
            )
            values.append(float(result.info["portfolio_value"][0]))
            obs = result.obs
    return values


def test_hft_replay_books_the_envs_fills_and_costs() -> None:
    artifact = _artifact(
        "high_frequency_trading", "dqn", {"window": 8, "lot_size": 1.0, "max_position": 3}
    )
    config = BacktestConfig(initial_cash=100_000.0, fee_rate=0.001)

    result = book_replay(artifact, BOOK, config)

    assert len(result.equity) == len(BOOK) - 7, "one value per snapshot from the first window"
    np.testing.assert_allclose(result.equity, _env_equity(artifact, config), rtol=1e-12)
    np.testing.assert_allclose(
        result.equity, result.cash + result.positions[:, 0] * result.data.close[:, 0]
    )
    fills = result.ledger.fills
    assert len(fills) > 0, "the policy traded"
    np.testing.assert_allclose(fills.fee, 0.001 * np.abs(fills.quantity * fills.price))
    assert result.metrics["total_fees"] > 0
    assert result.benchmark_name == "buy_and_hold"
    assert any("steps, not times" in w for w in result.warnings)


def test_execution_replay_executes_every_order_and_scores_it_against_twap() -> None:
    artifact = _artifact(
        "order_execution", "ppo", {"window": 5, "horizon": 10, "total_quantity": 2.0}
    )
    config = BacktestConfig(initial_cash=1_000_000.0, fee_rate=0.0005)

    result = book_replay(artifact, BOOK, config)

    orders = (len(BOOK) - 10 - 4 + 9) // 10
    assert result.metrics["orders"] == orders
    assert len(result.equity) == orders * 10 + 1
    fills = result.ledger.fills
    assert fills.quantity.sum() == pytest.approx(-2.0 * orders), "every order sold in full"
    assert result.positions[-1, 0] == pytest.approx(0.0)
    assert result.benchmark is not None and result.benchmark_name == "twap"
    assert isinstance(result, ExecutionResult)
    change = result.equity[-1] - result.equity[0]
    twap_change = result.benchmark[-1] - result.benchmark[0]
    assert sum(o.shortfall for o in result.orders) == pytest.approx(-change, rel=1e-9)
    assert sum(o.twap_shortfall for o in result.orders) == pytest.approx(-twap_change, rel=1e-9)
    assert result.metrics["shortfall_vs_twap_bps"] == pytest.approx(
        result.metrics["twap_shortfall_bps"] - result.metrics["shortfall_bps"]
    )
    trades = result.trades
    assert set(trades["effect"]) == {"exit"} and set(trades["side"]) == {"sell"}
    assert (trades["fee"] > 0).all() and (trades["slippage"] >= -1e-9).all()


def test_book_replay_refuses_bar_slippage_and_fill_timing() -> None:
    artifact = _artifact("high_frequency_trading", "dqn", {"window": 8})

    with pytest.raises(ValueError, match="walking the book"):
        book_replay(artifact, BOOK, BacktestConfig(slippage=SlippageConfig(kind="volume_share")))
    with pytest.raises(ValueError, match="fill_timing must be next_open"):
        book_replay(artifact, BOOK, BacktestConfig(fill_timing="next_close"))


def test_book_replay_stops_when_cancelled() -> None:
    artifact = _artifact("order_execution", "dqn", {"window": 5, "horizon": 10})

    with pytest.raises(BacktestCancelled):
        book_replay(artifact, BOOK, BacktestConfig(), progress=lambda done, total: done < 3)
