"""Vanilla policy gradient (REINFORCE, Williams 1992): TradeMaster's RLlib ``PG`` baseline.

The update is PPO's machinery at the settings where it IS REINFORCE: one epoch over one
minibatch (the probability ratio is 1, so the clipped surrogate's gradient is ``-G grad log
pi``), no value loss, and a critic whose output layer is pinned at zero. With ``V = 0`` and
GAE lambda 1 the rollout's advantages are exactly the discounted reward-to-go ``G_t``, reset at
episode ends and cut (not bootstrapped) at the rollout end and at time-limit truncations. The
critic never moves: its gradient is exactly zero (``vf_coef = 0``), and Adam's step on a zero
gradient is zero. The numpy CPU path, checkpoints and resume are PPO's.
"""

from __future__ import annotations

import logging
from typing import ClassVar

import torch
from torch import nn

from trademaster.agents.config import PPOConfig
from trademaster.agents.config_published import PGConfig
from trademaster.agents.ppo import PPO
from trademaster.envs.base import VecEnv

_LOGGER = logging.getLogger(__name__)


def as_ppo(config: PGConfig) -> PPOConfig:
    """The PPO settings whose update is this REINFORCE update (see the module docstring)."""
    return PPOConfig(
        hidden_sizes=config.hidden_sizes,
        learning_rate=config.learning_rate,
        num_steps=config.num_steps,
        gamma=config.gamma,
        gae_lambda=1.0,
        num_minibatches=1,
        update_epochs=1,
        norm_adv=config.norm_returns,
        clip_vloss=False,
        ent_coef=config.ent_coef,
        vf_coef=0.0,
        max_grad_norm=config.max_grad_norm,
        continuous_distribution=config.continuous_distribution,
        init_log_std=config.init_log_std,
    )


class PG(PPO):
    """REINFORCE on discrete or continuous envs: one gradient step per rollout, no critic."""

    name: ClassVar[str] = "pg"

    def __init__(self, env: VecEnv, config: PGConfig, *, seed: int, device: torch.device) -> None:
        super().__init__(env, as_ppo(config), seed=seed, device=device)
        self.config = config
        last = self.policy.critic[-1]
        assert isinstance(last, nn.Linear)
        with torch.no_grad():
            last.weight.zero_()
            last.bias.zero_()

    def train_iteration(self) -> dict[str, float]:
        metrics = super().train_iteration()
        # Not meaningful without a critic: V is 0 by construction.
        for key in ("losses/value_loss", "losses/explained_variance"):
            metrics.pop(key, None)
        return metrics
