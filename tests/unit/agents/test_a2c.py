"""A2C: learns the toy market, its update is the published one (checked by hand), resumes."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from toy_env import AlternatingPriceEnv  # noqa: E402
from trademaster.agents.a2c import A2C  # noqa: E402
from trademaster.agents.config import A2CConfig  # noqa: E402
from trademaster.agents.registry import get_algorithm  # noqa: E402
from trademaster.config.strategy import validate_strategy_config  # noqa: E402
from trademaster.training.trainer import evaluate_policy  # noqa: E402

pytestmark = pytest.mark.unit

CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.mark.parametrize("continuous", [False, True])
def test_a2c_learns_alternating_prices(continuous: bool) -> None:
    env = AlternatingPriceEnv(8, continuous=continuous)
    alg = A2C(env, A2CConfig(hidden_sizes=(32, 32), learning_rate=3e-3), seed=1, device=CPU)
    while alg.global_step < 16_000:
        alg.train_iteration()
    eval_env = AlternatingPriceEnv(4, continuous=continuous)
    trained = evaluate_policy(alg.policy, eval_env, episodes=8, seed=7)
    assert trained.metrics["eval/mean_return"] > 12.0  # optimum is 16, flat earns 0


@pytest.mark.parametrize("optimizer", ["rmsprop", "adam"])
def test_one_iteration_is_one_step_on_the_a2c_loss(optimizer: str) -> None:
    """Reference: n-step returns from the stored rewards/dones/values by hand, then one
    optimizer step on -mean(A log pi) + vf_coef * 0.5 * mean((V - R)^2) - ent_coef * H."""
    cfg = A2CConfig(hidden_sizes=(16,), num_steps=5, ent_coef=0.01, optimizer=optimizer)
    alg = A2C(AlternatingPriceEnv(3), cfg, seed=0, device=CPU)
    for _ in range(3):  # off the initial weights; the next rollout crosses an episode end
        alg.train_iteration()
    policy = copy.deepcopy(alg.policy)
    opt_state = copy.deepcopy(alg.optimizer.state_dict())
    metrics = alg.train_iteration()
    buf = alg.rollout
    assert bool(buf.dones.any())

    gamma = cfg.gamma
    with torch.no_grad():
        bootstrap = policy.value(torch.from_numpy(alg.driver.obs))  # type: ignore[union-attr]
    expected = torch.zeros_like(buf.returns)
    running = bootstrap * (1.0 - alg.done)
    for t in reversed(range(cfg.num_steps)):
        running = buf.rewards[t] + gamma * running
        expected[t] = running
        running = running * (1.0 - buf.dones[t])  # obs[t] starts an episode: cut the sum
    torch.testing.assert_close(buf.returns, expected, rtol=1e-5, atol=1e-5)

    obs, actions = buf.obs.flatten(0, 1), buf.actions.flatten(0, 1)
    adv = (expected - buf.values).flatten()
    ref_opt: torch.optim.Optimizer
    if optimizer == "adam":
        ref_opt = torch.optim.Adam(policy.parameters(), lr=cfg.learning_rate, eps=1e-5)
    else:
        ref_opt = torch.optim.RMSprop(policy.parameters(), lr=cfg.learning_rate, eps=1e-5)
    ref_opt.load_state_dict(opt_state)
    logp, entropy = policy.evaluate(obs, actions)
    value = policy.value(obs)
    loss = (
        -(adv * logp).mean()
        + cfg.vf_coef * 0.5 * ((value - expected.flatten()) ** 2).mean()
        - cfg.ent_coef * entropy.mean()
    )
    loss.backward()
    torch.nn.utils.clip_grad_norm_(policy.parameters(), cfg.max_grad_norm)
    ref_opt.step()
    for ours, ref in zip(alg.policy.parameters(), policy.parameters(), strict=True):
        torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-6)
    assert metrics["losses/clipfrac"] == 0.0


def test_a2c_resumes_bit_exactly() -> None:
    cfg = A2CConfig(hidden_sizes=(16,))
    full, part = (A2C(AlternatingPriceEnv(2), cfg, seed=3, device=CPU) for _ in range(2))
    for _ in range(20):
        full.train_iteration()
        part.train_iteration()
    resumed = A2C(AlternatingPriceEnv(2), cfg, seed=3, device=CPU)
    resumed.load_state_dict(copy.deepcopy(part.state_dict()))
    for _ in range(20):
        a, b = full.train_iteration(), resumed.train_iteration()
        a.pop("charts/SPS")
        b.pop("charts/SPS")
        assert a == b
    for x, y in zip(full.policy.parameters(), resumed.policy.parameters(), strict=True):
        assert torch.equal(x, y)


def test_a2c_is_registered_and_its_config_errors_name_the_field() -> None:
    assert get_algorithm("a2c") is A2C
    violations = validate_strategy_config(
        "algorithmic_trading", "a2c", {"agent_params": {"num_steps": 0, "optimizer": "sgd"}}
    )
    assert sorted(v.field for v in violations) == [
        "agent_params.num_steps",
        "agent_params.optimizer",
    ]
    assert validate_strategy_config("portfolio_management", "a2c", {}) == []
