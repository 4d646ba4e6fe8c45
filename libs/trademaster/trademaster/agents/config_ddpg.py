"""DDPG's typed, torch-free config: its own module so that SARL's config can extend it."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

_LOGGER = logging.getLogger(__name__)

_HiddenSizes = tuple[Annotated[int, Field(ge=1, le=4096)], ...]


class DDPGParams(BaseModel):
    """DDPG (Lillicrap et al. 2016): one critic, a deterministic actor, soft target updates.

    Exploration is Gaussian noise on the actor's action (as in TD3/SB3; the paper's
    Ornstein-Uhlenbeck noise brought no benefit in later studies). Noise scales are fractions of
    the action box half-width; for portfolio management the env maps actions by softmax.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    buffer_size: int = Field(
        100_000, ge=1, le=10_000_000, description="Replay buffer capacity in transitions."
    )
    learning_starts: int = Field(
        1_000, ge=0, description="Env steps of uniform random actions before updates begin."
    )
    batch_size: int = Field(256, ge=1, le=65_536, description="Transitions per gradient step.")
    gamma: float = Field(0.99, gt=0.0, le=1.0, description="Discount factor per env step.")
    tau: float = Field(
        0.005, gt=0.0, le=1.0, description="Polyak coefficient for target actor and critic."
    )
    policy_lr: float = Field(1e-3, gt=0.0, le=1.0, description="Adam learning rate of the actor.")
    q_lr: float = Field(1e-3, gt=0.0, le=1.0, description="Adam learning rate of the critic.")
    exploration_noise: float = Field(
        0.1, ge=0.0, le=10.0, description="Std of Gaussian noise added to actions when acting."
    )
    hidden_sizes: _HiddenSizes = Field(
        (256, 256), min_length=1, description="Hidden layer widths of the actor and critic MLPs."
    )
    reward_scale: float = Field(
        100.0,
        gt=0.0,
        le=1e6,
        description="Multiplier on env rewards for the critic; per-step log returns are ~1e-3, "
        "too small for Q-networks to resolve unscaled.",
    )
    logit_limit: float = Field(
        5.0,
        gt=0.0,
        le=100.0,
        description="Actions are squashed into [-limit, limit] when the env's action space is "
        "unbounded (portfolio logits); bounded boxes are used as they are.",
    )
    steps_per_iteration: int = Field(
        1, ge=1, description="Vector env steps collected per training iteration."
    )
    gradient_steps: int = Field(
        1, ge=1, description="Gradient steps after each vector env step (once learning starts)."
    )


class DDPGConfig(DDPGParams):
    """DDPG's hyperparameters with its name (see :class:`DDPGParams`)."""

    agent: Literal["ddpg"] = Field("ddpg", description="Algorithm name (discriminator).")
