"""DeepScalper: the side/size branches map onto the env's levels, the hindsight and volatility
labels are the hand-computed future moves, it learns an alternating market that holding and
staying flat cannot trade, it resumes bit-exactly, and it trains on the shared BTC bars with a
policy that a backtest can rebuild from its weights."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from trademaster.agents.config_published import DeepScalperConfig
from trademaster.agents.deepscalper import DeepScalper, branch_table, future_labels
from trademaster.agents.registry import get_algorithm
from trademaster.config.run import build_run_spec
from trademaster.config.strategy import validate_strategy_config
from trademaster.envs.algorithmic import AlgorithmicTradingEnv
from trademaster.envs.config import AlgorithmicTradingEnvConfig
from trademaster.envs.factory import build_env
from trademaster.training.pipeline import load_run_dataset, make_algorithm, make_env

pytestmark = pytest.mark.unit

CPU = torch.device("cpu")
_LEVELS = (-1.0, -0.5, 0.0, 0.5, 1.0)
_SMALL = DeepScalperConfig(
    hidden_sizes=(32, 32),
    learning_starts=256,
    batch_size=64,
    buffer_size=10_000,
    exploration_steps=2_000,
    target_update_interval=200,
    gamma=0.5,
    hindsight_horizon=2,
)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def _alternating_env(num_envs: int = 4, episode_length: int | None = 32) -> AlgorithmicTradingEnv:
    """The real env on a close that moves +2% / -2% on alternate bars (plus a little noise);
    the feature is the last bar's return, so the next move is its opposite."""
    rng = np.random.default_rng(0)
    log_ret = np.where(np.arange(300) % 2 == 0, 0.02, -0.02) + 0.001 * rng.standard_normal(300)
    close = 100.0 * np.exp(np.cumsum(log_ret))
    config = AlgorithmicTradingEnvConfig(
        num_envs=num_envs,
        window=2,
        episode_length=episode_length,
        fee_rate=0.0005,
        fill_timing="next_close",
        position_levels=_LEVELS,
    )
    features = (100.0 * log_ret)[:, None].astype(np.float32)
    env = build_env(config, {"close": close, "features": features}, device="cpu")
    assert isinstance(env, AlgorithmicTradingEnv)
    return env


def test_branches_cover_the_levels_and_refuse_lopsided_ones() -> None:
    table, flat = branch_table([-1.0, -0.5, 0.0, 0.5, 1.0])
    assert flat == 2
    assert table.tolist() == [[1, 0], [2, 2], [3, 4]]  # rows short/flat/long, columns 0.5, 1
    long_only, _ = branch_table([0.0, 1.0])
    assert long_only.tolist() == [[0], [1]]
    with pytest.raises(ValueError, match="position_levels"):
        branch_table([-1.0, 0.0, 0.5, 1.0])


def test_hindsight_move_and_volatility_labels_by_hand() -> None:
    close = torch.tensor([100.0, 101.0, 99.0, 102.0, 104.0], dtype=torch.float64)
    move, vol = future_labels(close, horizon=2)
    log = np.log(close.numpy())
    # t=0: fill bar 1, horizon to bar 3; t=2: to the end (bar 4); t=3, 4: nothing after.
    np.testing.assert_allclose(
        move.numpy(), [log[3] - log[1], log[4] - log[2], log[4] - log[3], 0, 0], rtol=1e-6
    )
    r = np.diff(log)
    np.testing.assert_allclose(
        vol.numpy(),
        [np.std(r[1:3]), np.std(r[2:4]), np.std(r[3:4]), 0.0, 0.0],
        rtol=1e-5,
        atol=1e-9,
    )


def test_the_replayed_reward_carries_the_hindsight_bonus() -> None:
    env = _alternating_env(num_envs=2)
    alg = DeepScalper(env, _SMALL.model_copy(update={"hindsight_weight": 2.0}), seed=0, device=CPU)
    reference = _alternating_env(num_envs=2)
    reference.reset(seed=0)
    bars = env.decision_bars()
    alg.train_iteration()
    store = alg.replay.store
    actions = alg.table[store["side"][:2], store["size"][:2]]
    env_reward = reference.step(actions).reward
    move, vol = future_labels(env.close_prices(), _SMALL.hindsight_horizon)
    exposure = torch.tensor(_LEVELS, dtype=torch.float32)[actions]
    torch.testing.assert_close(store["reward"][:2], env_reward + 2.0 * exposure * move[bars])
    torch.testing.assert_close(store["volatility"][:2], vol[bars] / alg.vol_scale)


