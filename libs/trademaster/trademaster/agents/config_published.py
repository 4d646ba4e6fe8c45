"""Typed, torch-free configs of TradeMaster's published algorithms (kept apart from the generic
agents' ``config`` module, which re-exports them in ``AGENT_CONFIGS``)."""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_LOGGER = logging.getLogger(__name__)


class PGConfig(BaseModel):
    """Vanilla policy gradient (REINFORCE, Williams 1992), TradeMaster's RLlib ``PG`` baseline.

    Each update is one gradient step on ``-mean(G_t log pi(a_t|s_t))`` over a rollout, with
    ``G_t`` the discounted Monte Carlo reward-to-go: no critic, no baseline, no bootstrapping
    (a rollout cut ends the sum, as RLlib's ``truncate_episodes``), so make ``num_steps`` at
    least the episode length for whole-episode returns.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent: Literal["pg"] = Field("pg", description="Algorithm name (discriminator).")
    hidden_sizes: tuple[int, ...] = Field(
        (64, 64), min_length=1, description="Hidden layer widths of the policy MLP."
    )
    learning_rate: float = Field(4e-4, gt=0, le=1, description="Adam learning rate (RLlib's).")
    num_steps: int = Field(
        64, ge=1, description="Rollout length per env per update (returns are cut at its end)."
    )
    gamma: float = Field(0.99, ge=0, le=1, description="Discount factor of the returns.")
    norm_returns: bool = Field(
        False, description="Standardise the returns per update (off in published REINFORCE)."
    )
    ent_coef: float = Field(0.0, ge=0, description="Entropy bonus coefficient.")
    max_grad_norm: float = Field(10.0, gt=0, description="Gradient clipping norm.")
    continuous_distribution: Literal["gaussian", "squashed"] = Field(
        "squashed",
        description="Continuous actions: clipped Gaussian, or tanh-squashed into [low, high].",
    )
    init_log_std: float = Field(
        0.0, ge=-5, le=2, description="Initial log standard deviation of continuous actions."
    )
