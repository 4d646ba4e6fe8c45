"""DQN/PPO: really learn on learnable price paths, respect masks, n-step replay, registry."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from toy_env import AlternatingPriceEnv  # noqa: E402
from trademaster.agents.baselines import FlatPolicy  # noqa: E402
from trademaster.agents.buffers import ReplayBuffer  # noqa: E402
from trademaster.agents.config import DQNConfig, PPOConfig  # noqa: E402
from trademaster.agents.dqn import DQN, linear_epsilon  # noqa: E402
from trademaster.agents.ppo import PPO  # noqa: E402
from trademaster.agents.registry import get_algorithm  # noqa: E402
from trademaster.config.run import build_run_spec  # noqa: E402
from trademaster.training.pipeline import load_dataset, make_env  # noqa: E402
from trademaster.training.trainer import evaluate_policy  # noqa: E402

pytestmark = pytest.mark.unit

CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def train(alg: DQN | PPO, steps: int) -> None:
    while alg.global_step < steps:
        alg.train_iteration()


def test_dqn_learns_alternating_prices_and_beats_flat() -> None:
    env = AlternatingPriceEnv(8)
    cfg = DQNConfig(
        hidden_sizes=(32, 32),
        learning_starts=200,
        exploration_steps=2_000,
        target_update_interval=200,
        buffer_size=5_000,
        n_step=3,
    )
    alg = DQN(env, cfg, seed=1, device=CPU)
    train(alg, 5_000)
    trained = evaluate_policy(alg.policy, AlternatingPriceEnv(4), episodes=8, seed=7)
    flat = evaluate_policy(FlatPolicy(env.action_spec), AlternatingPriceEnv(4), episodes=8, seed=7)
    assert flat.metrics["eval/mean_return"] == 0.0
    assert trained.metrics["eval/mean_return"] > 12.0  # optimum is 16


@pytest.mark.parametrize("continuous", [False, True])
def test_ppo_learns_alternating_prices_and_beats_flat(continuous: bool) -> None:
    env = AlternatingPriceEnv(8, continuous=continuous)
    cfg = PPOConfig(hidden_sizes=(32, 32), num_steps=64, learning_rate=3e-3)
    alg = PPO(env, cfg, seed=1, device=CPU)
    train(alg, 12_000)
    eval_env = AlternatingPriceEnv(4, continuous=continuous)
    trained = evaluate_policy(alg.policy, eval_env, episodes=8, seed=7)
    assert trained.metrics["eval/mean_return"] > 12.0


def test_dqn_and_ppo_beat_flat_on_synthetic_sine_market() -> None:
    dataset = load_dataset("synthetic", train_fraction=0.7, valid_fraction=0.15)
    for name, steps in (("dqn", 4_000), ("ppo", 8_192)):
        run = build_run_spec("algorithmic_trading", name, "synthetic")
        env = make_env(run, dataset, "train", evaluation=False, seed=0)
        alg = get_algorithm(name)(env, run_agent_config(name), seed=0, device=CPU)
        train(alg, steps)
        valid = make_env(run, dataset, "valid", evaluation=True, seed=0)
        trained = evaluate_policy(alg.policy, valid, episodes=1, seed=0).metrics
        flat = evaluate_policy(FlatPolicy(valid.action_spec), valid, episodes=1, seed=0).metrics
        assert trained["eval/total_return"] > flat["eval/total_return"] + 0.05, name


def run_agent_config(name: str) -> DQNConfig | PPOConfig:
    if name == "dqn":
        return DQNConfig(learning_starts=500, exploration_steps=2_000, buffer_size=10_000)
    return PPOConfig(num_steps=64, learning_rate=1e-3)


def test_dqn_never_takes_masked_actions() -> None:
    env = AlternatingPriceEnv(8, masked=True)
    seen: list[torch.Tensor] = []
    original = env.step

    def spy(actions: torch.Tensor):  # type: ignore[no-untyped-def]
        seen.append(actions.clone())
        return original(actions)

    env.step = spy  # type: ignore[method-assign]
    alg = DQN(env, DQNConfig(learning_starts=64, batch_size=16), seed=0, device=CPU)
    train(alg, 800)
    actions = torch.cat(seen)
    assert not bool((actions == 0).any())
    assert set(actions.unique().tolist()) == {1, 2}


def test_ppo_masked_discrete_never_samples_masked_actions() -> None:
    env = AlternatingPriceEnv(4, masked=True)
    alg = PPO(env, PPOConfig(num_steps=32, num_minibatches=2), seed=0, device=CPU)
    train(alg, 512)
    assert not bool((alg.rollout.actions == 0).any())


def test_epsilon_schedule_is_linear_then_flat() -> None:
    assert linear_epsilon(0, initial=1.0, final=0.1, decay_steps=100) == 1.0
    assert linear_epsilon(50, initial=1.0, final=0.1, decay_steps=100) == pytest.approx(0.55)
    assert linear_epsilon(1_000, initial=1.0, final=0.1, decay_steps=100) == pytest.approx(0.1)


def test_replay_n_step_returns_stop_at_episode_end_and_newest_step() -> None:
    buf = ReplayBuffer(10, 1, (1,), device=CPU)
    for t in range(4):
        ended = torch.tensor([t == 1])
        buf.add(
            torch.tensor([[float(t)]]),
            torch.tensor([0]),
            torch.tensor([1.0]),
            torch.tensor([[float(t + 1)]]),
            terminated=ended,
            truncated=torch.tensor([False]),
        )
    batch = buf.sample(64, gamma=0.5, n_step=3, rng=np.random.default_rng(0))
    by_start = {
        int(o): (float(r), float(d), float(n))
        for o, r, d, n in zip(
            batch.obs[:, 0], batch.returns, batch.discount, batch.next_obs[:, 0], strict=True
        )
    }
    assert by_start[0] == (1.5, 0.0, 2.0)  # 2 steps then terminal: no bootstrap
    assert by_start[1] == (1.0, 0.0, 2.0)
    assert by_start[2] == (1.5, 0.25, 4.0)  # cut at the newest stored step
    assert by_start[3] == (1.0, 0.5, 4.0)


def test_dqn_rejects_continuous_env() -> None:
    with pytest.raises(ValueError, match="discrete"):
        DQN(AlternatingPriceEnv(2, continuous=True), DQNConfig(), seed=0, device=CPU)


def test_registry_resolves_builtin_names_and_rejects_unknown() -> None:
    assert get_algorithm("dqn") is DQN
    assert get_algorithm("ppo") is PPO
    with pytest.raises(KeyError, match="unknown algorithm 'nope'"):
        get_algorithm("nope")
