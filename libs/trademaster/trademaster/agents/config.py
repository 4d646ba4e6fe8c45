"""Typed, torch-free agent hyperparameter configs, so services and UIs can validate them."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from trademaster.agents.config_ddpg import DDPGConfig
from trademaster.agents.config_published import (
    DDQNDemoConfig,
    DeepScalperConfig,
    DeepTraderConfig,
    InvestorImitatorConfig,
    PGConfig,
    SARLConfig,
)

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


class A2CConfig(BaseModel):
    """Advantage actor-critic (Mnih et al. 2016, synchronous): short n-step rollouts over the
    vector env, one gradient step per rollout on ``-A log pi + vf_coef V-loss - ent_coef H``.

    Defaults are Stable-Baselines3's A2C (RMSprop, 5 steps, lambda 1 = plain n-step returns)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent: Literal["a2c"] = Field("a2c", description="Algorithm name (discriminator).")
    hidden_sizes: tuple[int, ...] = Field(
        (64, 64), min_length=1, description="Hidden layer widths of actor and critic MLPs."
    )
    learning_rate: float = Field(7e-4, gt=0, le=1, description="Optimizer learning rate.")
    anneal_lr_steps: int | None = Field(
        None, ge=1, description="Anneal the learning rate linearly to 0 over this many env steps."
    )
    optimizer: Literal["rmsprop", "adam"] = Field(
        "rmsprop", description="RMSprop as published, or Adam."
    )
    rmsprop_alpha: float = Field(
        0.99, gt=0, lt=1, description="RMSprop smoothing constant (squared-gradient average)."
    )
    optimizer_eps: float = Field(1e-5, gt=0, le=1, description="Optimizer epsilon.")
    num_steps: int = Field(5, ge=1, description="Rollout length per env per update (n of n-step).")
    gamma: float = Field(0.99, ge=0, le=1, description="Discount factor.")
    gae_lambda: float = Field(
        1.0, ge=0, le=1, description="GAE lambda; 1.0 gives the published n-step advantages."
    )
    norm_adv: bool = Field(False, description="Normalise advantages per update.")
    ent_coef: float = Field(0.0, ge=0, description="Entropy bonus coefficient.")
    vf_coef: float = Field(0.5, ge=0, description="Value loss coefficient.")
    max_grad_norm: float = Field(0.5, gt=0, description="Gradient clipping norm.")
    continuous_distribution: Literal["gaussian", "squashed"] = Field(
        "squashed",
        description="Continuous actions: clipped Gaussian, or tanh-squashed into [low, high].",
    )
    init_log_std: float = Field(
        0.0, ge=-5, le=2, description="Initial log standard deviation of continuous actions."
    )

    def as_ppo(self) -> PPOConfig:
        """The PPO settings whose update is exactly this A2C update: one epoch over one
        minibatch, so the probability ratio is 1 and the clipped surrogate's gradient is the
        policy gradient ``-A grad log pi``; no value clipping, no KL stop."""
        return PPOConfig(
            hidden_sizes=self.hidden_sizes,
            learning_rate=self.learning_rate,
            anneal_lr_steps=self.anneal_lr_steps,
            num_steps=self.num_steps,
            gamma=self.gamma,
            gae_lambda=self.gae_lambda,
            num_minibatches=1,
            update_epochs=1,
            norm_adv=self.norm_adv,
            clip_vloss=False,
            ent_coef=self.ent_coef,
            vf_coef=self.vf_coef,
            max_grad_norm=self.max_grad_norm,
            continuous_distribution=self.continuous_distribution,
            init_log_std=self.init_log_std,
        )


_HiddenSizes = tuple[Annotated[int, Field(ge=1, le=4096)], ...]


