"""TD3 (Fujimoto et al. 2018) for continuous-action VecEnvs, CleanRL-style.

Twin critics (the TD target takes their minimum), target policy smoothing (clipped Gaussian noise
on the target action) and delayed actor/target updates. Actions lie in the env's action box; for
portfolio management the env (``action_is_logits=True``) maps them onto the simplex by softmax.
Noise scales are fractions of the box half-width.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from typing import TYPE_CHECKING, Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from trademaster.agents.base import Algorithm, EpisodeStats, Policy
from trademaster.agents.config import TD3Config
from trademaster.agents.sac import (
    QNetwork,
    TransitionBuffer,
    build_mlp,
    continuous_box,
    init_models_seeded,
    polyak_update,
)

if TYPE_CHECKING:
    from trademaster.envs.base import VecEnv

_LOGGER = logging.getLogger(__name__)


class DeterministicActor(Policy):
    """tanh MLP into ``[low, high]``; stochastic ``act`` adds the configured exploration noise."""

    action_scale: Tensor
    action_bias: Tensor

    def __init__(
        self,
        obs_dim: int,
        action_shape: tuple[int, ...],
        hidden_sizes: tuple[int, ...],
        low: float,
        high: float,
        exploration_noise: float,
    ) -> None:
        super().__init__()
        self.action_shape = action_shape
        self.low = low
        self.high = high
        self.exploration_noise = exploration_noise
        self.net = build_mlp(obs_dim, hidden_sizes, math.prod(action_shape))
        self.register_buffer("action_scale", torch.tensor((high - low) / 2.0))
        self.register_buffer("action_bias", torch.tensor((high + low) / 2.0))

    def forward(self, obs: Tensor) -> Tensor:
        out = torch.tanh(self.net(obs.flatten(1).float()))
        return (out * self.action_scale + self.action_bias).reshape(
            obs.shape[0], *self.action_shape
        )

    def noisy(self, obs: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Greedy action plus Gaussian exploration noise, clipped to the box."""
        action = self(obs)
        noise = torch.randn(action.shape, generator=generator, device=action.device)
        action = action + noise * self.action_scale * self.exploration_noise
        return action.clamp(self.low, self.high)

    def act(self, obs: Tensor, *, deterministic: bool, action_mask: Tensor | None = None) -> Tensor:
        with torch.no_grad():
            return self(obs) if deterministic else self.noisy(obs)


