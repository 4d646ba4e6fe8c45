"""PG (REINFORCE): learns a portfolio where the optimum is known, its update is the published
one (checked by hand), it resumes bit-exactly, and it trains on the shared DJ30 data."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from trademaster.agents.config_published import PGConfig
from trademaster.agents.pg import PG
from trademaster.agents.registry import get_algorithm
from trademaster.config.run import build_run_spec
from trademaster.config.strategy import validate_strategy_config
from trademaster.envs.base import VecEnv
from trademaster.envs.config import PortfolioManagementEnvConfig
from trademaster.envs.factory import build_env
from trademaster.training.pipeline import (
    baseline_policies,
    evaluate_run_policy,
    load_run_dataset,
    make_algorithm,
    make_env,
)

pytestmark = pytest.mark.unit

CPU = torch.device("cpu")
_SMALL = PGConfig(hidden_sizes=(32,), learning_rate=3e-3, num_steps=32, norm_returns=True)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def _trending_portfolio_env(num_envs: int = 4) -> VecEnv:
    """The real PortfolioManagementEnv (logit actions, fees, next-close fills) on a panel where
    asset 0 trends up and asset 2 down: the optimum holds asset 0 only."""
    rng = np.random.default_rng(0)
    log_ret = np.asarray([0.006, 0.0, -0.006]) + 0.005 * rng.standard_normal((400, 3))
    close = 100.0 * np.exp(np.cumsum(log_ret, axis=0))
    features = (100.0 * log_ret)[:, :, None].astype(np.float32)
    config = PortfolioManagementEnvConfig(
        num_envs=num_envs, window=8, episode_length=32, fee_rate=0.001, fill_timing="next_close"
    )
    return build_env(config, {"close": close, "features": features}, device="cpu")


def _mean_up_weight_and_reward(policy: torch.nn.Module) -> tuple[float, float]:
    env = _trending_portfolio_env()
    obs = env.reset(seed=321)
    up, rewards = [], []
    for _ in range(32):
        actions = policy.act(obs, deterministic=True)
        up.append(torch.softmax(actions, 1)[:, 1].mean().item())  # index 0 is cash
        result = env.step(actions)
        rewards.append(result.reward.mean().item())
        obs = result.obs
    return sum(up) / 32, sum(rewards) / 32


def test_pg_moves_the_portfolio_into_the_trending_asset() -> None:
    alg = PG(_trending_portfolio_env(), _SMALL, seed=3, device=CPU)
    before_up, _ = _mean_up_weight_and_reward(alg.policy)
    while alg.global_step < 12_000:
        metrics = alg.train_iteration()
    after_up, after_reward = _mean_up_weight_and_reward(alg.policy)

    equal_env = _trending_portfolio_env()
    equal_env.reset(seed=321)
    equal = sum(equal_env.step(torch.zeros(4, 4)).reward.mean().item() for _ in range(32)) / 32
    assert before_up < 0.3  # starts near equal weight over [cash, 3 assets]
    assert after_up > 0.7
    assert after_reward > equal + 0.002
    assert "losses/policy_loss" in metrics and "losses/value_loss" not in metrics


def test_one_iteration_is_one_adam_step_on_the_reinforce_loss() -> None:
    """Reference: discounted reward-to-go from the stored rewards/dones by hand (no critic, no
    bootstrap at the rollout end), then one Adam step on -mean(G log pi) - ent_coef H."""
    cfg = PGConfig(hidden_sizes=(16,), num_steps=40, ent_coef=0.01, gamma=0.9)
    alg = PG(_trending_portfolio_env(2), cfg, seed=0, device=CPU)
    for _ in range(2):
        alg.train_iteration()
    policy = copy.deepcopy(alg.policy)
    opt_state = copy.deepcopy(alg.optimizer.state_dict())
    metrics = alg.train_iteration()
    buf = alg.rollout
    assert bool(buf.dones.any())  # the rollout crosses an episode end (episodes are 32 long)

    expected = torch.zeros_like(buf.returns)
    running = torch.zeros(2)
    for t in reversed(range(cfg.num_steps)):
        running = buf.rewards[t] + cfg.gamma * running
        expected[t] = running
        running = running * (1.0 - buf.dones[t])  # obs[t] starts an episode: cut the sum
    torch.testing.assert_close(buf.advantages, expected, rtol=1e-5, atol=1e-7)
    assert not bool(buf.values.any())

    ref_opt = torch.optim.Adam(policy.parameters(), lr=cfg.learning_rate, eps=1e-5)
    ref_opt.load_state_dict(opt_state)
    logp, entropy = policy.evaluate(buf.obs.flatten(0, 1), buf.actions.flatten(0, 1))
    loss = -(expected.flatten() * logp).mean() - cfg.ent_coef * entropy.mean()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(policy.parameters(), cfg.max_grad_norm)
    ref_opt.step()
    for ours, ref in zip(alg.policy.parameters(), policy.parameters(), strict=True):
        torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-6)
    assert metrics["losses/clipfrac"] == 0.0
    critic_out = alg.policy.critic[-1]
    assert not bool(critic_out.weight.any()) and not bool(critic_out.bias.any())


def test_pg_resumes_bit_exactly() -> None:
    full, part = (PG(_trending_portfolio_env(2), _SMALL, seed=5, device=CPU) for _ in range(2))
    for _ in range(6):
        full.train_iteration()
        part.train_iteration()
    resumed = PG(_trending_portfolio_env(2), _SMALL, seed=5, device=CPU)
    resumed.load_state_dict(copy.deepcopy(part.state_dict()))
    for _ in range(6):
        a, b = full.train_iteration(), resumed.train_iteration()
        a.pop("charts/SPS")
        b.pop("charts/SPS")
        assert a == b
    for x, y in zip(full.policy.parameters(), resumed.policy.parameters(), strict=True):
        assert torch.equal(x, y)


def test_pg_is_registered_and_its_config_errors_name_the_field() -> None:
    assert get_algorithm("pg") is PG
    violations = validate_strategy_config(
        "portfolio_management", "pg", {"agent_params": {"num_steps": 0, "gamma": 2}}
    )
    assert sorted(v.field for v in violations) == ["agent_params.gamma", "agent_params.num_steps"]
    assert validate_strategy_config("portfolio_management", "pg", {}) == []
    assert validate_strategy_config("algorithmic_trading", "pg", {})  # PM only, as upstream


def test_pg_trains_on_shared_dj30_and_is_evaluated_against_equal_weight(
    shared_data_dir: Path,
) -> None:
    data = shared_data_dir / "portfolio_management/dj30/test.csv"
    run = build_run_spec("portfolio_management", "pg", str(data), training={"total_steps": 1024})
    dataset = load_run_dataset(run)
    alg = make_algorithm(run, make_env(run, dataset, "train", evaluation=False, seed=0), seed=0)
    while alg.global_step < 1024:
        metrics = alg.train_iteration()
    assert np.isfinite(metrics["losses/policy_loss"])

    eval_env = make_env(run, dataset, "test", evaluation=True, seed=0)
    ours = evaluate_run_policy(run, alg.policy, eval_env, seed=0)
    (equal,) = baseline_policies(run, eval_env).values()
    reference = evaluate_run_policy(run, equal, eval_env, seed=0)
    for outcome in (ours, reference):
        assert all(np.isfinite(v) for v in outcome.metrics.values())
    assert ours.metrics.keys() == reference.metrics.keys()