class SACConfig(BaseModel):
    """Soft Actor-Critic (Haarnoja et al. 2018): twin Q, tanh-squashed Gaussian, auto entropy.

    Actions are squashed into the env's continuous action box. For portfolio management run the
    env with ``action_is_logits=True`` so it maps the action vector onto the simplex (softmax).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent: Literal["sac"] = Field("sac", description="Algorithm name (discriminator).")

    buffer_size: int = Field(
        100_000, ge=1, le=10_000_000, description="Replay buffer capacity in transitions."
    )
    learning_starts: int = Field(
        1_000, ge=0, description="Env steps of uniform random actions before updates begin."
    )
    batch_size: int = Field(256, ge=1, le=65_536, description="Transitions per gradient step.")
    gamma: float = Field(0.99, gt=0.0, le=1.0, description="Discount factor per env step.")
    tau: float = Field(
        0.005, gt=0.0, le=1.0, description="Polyak coefficient for the target Q networks."
    )
    policy_lr: float = Field(3e-4, gt=0.0, le=1.0, description="Adam learning rate of the actor.")
    q_lr: float = Field(1e-3, gt=0.0, le=1.0, description="Adam learning rate of the critics.")
    policy_frequency: int = Field(
        2,
        ge=1,
        description="Critic updates per actor update (the actor then takes this many steps).",
    )
    target_network_frequency: int = Field(
        1, ge=1, description="Gradient steps between soft updates of the target critics."
    )
    alpha: float = Field(
        0.2, ge=0.0, description="Entropy coefficient; the initial value when autotune is on."
    )
    autotune: bool = Field(
        True, description="Tune alpha so that the policy entropy tracks the target entropy."
    )
    target_entropy_scale: float = Field(
        1.0,
        gt=0.0,
        le=10.0,
        description="Target entropy is -scale x action dimension (used when autotune is on).",
    )
    hidden_sizes: _HiddenSizes = Field(
        (256, 256), min_length=1, description="Hidden layer widths of the actor and critic MLPs."
    )
    reward_scale: float = Field(
        100.0,
        gt=0.0,
        le=1e6,
        description="Multiplier on env rewards for the critics; per-step log returns are ~1e-3, "
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


class TD3Config(BaseModel):
    """Twin Delayed DDPG (Fujimoto et al. 2018): twin critics, target smoothing, delayed actor.

    Noise scales are fractions of the half-width of the env's action box. For portfolio management
    run the env with ``action_is_logits=True`` (the env applies the softmax).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent: Literal["td3"] = Field("td3", description="Algorithm name (discriminator).")

    buffer_size: int = Field(
        100_000, ge=1, le=10_000_000, description="Replay buffer capacity in transitions."
    )
    learning_starts: int = Field(
        1_000, ge=0, description="Env steps of uniform random actions before updates begin."
    )
    batch_size: int = Field(256, ge=1, le=65_536, description="Transitions per gradient step.")
    gamma: float = Field(0.99, gt=0.0, le=1.0, description="Discount factor per env step.")
    tau: float = Field(
        0.005, gt=0.0, le=1.0, description="Polyak coefficient for target actor and critics."
    )
    policy_lr: float = Field(3e-4, gt=0.0, le=1.0, description="Adam learning rate of the actor.")
    q_lr: float = Field(3e-4, gt=0.0, le=1.0, description="Adam learning rate of the critics.")
    policy_frequency: int = Field(
        2, ge=1, description="Critic updates per (delayed) actor and target update."
    )
    exploration_noise: float = Field(
        0.1, ge=0.0, le=10.0, description="Std of Gaussian noise added to actions when acting."
    )
    policy_noise: float = Field(
        0.2, ge=0.0, le=10.0, description="Std of target policy smoothing noise."
    )
    noise_clip: float = Field(
        0.5, ge=0.0, le=10.0, description="Clip range of target policy smoothing noise."
    )
    hidden_sizes: _HiddenSizes = Field(
        (256, 256), min_length=1, description="Hidden layer widths of the actor and critic MLPs."
    )
    reward_scale: float = Field(
        100.0,
        gt=0.0,
        le=1e6,
        description="Multiplier on env rewards for the critics; per-step log returns are ~1e-3, "
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


class EIIEConfig(BaseModel):
    """EIIE (Jiang et al. 2017): shared per-asset conv evaluators, softmax over [cash, assets].

    Trained by direct gradient ascent on the log portfolio return after commission, with the
    portfolio vector memory and online stochastic batch learning (geometrically recent batches).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent: Literal["eiie"] = Field("eiie", description="Algorithm name (discriminator).")

    learning_rate: float = Field(
        3e-4, gt=0.0, le=1.0, description="Adam learning rate (the paper uses 3e-5)."
    )
    weight_decay: float = Field(1e-8, ge=0.0, le=1.0, description="L2 penalty on the weights.")
    batch_size: int = Field(
        50, ge=1, le=10_000, description="Consecutive periods per mini-batch (paper: 50)."
    )
    sample_bias: float = Field(
        5e-5,
        gt=0.0,
        lt=1.0,
        description="Geometric sampling parameter: larger values favour recent batches.",
    )
    buffer_size: int = Field(
        10_000, ge=1, le=10_000_000, description="Periods kept per env in the history."
    )
    learning_starts: int = Field(
        0, ge=0, description="Env steps collected before the first gradient step."
    )
    conv_channels: tuple[
        Annotated[int, Field(ge=1, le=512)], Annotated[int, Field(ge=1, le=512)]
    ] = Field((2, 20), description="Channels of the window conv and of the full-window conv.")
    kernel_size: int = Field(
        3, ge=1, le=64, description="Time width of the first conv (must not exceed the window)."
    )
    commission_rate: float = Field(
        0.0025,
        ge=0.0,
        lt=1.0,
        description="Proportional trading cost used in the training reward; match the env fee.",
    )
    steps_per_iteration: int = Field(
        1, ge=1, description="Vector env steps collected per training iteration."
    )
    updates_per_iteration: int = Field(
        1, ge=1, description="Mini-batch gradient steps per training iteration."
    )


AGENT_CONFIGS: dict[str, type[BaseModel]] = {
    "dqn": DQNConfig,
    "ppo": PPOConfig,
    "sac": SACConfig,
    "td3": TD3Config,
    "eiie": EIIEConfig,
    "a2c": A2CConfig,
    "ddpg": DDPGConfig,
    "pg": PGConfig,
    "ddqn_dp": DDQNDemoConfig,
    "sarl": SARLConfig,
    "deepscalper": DeepScalperConfig,
    "deeptrader": DeepTraderConfig,
    "investor_imitator": InvestorImitatorConfig,
}

SUPPORTED_AGENTS_BY_TASK: dict[str, tuple[str, ...]] = {
    "algorithmic_trading": ("dqn", "ppo", "a2c", "deepscalper"),
    "portfolio_management": (
        "ppo",
        "sac",
        "td3",
        "eiie",
        "a2c",
        "ddpg",
        "pg",
        "sarl",
        "deeptrader",
        "investor_imitator",
    ),
    "order_execution": ("ppo", "dqn"),
    "high_frequency_trading": ("dqn", "ppo", "ddqn_dp"),
}
