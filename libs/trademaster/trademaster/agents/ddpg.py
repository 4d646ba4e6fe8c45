"""DDPG (Lillicrap et al. 2016) for continuous-action VecEnvs: TD3's parts without its fixes.

One critic, TD target ``r + gamma (1 - terminated) Q'(s', mu'(s'))`` from the target actor and
critic (no target smoothing, no twin minimum), actor and targets updated after every critic step.
Replay, warm-up, Gaussian exploration and checkpoints are shared with SAC/TD3.
"""

from __future__ import annotations

import copy
import logging
import math
from typing import TYPE_CHECKING, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from trademaster.agents.config import DDPGConfig
from trademaster.agents.sac import (
    QNetwork,
    TwinCriticAlgorithm,
    continuous_box,
    init_models_seeded,
    polyak_update,
)
from trademaster.agents.td3 import DeterministicActor

if TYPE_CHECKING:
    from trademaster.envs.base import VecEnv

_LOGGER = logging.getLogger(__name__)


class DDPG(TwinCriticAlgorithm):
    """Off-policy DDPG: one vector step then ``gradient_steps`` updates, repeated per iteration."""

    name: ClassVar[str] = "ddpg"
    config: DDPGConfig
    _MODELS = ("actor", "qf1", "actor_target", "qf1_target")

    def __init__(self, env: VecEnv, config: DDPGConfig, *, seed: int, device: torch.device) -> None:
        self.env = env
        self.config = config
        self.device = torch.device(device)
        shape, self.low, self.high = continuous_box(env.action_spec, "DDPG", config.logit_limit)
        self.action_shape = shape
        obs_dim = math.prod(env.observation_shape)
        hidden = config.hidden_sizes

        def build() -> tuple[nn.Module, ...]:
            actor = DeterministicActor(
                obs_dim, shape, hidden, self.low, self.high, config.exploration_noise
            )
            return actor, QNetwork(obs_dim, math.prod(shape), hidden)

        actor, qf1 = init_models_seeded(seed, build)
        self.actor: DeterministicActor = actor.to(self.device)
        self.policy = self.actor
        self.qf1 = qf1.to(self.device)
        self.actor_target = copy.deepcopy(self.actor)
        self.qf1_target = copy.deepcopy(self.qf1)
        self._init_training(seed)

    def _critic_parameters(self) -> list[nn.Parameter]:
        return list(self.qf1.parameters())

    def _policy_explore(self) -> Tensor:
        return self.actor.noisy(self.obs, self.generator)

    def _update(self) -> dict[str, float]:
        cfg = self.config
        batch = self.buffer.sample(cfg.batch_size)
        with torch.no_grad():
            next_q = self.qf1_target(batch.next_obs, self.actor_target(batch.next_obs))
            target_q = batch.rewards + (1.0 - batch.terminated) * cfg.gamma * next_q
        q_values = self.qf1(batch.obs, batch.actions)
        q_loss = F.mse_loss(q_values, target_q)
        self.q_optimizer.zero_grad()
        q_loss.backward()
        self.q_optimizer.step()
        actor_loss = -self.qf1(batch.obs, self.actor(batch.obs)).mean()
        self.actor_optimizer.zero_grad()
        actor_loss.backward()
        self.actor_optimizer.step()
        polyak_update(self.actor, self.actor_target, cfg.tau)
        polyak_update(self.qf1, self.qf1_target, cfg.tau)
        self.update_count += 1
        return {
            "losses/qf1_loss": q_loss.item(),
            "losses/qf1_values": q_values.mean().item(),
            "losses/actor_loss": actor_loss.item(),
        }
