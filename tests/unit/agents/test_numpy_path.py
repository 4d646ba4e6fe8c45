"""The CPU numpy path agrees with torch: gradients, Adam, sampling, scalar stepping, resume."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from toy_env import AlternatingPriceEnv  # noqa: E402
from trademaster.agents.config import DQNConfig, PPOConfig  # noqa: E402
from trademaster.agents.dqn import DQN  # noqa: E402
from trademaster.agents.networks import ActorCritic, QNetwork, adam  # noqa: E402
from trademaster.agents.numpy_grad import NumpyAdam  # noqa: E402
from trademaster.agents.numpy_path import NumpyEnvDriver  # noqa: E402
from trademaster.agents.ppo import PPO  # noqa: E402
from trademaster.agents.ppo_numpy import ppo_numpy_gradients  # noqa: E402
from trademaster.config.run import build_run_spec  # noqa: E402
from trademaster.envs.base import ActionSpec  # noqa: E402
from trademaster.training.pipeline import load_dataset, make_env  # noqa: E402

pytestmark = pytest.mark.unit

CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def torch_grads(module: torch.nn.Module) -> list[np.ndarray]:
    return [p.grad.numpy().copy() for p in module.parameters()]  # type: ignore[union-attr]


@pytest.mark.parametrize("dueling", [False, True])
def test_q_network_backward_matches_autograd(dueling: bool) -> None:
    torch.manual_seed(0)
    net = QNetwork(7, 4, (16, 8), dueling=dueling)
    obs = torch.randn(12, 7)
    grad_q = torch.randn(12, 4)
    net(obs).backward(grad_q)
    twin = net.numpy_twin()
    q, cache = twin.forward(obs.numpy())
    np.testing.assert_allclose(q, net(obs).detach().numpy(), rtol=1e-5, atol=1e-6)
    grads = twin.backward(cache, grad_q.numpy())
    assert [g.shape for g in grads] == [tuple(p.shape) for p in net.parameters()]
    for ours, ref in zip(grads, torch_grads(net), strict=True):
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-6)


def _ppo_part(alg: PPO, n: int, seed: int) -> dict[str, torch.Tensor]:
    """A minibatch with perturbed old log-probs/values so both clip branches are exercised."""
    gen = torch.Generator().manual_seed(seed)
    obs = torch.randn((n, *alg.env.observation_shape), generator=gen)
    mask = alg.env.action_mask()
    with torch.no_grad():
        raw, logp, value = alg.policy.sample(
            obs, gen, None if mask is None else mask[:1].expand(n, -1)
        )
    part = {
        "obs": obs,
        "actions": raw,
        "logp": logp + 0.3 * torch.randn(n, generator=gen),
        "adv": torch.randn(n, generator=gen),
        "ret": value + torch.randn(n, generator=gen),
        "val": value + 0.3 * torch.randn(n, generator=gen),
    }
    if mask is not None:
        part["mask"] = mask[:1].expand(n, -1).clone()
    return part


@pytest.mark.parametrize(
    ("continuous", "squashed", "masked", "clip_vloss"),
    [
        (False, True, False, True),
        (False, True, True, False),
        (True, True, False, True),
        (True, False, False, False),
    ],
)
def test_ppo_numpy_gradients_match_autograd(
    continuous: bool, squashed: bool, masked: bool, clip_vloss: bool
) -> None:
    env = AlternatingPriceEnv(4, continuous=continuous, masked=masked, window=3)
    cfg = PPOConfig(
        hidden_sizes=(16, 16),
        clip_vloss=clip_vloss,
        ent_coef=0.05,
        continuous_distribution="squashed" if squashed else "gaussian",
    )
    alg = PPO(env, cfg, seed=0, device=CPU)
    part = _ppo_part(alg, 48, seed=1)
    loss, stats = alg._minibatch_loss(part)
    alg.optimizer.zero_grad()
    loss.backward()
    grads, np_stats = ppo_numpy_gradients(
        alg._sampler, {k: v.numpy() for k, v in part.items()}, cfg
    )
    np.testing.assert_allclose(np_stats, stats.numpy(), rtol=1e-4, atol=1e-6)
    ref = torch_grads(alg.policy)
    assert len(grads) == len(ref)
    for ours, want in zip(grads, ref, strict=True):
        np.testing.assert_allclose(ours, want, rtol=1e-3, atol=1e-6)


def test_numpy_sampler_log_probs_match_torch_evaluate() -> None:
    for spec in (ActionSpec.discrete(3), ActionSpec.continuous((2,), -1.0, 1.0)):
        torch.manual_seed(0)
        policy = ActorCritic(5, spec, (8, 8))
        obs = np.random.default_rng(0).normal(size=(20, 5)).astype(np.float32)
        raw, logp, value = policy.numpy_sampler().sample(obs, np.random.default_rng(1), None)
        ref_logp, _ = policy.evaluate(torch.from_numpy(obs), torch.from_numpy(raw))
        np.testing.assert_allclose(logp, ref_logp.detach().numpy(), rtol=1e-4, atol=1e-5)
        ref_value = policy.value(torch.from_numpy(obs)).detach().numpy()
        np.testing.assert_allclose(value, ref_value, rtol=1e-5, atol=1e-6)


def test_numpy_adam_with_clipping_matches_torch() -> None:
    torch.manual_seed(0)
    ours = QNetwork(6, 3, (8,), dueling=False)
    ref = copy.deepcopy(ours)
    ours_opt = adam(ours.parameters(), lr=1e-2)
    ref_opt = torch.optim.Adam(ref.parameters(), lr=1e-2, foreach=False)
    numpy_adam = NumpyAdam(ours_opt, list(ours.parameters()))
    gen = torch.Generator().manual_seed(3)
    for _ in range(5):
        grads = [torch.randn(p.shape, generator=gen) * 3 for p in ref.parameters()]
        for p, g in zip(ref.parameters(), grads, strict=True):
            p.grad = g.clone()
        torch.nn.utils.clip_grad_norm_(ref.parameters(), 1.0)
        ref_opt.step()
        numpy_adam.step([g.numpy() for g in grads], max_grad_norm=1.0)
    for a, b in zip(ours.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    # The moments are the optimizer's own state: a torch-path resume continues from them.
    state = ours_opt.state_dict()["state"]
    torch.testing.assert_close(
        state[0]["exp_avg"], ref_opt.state_dict()["state"][0]["exp_avg"], rtol=1e-5, atol=1e-7
    )
    assert float(state[0]["step"]) == 5.0


def _market_env(num_envs: int = 1) -> Any:
    dataset = load_dataset("synthetic", train_fraction=0.7, valid_fraction=0.15)
    run = build_run_spec("algorithmic_trading", "dqn", "synthetic", env={"num_envs": num_envs})
    return make_env(run, dataset, "train", evaluation=False, seed=0)


def test_scalar_driver_steps_like_the_vector_env() -> None:
    scalar = NumpyEnvDriver(_market_env(), seed=4)
    vector = NumpyEnvDriver(_market_env(), seed=4)
    vector._scalar = None  # force the tensor path
    assert scalar.scalar and not vector.scalar
    actions = np.random.default_rng(0).integers(0, 3, 600)
    episodes = 0
    for a in actions:
        s, v = scalar.step(np.array([a])), vector.step(np.array([a]))
        np.testing.assert_array_equal(s.obs, v.obs)
        np.testing.assert_array_equal(s.next_obs, v.next_obs)
        np.testing.assert_array_equal(s.reward, v.reward)
        assert (s.terminated, s.truncated) == (v.terminated, v.truncated)
        assert s.episode_returns == v.episode_returns
        assert s.episode_lengths == v.episode_lengths
        episodes += len(s.episode_returns)
    assert episodes >= 1


@pytest.mark.parametrize("kind", ["dqn", "ppo"])
def test_one_env_scalar_path_resumes_bit_exactly(kind: str) -> None:
    def make() -> DQN | PPO:
        if kind == "dqn":
            cfg = DQNConfig(hidden_sizes=(16,), learning_starts=50, batch_size=16, buffer_size=500)
            return DQN(_market_env(), cfg, seed=2, device=CPU)
        cfg_ppo = PPOConfig(hidden_sizes=(16,), num_steps=64, num_minibatches=4, update_epochs=2)
        return PPO(_market_env(), cfg_ppo, seed=2, device=CPU)

    iterations = 100 if kind == "dqn" else 3
    full, part = make(), make()
    assert full.driver is not None and full.driver.scalar
    for _ in range(iterations):
        full.train_iteration()
        part.train_iteration()
    saved = copy.deepcopy(part.state_dict())
    resumed = make()
    resumed.load_state_dict(saved)
    for _ in range(iterations):
        a, b = full.train_iteration(), resumed.train_iteration()
        a.pop("charts/SPS")
        b.pop("charts/SPS")
        assert a == b
    net_a = full.q_network if isinstance(full, DQN) else full.policy
    net_b = resumed.q_network if isinstance(resumed, DQN) else resumed.policy
    for x, y in zip(net_a.parameters(), net_b.parameters(), strict=True):
        assert torch.equal(x, y)
