"""DeepTrader: the winners' draw and its log-probability and the portfolio weights by hand, the
asset unit learns to hold the trending asset and the market unit to keep a falling market's
capital in cash (an equal-weight portfolio does neither), it resumes bit-exactly, and it trains
on the shared DJ30 data with a policy that a backtest can rebuild from its weights."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from trademaster.agents.config_published import DeepTraderConfig
from trademaster.agents.deeptrader import DeepTrader, discounted_returns
from trademaster.agents.deeptrader_nets import portfolio, sample_winners, set_log_prob
from trademaster.agents.registry import get_algorithm
from trademaster.config.run import build_run_spec
from trademaster.config.strategy import validate_strategy_config
from trademaster.envs.base import VecEnv
from trademaster.envs.config import PortfolioManagementEnvConfig
from trademaster.envs.factory import build_env
from trademaster.training.pipeline import load_run_dataset, make_algorithm, make_env

pytestmark = pytest.mark.unit

CPU = torch.device("cpu")
_SMALL = DeepTraderConfig(hidden_size=16, winners=1, num_steps=16, learning_rate=3e-3, gamma=0.5)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def _panel_env(drift: list[float]) -> VecEnv:
    """The real PortfolioManagementEnv on assets with per-bar log drifts ``drift`` plus noise;
    the feature is each asset's last log return (x100)."""
    rng = np.random.default_rng(0)
    log_ret = np.asarray(drift) + 0.005 * rng.standard_normal((400, len(drift)))
    close = 100.0 * np.exp(np.cumsum(log_ret, axis=0))
    features = (100.0 * log_ret)[:, :, None].astype(np.float32)
    config = PortfolioManagementEnvConfig(
        num_envs=4, window=8, episode_length=32, fee_rate=0.001, fill_timing="next_close"
    )
    return build_env(config, {"close": close, "features": features}, device="cpu")


def test_winner_draw_log_probability_and_weights_by_hand() -> None:
    scores = torch.tensor([[0.5, 0.2, 0.3]])
    order = torch.tensor([[2, 0]])
    expected = math.log(0.3 / 1.0) + math.log(0.5 / 0.7)
    assert set_log_prob(scores, order).item() == pytest.approx(expected, rel=1e-6)
    weights = portfolio(scores, order, torch.tensor([0.25]))
    b = torch.softmax(torch.tensor([0.3, 0.5]), 0) * 0.75
    torch.testing.assert_close(weights, torch.tensor([[0.25, b[1], 0.0, b[0]]]))
    # The Gumbel top-k draw has the sequential draw's law: P(first = 0) = 0.5, P(0 then 2).
    gen = torch.Generator().manual_seed(0)
    draws = sample_winners(scores.expand(20_000, 3), 2, gen)
    assert (draws[:, 0] == 0).float().mean().item() == pytest.approx(0.5, abs=0.015)
    both = ((draws[:, 0] == 0) & (draws[:, 1] == 2)).float().mean().item()
    assert both == pytest.approx(0.5 * 0.3 / 0.5, abs=0.015)


def test_discounted_returns_reset_at_episode_ends() -> None:
    rewards = torch.tensor([[1.0], [2.0], [4.0]])
    dones = torch.tensor([[False], [True], [False]])
    returns = discounted_returns(rewards, dones, 0.5)
    torch.testing.assert_close(returns, torch.tensor([[2.0], [2.0], [4.0]]))


def _greedy_run(alg: DeepTrader, drift: list[float]) -> tuple[float, float, float, float]:
    """Mean asset-0 share of the invested capital, cash weight, and per-step reward of the greedy
    policy, and the equal-weight portfolio's reward, over 32 fresh steps."""
    env, equal_env = _panel_env(drift), _panel_env(drift)
    obs = env.reset(seed=321)
    equal_env.reset(seed=321)
    share, cash, rewards, equal = [], [], [], []
    for _ in range(32):
        weights = torch.softmax(alg.policy.act(obs, deterministic=True), 1)
        share.append((weights[:, 1] / weights[:, 1:].sum(1)).mean().item())
        cash.append(weights[:, 0].mean().item())
        result = env.step(weights.log())
        rewards.append(result.reward.mean().item())
        equal.append(equal_env.step(torch.zeros(4, len(drift) + 1)).reward.mean().item())
        obs = result.obs
    return (float(np.mean(x)) for x in (share, cash, rewards, equal))  # type: ignore[return-value]


