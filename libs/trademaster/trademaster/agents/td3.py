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
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import Tensor

from trademaster.agents.base import Policy
from trademaster.agents.config import TD3Config
from trademaster.agents.sac import (
    QNetwork,
    TwinCriticAlgorithm,
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


class TD3(TwinCriticAlgorithm):
    """Off-policy TD3: one vector step then ``gradient_steps`` updates, repeated per iteration."""

    name: ClassVar[str] = "td3"
    config: TD3Config
    _MODELS = ("actor", "qf1", "qf2", "actor_target", "qf1_target", "qf2_target")

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
        self._init_training(seed)

    def _policy_explore(self) -> Tensor:
        return self.actor.noisy(self.obs, self.generator)

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
        out = self._critic_step(batch, target_q)
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