def _mean_reward(policy: object, steps: int = 64) -> float:
    env = _alternating_env(episode_length=None)
    obs, total = env.reset(seed=7), 0.0
    for _ in range(steps):
        actions = policy(obs) if callable(policy) else torch.full((4,), int(policy))  # type: ignore[call-overload]
        result = env.step(actions)
        total += float(result.reward.mean())
        obs = result.obs
    return total / steps


def test_deepscalper_learns_the_alternating_market_that_holding_cannot_trade() -> None:
    alg = DeepScalper(_alternating_env(), _SMALL, seed=0, device=CPU)
    untrained = _mean_reward(lambda obs: alg.policy.act(obs, deterministic=True))
    while alg.global_step < 6_000:
        metrics = alg.train_iteration()
    assert np.isfinite(metrics["losses/volatility_loss"])
    learned = _mean_reward(lambda obs: alg.policy.act(obs, deterministic=True))
    hold, flat = _mean_reward(4), _mean_reward(2)
    assert abs(hold) < 0.002 and flat == 0.0 and untrained < 0.005
    assert learned > 0.012  # the optimum trades +-1 each bar for ~0.019 after fees


def test_deepscalper_resumes_bit_exactly() -> None:
    def build() -> DeepScalper:
        return DeepScalper(_alternating_env(), _SMALL, seed=2, device=CPU)

    full, part = build(), build()
    for _ in range(100):
        full.train_iteration()
        part.train_iteration()
    resumed = build()
    resumed.load_state_dict(copy.deepcopy(part.state_dict()))
    for _ in range(40):
        assert full.train_iteration() == resumed.train_iteration()
    for x, y in zip(full.policy.parameters(), resumed.policy.parameters(), strict=True):
        assert torch.equal(x, y)


def test_deepscalper_is_registered_validated_and_refuses_other_envs() -> None:
    assert get_algorithm("deepscalper") is DeepScalper
    violations = validate_strategy_config(
        "algorithmic_trading",
        "deepscalper",
        {"agent_params": {"hindsight_horizon": 0, "volatility_coef": 1_000}},
    )
    assert sorted(v.field for v in violations) == [
        "agent_params.hindsight_horizon",
        "agent_params.volatility_coef",
    ]
    assert validate_strategy_config("algorithmic_trading", "deepscalper", {}) == []
    assert validate_strategy_config("portfolio_management", "deepscalper", {}) != []
    run = build_run_spec("portfolio_management", "ppo", "synthetic")
    pm_env = make_env(run, load_run_dataset(run), "train", evaluation=False, seed=0)
    with pytest.raises(ValueError, match="algorithmic trading env"):
        DeepScalper(pm_env, _SMALL, seed=0, device=CPU)


def test_deepscalper_trains_on_shared_btc_and_its_policy_reloads(shared_data_dir: Path) -> None:
    data = shared_data_dir / "algorithmic_trading/BTC/data.csv"
    run = build_run_spec(
        "algorithmic_trading",
        "deepscalper",
        str(data),
        env={"position_levels": _LEVELS},
        agent_params={"learning_starts": 64, "buffer_size": 2_000, "batch_size": 32},
    )
    dataset = load_run_dataset(run)
    alg = make_algorithm(run, make_env(run, dataset, "train", evaluation=False, seed=0), seed=0)
    assert isinstance(alg, DeepScalper)
    while alg.global_step < 256:
        metrics = alg.train_iteration()
    assert all(np.isfinite(v) for v in metrics.values())

    # As a backtest does: build on the test split, load the trained policy's weights.
    test_env = make_env(run, dataset, "test", evaluation=True, seed=0)
    replay = make_algorithm(run, test_env, seed=1)
    replay.policy.load_state_dict(alg.policy.state_dict())
    obs = test_env.reset(seed=0)
    torch.testing.assert_close(
        replay.policy.act(obs, deterministic=True), alg.policy.act(obs, deterministic=True)
    )