def test_the_asset_unit_learns_to_hold_the_trending_asset() -> None:
    drift = [0.006, 0.0, -0.003, -0.003]
    alg = DeepTrader(_panel_env(drift), _SMALL, seed=0, device=CPU)
    while alg.global_step < 3_000:
        alg.train_iteration()
    share, _, reward, equal = _greedy_run(alg, drift)
    assert share > 0.9
    assert reward > equal + 0.001


def test_the_market_unit_learns_to_keep_a_falling_market_in_cash() -> None:
    drift = [-0.005] * 4
    alg = DeepTrader(_panel_env(drift), _SMALL, seed=0, device=CPU)
    _, untrained_cash, _, _ = _greedy_run(alg, drift)
    while alg.global_step < 4_000:
        alg.train_iteration()
    _, cash, reward, equal = _greedy_run(alg, drift)
    assert untrained_cash < 0.7 and cash > 0.85
    assert reward > equal + 0.002


def test_deeptrader_resumes_bit_exactly() -> None:
    def build() -> DeepTrader:
        return DeepTrader(_panel_env([0.006, 0.0, -0.003]), _SMALL, seed=2, device=CPU)

    full, part = build(), build()
    for _ in range(5):
        full.train_iteration()
        part.train_iteration()
    resumed = build()
    resumed.load_state_dict(copy.deepcopy(part.state_dict()))
    for _ in range(5):
        assert full.train_iteration() == resumed.train_iteration()
    for x, y in zip(full.policy.parameters(), resumed.policy.parameters(), strict=True):
        assert torch.equal(x, y)


def test_deeptrader_is_registered_validated_and_refuses_other_envs() -> None:
    assert get_algorithm("deeptrader") is DeepTrader
    violations = validate_strategy_config(
        "portfolio_management", "deeptrader", {"agent_params": {"winners": 0, "tcn_layers": 9}}
    )
    assert sorted(v.field for v in violations) == [
        "agent_params.tcn_layers",
        "agent_params.winners",
    ]
    assert validate_strategy_config("portfolio_management", "deeptrader", {}) == []
    with pytest.raises(ValueError, match="agent_params.winners"):
        DeepTrader(
            _panel_env([0.0, 0.0]), _SMALL.model_copy(update={"winners": 3}), seed=0, device=CPU
        )
    run = build_run_spec("algorithmic_trading", "dqn", "synthetic")
    at_env = make_env(run, load_run_dataset(run), "train", evaluation=False, seed=0)
    with pytest.raises(ValueError, match="portfolio management env"):
        DeepTrader(at_env, _SMALL, seed=0, device=CPU)


@pytest.mark.parametrize("flatten", [True, False])
def test_deeptrader_trains_on_shared_dj30_and_its_policy_reloads(
    shared_data_dir: Path, flatten: bool
) -> None:
    data = shared_data_dir / "portfolio_management/dj30/test.csv"
    run = build_run_spec(
        "portfolio_management",
        "deeptrader",
        str(data),
        env={"flatten_observation": flatten},
        agent_params={"num_steps": 16, "hidden_size": 16},
    )
    dataset = load_run_dataset(run)
    alg = make_algorithm(run, make_env(run, dataset, "train", evaluation=False, seed=0), seed=0)
    assert isinstance(alg, DeepTrader)
    while alg.global_step < 64:
        metrics = alg.train_iteration()
    assert all(np.isfinite(v) for v in metrics.values())

    # As a backtest does: build on the test split, load the trained policy's weights.
    test_env = make_env(run, dataset, "test", evaluation=True, seed=0)
    replay = make_algorithm(run, test_env, seed=1)
    replay.policy.load_state_dict(alg.policy.state_dict())
    obs = test_env.reset(seed=0)
    action = replay.policy.act(obs, deterministic=True)
    torch.testing.assert_close(action, alg.policy.act(obs, deterministic=True))
    weights = torch.softmax(action, 1)
    assert int((weights[0, 1:] > 1e-6).sum()) == 4  # the default 4 winners