class TD3(Algorithm):
    """Off-policy TD3: one vector step then ``gradient_steps`` updates, repeated per iteration."""

    name: ClassVar[str] = "td3"

    def __init__(self, env: VecEnv, config: TD3Config, *, seed: int, device: torch.device) -> None:
        self.env = env
        self.config = config
        self.device = torch.device(device)
        shape, self.low, self.high = continuous_box(env.action_spec, "TD3", config.logit_limit)
        self.action_shape = shape
        obs_dim = math.prod(env.observation_shape)
        act_dim = math.prod(shape)
        hidden = config.hidden_sizes

        def build() -> tuple[Any, ...]:
            actor = DeterministicActor(
                obs_dim, shape, hidden, self.low, self.high, config.exploration_noise
            )
            return actor, QNetwork(obs_dim, act_dim, hidden), QNetwork(obs_dim, act_dim, hidden)

        actor, qf1, qf2 = init_models_seeded(seed, build)
        self.actor: DeterministicActor = actor.to(self.device)
        self.policy = self.actor
        self.qf1 = qf1.to(self.device)
        self.qf2 = qf2.to(self.device)
        self.actor_target = copy.deepcopy(self.actor)
        self.qf1_target = copy.deepcopy(self.qf1)
        self.qf2_target = copy.deepcopy(self.qf2)
        self.q_optimizer = torch.optim.Adam(
            list(self.qf1.parameters()) + list(self.qf2.parameters()), lr=config.q_lr
        )
        self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=config.policy_lr)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed)
        self.buffer = TransitionBuffer(
            config.buffer_size, env.observation_shape, shape, device=self.device, seed=seed + 1
        )
        self.episodes = EpisodeStats()
        self.global_step = 0
        self.update_count = 0
        self.obs = env.reset(seed=seed).to(self.device)

    def _explore(self) -> Tensor:
        if self.global_step < self.config.learning_starts:
            u = torch.rand(
                (self.env.num_envs, *self.action_shape),
                generator=self.generator,
                device=self.device,
            )
            return self.low + (self.high - self.low) * u
        with torch.no_grad():
            return self.actor.noisy(self.obs, self.generator)

    def train_iteration(self) -> dict[str, float]:
        start = time.perf_counter()
        sums: dict[str, float] = {}
        counts: dict[str, int] = {}
        for _ in range(self.config.steps_per_iteration):
            actions = self._explore()
            result = self.env.step(actions)
            done = result.terminated | result.truncated
            next_obs = result.obs.to(self.device)
            real_next = next_obs
            if bool(done.any()):
                mask = done.to(self.device).reshape(-1, *([1] * (next_obs.dim() - 1)))
                real_next = torch.where(mask, result.info["final_observation"], next_obs)
            rewards = result.reward.to(self.device) * self.config.reward_scale
            self.buffer.add(self.obs, actions, rewards, real_next, result.terminated)
            self.episodes.record(result.info, done)
            self.obs = next_obs
            self.global_step += self.env.num_envs
            if self.global_step >= self.config.learning_starts:
                for _ in range(self.config.gradient_steps):
                    for key, value in self._update().items():
                        sums[key] = sums.get(key, 0.0) + value
                        counts[key] = counts.get(key, 0) + 1
        metrics = {key: value / counts[key] for key, value in sums.items()}
        elapsed = time.perf_counter() - start
        steps = self.config.steps_per_iteration * self.env.num_envs
        metrics["charts/SPS"] = steps / elapsed if elapsed > 0 else 0.0
        self.episodes.drain(metrics)
        return metrics

    def _update(self) -> dict[str, float]:
        cfg = self.config
        batch = self.buffer.sample(cfg.batch_size)
        scale = self.actor.action_scale
        with torch.no_grad():
            noise = torch.randn(batch.actions.shape, generator=self.generator, device=self.device)
            noise = (noise * cfg.policy_noise).clamp(-cfg.noise_clip, cfg.noise_clip) * scale
            next_actions = (self.actor_target(batch.next_obs) + noise).clamp(self.low, self.high)
            min_next_q = torch.min(
                self.qf1_target(batch.next_obs, next_actions),
                self.qf2_target(batch.next_obs, next_actions),
            )
            target_q = batch.rewards + (1.0 - batch.terminated) * cfg.gamma * min_next_q
        qf1_values = self.qf1(batch.obs, batch.actions)
        qf2_values = self.qf2(batch.obs, batch.actions)
        qf1_loss = F.mse_loss(qf1_values, target_q)
        qf2_loss = F.mse_loss(qf2_values, target_q)
        self.q_optimizer.zero_grad()
        (qf1_loss + qf2_loss).backward()
        self.q_optimizer.step()
        out = {
            "losses/qf1_loss": qf1_loss.item(),
            "losses/qf2_loss": qf2_loss.item(),
            "losses/qf1_values": qf1_values.mean().item(),
            "losses/qf2_values": qf2_values.mean().item(),
        }
        if self.update_count % cfg.policy_frequency == 0:
            actor_loss = -self.qf1(batch.obs, self.actor(batch.obs)).mean()
            self.actor_optimizer.zero_grad()
            actor_loss.backward()
            self.actor_optimizer.step()
            polyak_update(self.actor, self.actor_target, cfg.tau)
            polyak_update(self.qf1, self.qf1_target, cfg.tau)
            polyak_update(self.qf2, self.qf2_target, cfg.tau)
            out["losses/actor_loss"] = actor_loss.item()
        self.update_count += 1
        return out

    def state_dict(self) -> dict[str, Any]:
        models = ("actor", "qf1", "qf2", "actor_target", "qf1_target", "qf2_target")
        state: dict[str, Any] = {
            key: {k: v.detach().clone() for k, v in getattr(self, key).state_dict().items()}
            for key in models
        }
        state.update(
            {
                "q_optimizer": copy.deepcopy(self.q_optimizer.state_dict()),
                "actor_optimizer": copy.deepcopy(self.actor_optimizer.state_dict()),
                "generator": self.generator.get_state(),
                "buffer": self.buffer.state_dict(),
                "episodes": self.episodes.state_dict(),
                "global_step": self.global_step,
                "update_count": self.update_count,
                "obs": self.obs.clone(),
                "env": self.env.state_dict(),
            }
        )
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key in ("actor", "qf1", "qf2", "actor_target", "qf1_target", "qf2_target"):
            getattr(self, key).load_state_dict(state[key])
        for key in ("q_optimizer", "actor_optimizer"):
            getattr(self, key).load_state_dict(copy.deepcopy(state[key]))
        self.generator.set_state(state["generator"])
        self.buffer.load_state_dict(state["buffer"])
        self.episodes.load_state_dict(state["episodes"])
        self.global_step = int(state["global_step"])
        self.update_count = int(state["update_count"])
        self.obs = state["obs"].to(self.device).clone()
        self.env.load_state_dict(state["env"])
