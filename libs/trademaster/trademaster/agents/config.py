"""Typed, torch-free agent hyperparameter configs, so services and UIs can validate them."""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_LOGGER = logging.getLogger(__name__)


class DQNConfig(BaseModel):
    """Hyperparameters of DQN (double + dueling, optional n-step) on a discrete-action VecEnv."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent: Literal["dqn"] = Field("dqn", description="Algorithm name (discriminator).")
    hidden_sizes: tuple[int, ...] = Field(
        (64, 64), min_length=1, description="Hidden layer widths of the Q-network MLP."
    )
    learning_rate: float = Field(1e-3, gt=0, le=1, description="Adam learning rate.")
    buffer_size: int = Field(50_000, ge=1, description="Replay buffer capacity in transitions.")
    learning_starts: int = Field(
        1_000, ge=0, description="Env steps collected before the first gradient update."
    )
    batch_size: int = Field(64, ge=1, description="Transitions per gradient step.")
    gamma: float = Field(0.99, ge=0, le=1, description="Discount factor.")
    n_step: int = Field(1, ge=1, le=100, description="Return horizon of the TD target.")
    tau: float = Field(
        1.0, gt=0, le=1, description="Target update coefficient; 1.0 is a hard copy."
    )
    target_update_interval: int = Field(
        500, ge=1, description="Env steps between target-network updates."
    )
    train_frequency: int = Field(
        1, ge=1, description="Vector-env steps collected per training iteration."
    )
    gradient_steps: int = Field(1, ge=1, description="Gradient steps per training iteration.")
    exploration_initial_eps: float = Field(
        1.0, ge=0, le=1, description="Epsilon at the start of training."
    )
    exploration_final_eps: float = Field(
        0.05, ge=0, le=1, description="Epsilon after the decay period."
    )
    exploration_steps: int = Field(
        10_000, ge=1, description="Env steps over which epsilon decays linearly."
    )
    double_q: bool = Field(True, description="Select next actions with the online network.")
    dueling: bool = Field(True, description="Use a dueling value/advantage head.")
    max_grad_norm: float = Field(10.0, gt=0, description="Gradient clipping norm.")


class PPOConfig(BaseModel):
    """Hyperparameters of PPO (clipped objective, GAE) for discrete or continuous actions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent: Literal["ppo"] = Field("ppo", description="Algorithm name (discriminator).")
    hidden_sizes: tuple[int, ...] = Field(
        (64, 64), min_length=1, description="Hidden layer widths of actor and critic MLPs."
    )
    learning_rate: float = Field(3e-4, gt=0, le=1, description="Adam learning rate.")
    anneal_lr_steps: int | None = Field(
        None, ge=1, description="Anneal the learning rate linearly to 0 over this many env steps."
    )
    num_steps: int = Field(128, ge=1, description="Rollout length per env per iteration.")
    gamma: float = Field(0.99, ge=0, le=1, description="Discount factor.")
    gae_lambda: float = Field(0.95, ge=0, le=1, description="GAE lambda.")
    num_minibatches: int = Field(4, ge=1, description="Minibatches per update epoch.")
    update_epochs: int = Field(4, ge=1, description="Passes over each rollout.")
    norm_adv: bool = Field(True, description="Normalise advantages per minibatch.")
    clip_coef: float = Field(0.2, gt=0, le=1, description="Policy ratio clipping range.")
    clip_vloss: bool = Field(True, description="Clip the value loss like the policy ratio.")
    ent_coef: float = Field(0.01, ge=0, description="Entropy bonus coefficient.")
    vf_coef: float = Field(0.5, ge=0, description="Value loss coefficient.")
    max_grad_norm: float = Field(0.5, gt=0, description="Gradient clipping norm.")
    target_kl: float | None = Field(
        None, gt=0, description="Stop the update epochs early when approx KL exceeds this."
    )
    continuous_distribution: Literal["gaussian", "squashed"] = Field(
        "squashed",
        description="Continuous actions: clipped Gaussian, or tanh-squashed into [low, high].",
    )
    init_log_std: float = Field(
        -0.5, ge=-5, le=2, description="Initial log standard deviation of continuous actions."
    )


AGENT_CONFIGS: dict[str, type[BaseModel]] = {
    "dqn": DQNConfig,
    "ppo": PPOConfig,
}
