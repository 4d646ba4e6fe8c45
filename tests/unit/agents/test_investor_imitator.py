"""Investor-Imitator: the descriptors' targets by hand, the descriptors learn the trending and
falling assets' future returns from the data (not shipped weights), the agent beats an
equal-weight portfolio on them, it resumes bit-exactly, and it trains on the shared DJ30 data
with a policy that a backtest can rebuild from its weights."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from trademaster.agents.config_published import InvestorImitatorConfig
from trademaster.agents.investor_imitator import InvestorImitator, logic_targets
from trademaster.agents.registry import get_algorithm
from trademaster.config.run import build_run_spec
from trademaster.config.strategy import validate_strategy_config
from trademaster.envs.base import VecEnv
from trademaster.envs.config import PortfolioManagementEnvConfig
from trademaster.envs.factory import build_env
from trademaster.training.pipeline import load_run_dataset, make_algorithm, make_env

pytestmark = pytest.mark.unit

CPU = torch.device("cpu")
_SMALL = InvestorImitatorConfig(
    hidden_sizes=(32,), descriptor_hidden=16, descriptor_epochs=100, num_steps=16
)
_DRIFT = [0.006, 0.0, -0.006]


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def _panel_env(drift: list[float], *, flatten: bool = True) -> VecEnv:
    rng = np.random.default_rng(0)
    log_ret = np.asarray(drift) + 0.005 * rng.standard_normal((400, len(drift)))
    close = 100.0 * np.exp(np.cumsum(log_ret, axis=0))
    features = (100.0 * log_ret)[:, :, None].astype(np.float32)
    config = PortfolioManagementEnvConfig(
        num_envs=4,
        window=8,
        episode_length=32,
        fee_rate=0.001,
        fill_timing="next_close",
        flatten_observation=flatten,
    )
    return build_env(config, {"close": close, "features": features}, device="cpu")


def test_logic_targets_by_hand() -> None:
    close = torch.tensor([[100.0, 10.0], [110.0, 10.0], [99.0, 11.0], [108.9, 12.1]])
    targets = logic_targets(close, horizon=2)
    assert targets.shape == (2, 2, 5)
    r = np.diff(np.log(close.numpy()), axis=0)
    a0 = r[0:2, 0]  # bars 1..2 after t=0 for asset 0: +10%, -10%
    expected = [a0.mean(), a0.mean() / a0.std(), 0.5, -(a0[0] - a0.sum()), 0.0]
    expected[4] = a0.mean() - (a0.mean() + r[0:2, 1].mean()) / 2
    np.testing.assert_allclose(targets[0, 0].numpy(), expected, rtol=1e-5, atol=1e-7)
    assert targets[0, 1, 2] == pytest.approx(0.5)  # asset 1: flat then up
    assert targets[1, 1, 3] == pytest.approx(0.0)  # rising twice: no drawdown


@pytest.mark.parametrize("flatten", [True, False])
def test_descriptors_are_fitted_from_the_training_bars(flatten: bool) -> None:
    alg = InvestorImitator(_panel_env(_DRIFT, flatten=flatten), _SMALL, seed=0, device=CPU)
    assert alg.descriptor_metrics["descriptors/r2_AR"] > 0.5  # drifts are learnable
    obs = _panel_env(_DRIFT, flatten=flatten).reset(seed=1)
    with torch.no_grad():
        scores = alg.policy.descriptors(alg.policy.asset_windows(obs))
    ar = scores[:, 0]  # [N, A]: the trending asset scores highest, the falling one lowest
    assert bool((ar[:, 0] > ar[:, 1]).all() and (ar[:, 1] > ar[:, 2]).all())
    untrained = InvestorImitator(
        _panel_env(_DRIFT), _SMALL.model_copy(update={"descriptor_epochs": 0}), seed=0, device=CPU
    )
    assert untrained.descriptor_metrics["descriptors/r2_AR"] < 0.2


def _greedy_reward(alg: InvestorImitator) -> tuple[float, float]:
    """Mean step reward of the greedy policy and of the equal-weight portfolio, 32 fresh steps."""
    env, equal_env = _panel_env(_DRIFT), _panel_env(_DRIFT)
    obs = env.reset(seed=321)
    equal_env.reset(seed=321)
    rewards, equal = [], []
    for _ in range(32):
        result = env.step(alg.policy.act(obs, deterministic=True))
        rewards.append(result.reward.mean().item())
        equal.append(equal_env.step(torch.zeros(4, 4)).reward.mean().item())
        obs = result.obs
    return float(np.mean(rewards)), float(np.mean(equal))


def test_investor_imitator_beats_equal_weight_on_the_trend() -> None:
    alg = InvestorImitator(_panel_env(_DRIFT), _SMALL, seed=0, device=CPU)
    first = alg.train_iteration()
    assert "descriptors/r2_SR" in first and "descriptors/r2_SR" not in alg.train_iteration()
    while alg.global_step < 2_000:
        alg.train_iteration()
    reward, equal = _greedy_reward(alg)
    assert reward > equal + 0.001
    # Unfitted descriptors give no such edge: the gain comes from what they learned.
    blind = InvestorImitator(
        _panel_env(_DRIFT), _SMALL.model_copy(update={"descriptor_epochs": 0}), seed=0, device=CPU
    )
    blind_reward, _ = _greedy_reward(blind)
    assert blind_reward < equal + 0.0005


def test_investor_imitator_resumes_bit_exactly() -> None:
    def build() -> InvestorImitator:
        config = _SMALL.model_copy(update={"descriptor_epochs": 10})
        return InvestorImitator(_panel_env(_DRIFT), config, seed=2, device=CPU)

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


def test_investor_imitator_is_registered_validated_and_refuses_other_envs() -> None:
    assert get_algorithm("investor_imitator") is InvestorImitator
    violations = validate_strategy_config(
        "portfolio_management",
        "investor_imitator",
        {"agent_params": {"descriptor_horizon": 1, "descriptor_epochs": 20_000}},
    )
    assert sorted(v.field for v in violations) == [
        "agent_params.descriptor_epochs",
        "agent_params.descriptor_horizon",
    ]
    assert validate_strategy_config("portfolio_management", "investor_imitator", {}) == []
    with pytest.raises(ValueError, match="agent_params.descriptor_horizon"):
        InvestorImitator(
            _panel_env(_DRIFT),
            _SMALL.model_copy(update={"descriptor_horizon": 400}),
            seed=0,
            device=CPU,
        )
    run = build_run_spec("algorithmic_trading", "dqn", "synthetic")
    at_env = make_env(run, load_run_dataset(run), "train", evaluation=False, seed=0)
    with pytest.raises(ValueError, match="portfolio management env"):
        InvestorImitator(at_env, _SMALL, seed=0, device=CPU)


def test_investor_imitator_trains_on_shared_dj30_and_its_policy_reloads(
    shared_data_dir: Path,
) -> None:
    data = shared_data_dir / "portfolio_management/dj30/test.csv"
    run = build_run_spec(
        "portfolio_management",
        "investor_imitator",
        str(data),
        agent_params={"num_steps": 16, "descriptor_epochs": 20},
    )
    dataset = load_run_dataset(run)
    alg = make_algorithm(run, make_env(run, dataset, "train", evaluation=False, seed=0), seed=0)
    assert isinstance(alg, InvestorImitator)
    while alg.global_step < 64:
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
