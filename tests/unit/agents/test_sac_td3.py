"""SAC, TD3 and DDPG really learn on a toy portfolio where one asset clearly trends up; they resume
bit-exactly from a state_dict checkpoint."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest
import torch
from torch import Tensor
from trademaster.agents.config import DDPGConfig, SACConfig, TD3Config
from trademaster.agents.ddpg import DDPG
from trademaster.agents.registry import get_algorithm
from trademaster.agents.sac import SAC, TransitionBuffer
from trademaster.agents.td3 import TD3
from trademaster.config.strategy import validate_strategy_config
from trademaster.envs.base import ActionSpec, StepResult, VecEnv
from trademaster.envs.config import PortfolioManagementEnvConfig
from trademaster.envs.factory import build_env

pytestmark = pytest.mark.unit

# Per-step gross price relatives of [asset_up, asset_down]; cash is always 1.
_UP, _DOWN = 1.01, 0.99


class ToyPortfolioEnv(VecEnv):
    """Two assets plus cash; action = logits over [cash, up, down], softmaxed by the env.

    The observation is the last ``window`` noisy log returns per asset plus the current weights,
    so the trend is visible; reward is the log portfolio return. Episodes start at random
    offsets drawn from the env generator (only the noise differs between offsets).
    """

    def __init__(self, num_envs: int = 8, window: int = 4, episode_length: int = 16) -> None:
        self.num_envs = num_envs
        self.device = torch.device("cpu")
        self.window = window
        self.episode_length = episode_length
        self.observation_shape = (window * 2 + 3,)
        self.action_spec = ActionSpec.continuous((3,), -3.0, 3.0)
        path_gen = torch.Generator().manual_seed(0)
        noise = 0.002 * torch.randn((512, 2), generator=path_gen)
        self.log_returns = torch.log(torch.tensor([_UP, _DOWN])) + noise
        self.generator = torch.Generator().manual_seed(0)
        self.t = torch.zeros(num_envs, dtype=torch.long)
        self.steps = torch.zeros(num_envs, dtype=torch.long)
        self.weights = torch.full((num_envs, 3), 1.0 / 3.0)
        self.ep_return = torch.zeros(num_envs)

    def _starts(self, n: int) -> Tensor:
        high = self.log_returns.shape[0] - self.episode_length - 1
        return torch.randint(self.window, high, (n,), generator=self.generator)

    def _obs(self) -> Tensor:
        offsets = torch.arange(-self.window + 1, 1)
        hist = self.log_returns[self.t[:, None] + offsets]  # [N, window, 2]
        return torch.cat([hist.flatten(1) * 100.0, self.weights], dim=1)

    def reset(self, *, seed: int | None = None) -> Tensor:
        if seed is not None:
            self.generator.manual_seed(seed)
        self.t = self._starts(self.num_envs)
        self.steps.zero_()
        self.weights.fill_(1.0 / 3.0)
        self.ep_return.zero_()
        return self._obs()

    def step(self, actions: Tensor) -> StepResult:
        weights = torch.softmax(actions.float(), dim=1)
        relatives = torch.cat([torch.ones(self.num_envs, 1), self.log_returns[self.t + 1].exp()], 1)
        growth = (weights * relatives).sum(1)
        reward = torch.log(growth)
        self.weights = weights * relatives / growth[:, None]
        self.t += 1
        self.steps += 1
        self.ep_return += reward
        truncated = self.steps >= self.episode_length
        terminated = torch.zeros_like(truncated)
        info = {
            "portfolio_value": growth,
            "final_observation": self._obs(),
            "episode_return": self.ep_return.clone(),
            "episode_length": self.steps.clone(),
        }
        if bool(truncated.any()):
            idx = truncated.nonzero(as_tuple=True)[0]
            self.t[idx] = self._starts(idx.numel())
            self.steps[idx] = 0
            self.weights[idx] = 1.0 / 3.0
            self.ep_return[idx] = 0.0
        return StepResult(self._obs(), reward, terminated, truncated, info)

    def state_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator.get_state(),
            "t": self.t.clone(),
            "steps": self.steps.clone(),
            "weights": self.weights.clone(),
            "ep_return": self.ep_return.clone(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
        self.t = state["t"].clone()
        self.steps = state["steps"].clone()
        self.weights = state["weights"].clone()
        self.ep_return = state["ep_return"].clone()


def _evaluate(policy: torch.nn.Module, env: ToyPortfolioEnv) -> tuple[float, float]:
    """Mean per-step log return of the deterministic policy and its mean weight on the up asset."""
    obs = env.reset(seed=123)
    rewards, up_weights = [], []
    for _ in range(env.episode_length):
        with torch.no_grad():
            actions = policy.act(obs, deterministic=True)
        up_weights.append(torch.softmax(actions, 1)[:, 1].mean().item())
        result = env.step(actions)
        rewards.append(result.reward.mean().item())
        obs = result.obs
    return sum(rewards) / len(rewards), sum(up_weights) / len(up_weights)


_EQUAL_WEIGHT_LOG_RETURN = math.log((1.0 + _UP + _DOWN) / 3.0)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


_SAC_SMALL = SACConfig(
    hidden_sizes=(32, 32),
    learning_starts=128,
    batch_size=64,
    buffer_size=5_000,
    q_lr=3e-3,
    policy_lr=3e-3,
    gamma=0.9,
    steps_per_iteration=4,
)
_TD3_SMALL = TD3Config(
    hidden_sizes=(32, 32),
    learning_starts=128,
    batch_size=64,
    buffer_size=5_000,
    q_lr=3e-3,
    policy_lr=3e-3,
    gamma=0.9,
    steps_per_iteration=4,
)
_DDPG_SMALL = DDPGConfig(
    hidden_sizes=(32, 32),
    learning_starts=128,
    batch_size=64,
    buffer_size=5_000,
    q_lr=3e-3,
    policy_lr=3e-3,
    gamma=0.9,
    steps_per_iteration=4,
)
_AGENTS = [(SAC, _SAC_SMALL), (TD3, _TD3_SMALL), (DDPG, _DDPG_SMALL)]
# DDPG (deterministic actor, no target smoothing) is still between the cash and trend
# corners at 1,600 steps: whether it has crossed 0.8 then depends on the CPU's float rounding
# (passed on AMD EPYC, failed on an AVX-512 Xeon). At 3,200 it sits at the trend corner.
_REAL_ENV_STEPS: dict[type, int] = {DDPG: 3_200}


@pytest.mark.parametrize(("algorithm_cls", "config"), _AGENTS)
def test_agent_shifts_weight_to_trending_asset_and_beats_equal_weight(
    algorithm_cls: type, config: Any
) -> None:
    algo = algorithm_cls(ToyPortfolioEnv(), config, seed=1, device=torch.device("cpu"))
    before_return, before_up = _evaluate(algo.policy, ToyPortfolioEnv())
    returns = []
    while algo.global_step < 1_600:
        metrics = algo.train_iteration()
        if "charts/episodic_return" in metrics:
            returns.append(metrics["charts/episodic_return"])
    after_return, after_up = _evaluate(algo.policy, ToyPortfolioEnv())

    assert after_up > before_up + 0.3
    assert after_up > 0.7
    assert after_return > _EQUAL_WEIGHT_LOG_RETURN + 0.004
    assert "losses/qf1_loss" in metrics and "losses/actor_loss" in metrics
    assert returns[-1] > returns[0]


def _trending_portfolio_env() -> VecEnv:
    """The real PortfolioManagementEnv (logit actions, fees) on a panel where asset 0 trends up."""
    rng = np.random.default_rng(0)
    log_ret = np.asarray([0.006, 0.0, -0.006]) + 0.005 * rng.standard_normal((400, 3))
    close = 100.0 * np.exp(np.cumsum(log_ret, axis=0))
    features = (100.0 * log_ret)[:, :, None].astype(np.float32)
    config = PortfolioManagementEnvConfig(
        num_envs=4, window=8, episode_length=32, fee_rate=0.001, fill_timing="next_close"
    )
    return build_env(config, {"close": close, "features": features}, device="cpu")


@pytest.mark.parametrize(("algorithm_cls", "config"), _AGENTS)
def test_agent_learns_on_real_portfolio_env_with_logit_actions(
    algorithm_cls: type, config: Any
) -> None:
    algo = algorithm_cls(_trending_portfolio_env(), config, seed=3, device=torch.device("cpu"))
    while algo.global_step < _REAL_ENV_STEPS.get(algorithm_cls, 1_600):
        algo.train_iteration()

    env = _trending_portfolio_env()
    obs = env.reset(seed=321)
    up_weights, rewards, equal_rewards = [], [], []
    equal_env = _trending_portfolio_env()
    equal_env.reset(seed=321)
    for _ in range(32):
        actions = algo.policy.act(obs, deterministic=True)
        assert bool((actions.abs() <= config.logit_limit).all())
        up_weights.append(torch.softmax(actions, 1)[:, 1].mean().item())
        result = env.step(actions)
        rewards.append(result.reward.mean().item())
        equal_rewards.append(equal_env.step(torch.zeros(4, 4)).reward.mean().item())
        obs = result.obs

    assert sum(up_weights) / 32 > 0.8
    assert sum(rewards) / 32 > sum(equal_rewards) / 32 + 0.002


def _train(algo: SAC | TD3, iterations: int) -> list[dict[str, float]]:
    trace = []
    for _ in range(iterations):
        metrics = algo.train_iteration()
        metrics.pop("charts/SPS")
        trace.append(metrics)
    return trace


@pytest.mark.parametrize(("algorithm_cls", "config"), _AGENTS)
def test_resume_from_state_dict_is_bit_exact(algorithm_cls: type, config: Any) -> None:
    cpu = torch.device("cpu")
    uninterrupted = algorithm_cls(ToyPortfolioEnv(), config, seed=7, device=cpu)
    full_trace = _train(uninterrupted, 80)

    first = algorithm_cls(ToyPortfolioEnv(), config, seed=7, device=cpu)
    head = _train(first, 40)
    checkpoint = first.state_dict()
    _train(first, 5)  # must not leak into the checkpoint
    resumed = algorithm_cls(ToyPortfolioEnv(), config, seed=99, device=cpu)
    resumed.load_state_dict(checkpoint)
    tail = _train(resumed, 40)

    assert head + tail == full_trace
    assert resumed.global_step == uninterrupted.global_step
    final_a, final_b = uninterrupted.state_dict(), resumed.state_dict()
    for key in algorithm_cls._MODELS:
        for name, tensor in final_a[key].items():
            assert torch.equal(tensor, final_b[key][name]), f"{key}.{name}"
    assert torch.equal(final_a["buffer"]["obs"], final_b["buffer"]["obs"])


def test_sac_rejects_discrete_action_space() -> None:
    env = ToyPortfolioEnv()
    env.action_spec = ActionSpec.discrete(3)
    with pytest.raises(ValueError, match="continuous action space"):
        SAC(env, _SAC_SMALL, seed=0, device=torch.device("cpu"))


def test_transition_buffer_wraps_around_and_round_trips() -> None:
    buffer = TransitionBuffer(5, (2,), (1,), device=torch.device("cpu"), seed=0)
    for step in range(3):
        value = torch.full((2, 2), float(step))
        buffer.add(value, value[:, :1], value[:, 0], value, torch.zeros(2, dtype=torch.bool))
    assert buffer.size == 5 and buffer.pos == 1
    assert buffer.obs[0, 0].item() == 2.0  # the 6th transition overwrote the oldest slot
    clone = TransitionBuffer(5, (2,), (1,), device=torch.device("cpu"), seed=42)
    clone.load_state_dict(buffer.state_dict())
    assert torch.equal(clone.sample(16).obs, buffer.sample(16).obs)


def test_registry_resolves_sac_td3_and_ddpg() -> None:
    assert get_algorithm("sac") is SAC
    assert get_algorithm("td3") is TD3
    assert get_algorithm("ddpg") is DDPG


def test_ddpg_update_is_the_published_one() -> None:
    """One DDPG update by hand on the same batch: critic to r + gamma (1 - d) Q'(s', mu'(s'))
    (one critic, no target noise), then the actor ascends the UPDATED critic, then Polyak."""
    algo = DDPG(ToyPortfolioEnv(), _DDPG_SMALL, seed=2, device=torch.device("cpu"))
    while algo.global_step < 200:
        algo.train_iteration()
    ref = copy.deepcopy(algo)
    metrics = algo._update()

    cfg = _DDPG_SMALL
    batch = ref.buffer.sample(cfg.batch_size)  # same buffer RNG state: the same batch
    with torch.no_grad():
        next_q = ref.qf1_target(batch.next_obs, ref.actor_target(batch.next_obs))
        target = batch.rewards + (1.0 - batch.terminated) * cfg.gamma * next_q
    q_loss = ((ref.qf1(batch.obs, batch.actions) - target) ** 2).mean()
    ref.q_optimizer.zero_grad()
    q_loss.backward()
    ref.q_optimizer.step()
    actor_loss = -ref.qf1(batch.obs, ref.actor(batch.obs)).mean()
    ref.actor_optimizer.zero_grad()
    actor_loss.backward()
    ref.actor_optimizer.step()
    assert metrics["losses/qf1_loss"] == pytest.approx(q_loss.item(), rel=1e-6)
    assert metrics["losses/actor_loss"] == pytest.approx(actor_loss.item(), rel=1e-6)
    for name in ("actor", "qf1"):
        for ours, want in zip(
            getattr(algo, name).parameters(), getattr(ref, name).parameters(), strict=True
        ):
            torch.testing.assert_close(ours, want)
    for ours_t, old_t, new in zip(
        algo.qf1_target.parameters(),
        ref.qf1_target.parameters(),
        ref.qf1.parameters(),
        strict=True,
    ):
        torch.testing.assert_close(ours_t, (1 - cfg.tau) * old_t + cfg.tau * new)


def test_ddpg_config_errors_name_the_field() -> None:
    violations = validate_strategy_config(
        "portfolio_management", "ddpg", {"agent_params": {"tau": 0, "batch_size": 10**6}}
    )
    assert sorted(v.field for v in violations) == ["agent_params.batch_size", "agent_params.tau"]
    assert validate_strategy_config("portfolio_management", "ddpg", {}) == []
