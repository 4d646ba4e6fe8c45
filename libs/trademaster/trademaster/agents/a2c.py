"""A2C (Mnih et al. 2016, the synchronous variant): PPO's rollout and loss with one update.

One ``train_iteration`` collects ``num_steps`` steps from every env and takes ONE gradient step
on the whole rollout. With one epoch over one minibatch the new policy is the one that acted,
so the PPO ratio is 1 (to float rounding), clipping never binds and the clipped-surrogate
gradient is the policy gradient ``-A grad log pi``; the rollout, advantages (GAE; lambda 1 by
default, i.e. n-step returns), numpy CPU path and checkpoints are PPO's. The optimizer is
RMSprop as published (and as in Stable-Baselines3), or Adam.
"""

from __future__ import annotations

import logging
from typing import ClassVar

import torch

from trademaster.agents.config import A2CConfig
from trademaster.agents.networks import adam
from trademaster.agents.ppo import PPO
from trademaster.envs.base import VecEnv

_LOGGER = logging.getLogger(__name__)


class A2C(PPO):
    """Advantage actor-critic on discrete or continuous envs (one update per rollout)."""

    name: ClassVar[str] = "a2c"

    def __init__(self, env: VecEnv, config: A2CConfig, *, seed: int, device: torch.device) -> None:
        self.a2c_config = config
        super().__init__(env, config.as_ppo(), seed=seed, device=device)
        self.config = config

    def _make_optimizer(self) -> torch.optim.Optimizer:
        c = self.a2c_config
        if c.optimizer == "adam":
            return adam(self.policy.parameters(), lr=c.learning_rate, eps=c.optimizer_eps)
        return torch.optim.RMSprop(
            self.policy.parameters(),
            lr=c.learning_rate,
            alpha=c.rmsprop_alpha,
            eps=c.optimizer_eps,
            foreach=True,
        )
