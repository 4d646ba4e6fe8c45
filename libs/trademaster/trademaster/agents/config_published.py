"""Typed, torch-free configs of TradeMaster's published algorithms (kept apart from the generic
agents' ``config`` module, which re-exports them in ``AGENT_CONFIGS``)."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from trademaster.agents.config_ddpg import DDPGParams

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


class DDQNDemoConfig(BaseModel):
    """Double DQN with dynamic-programming demonstrations, TradeMaster's HFT agent.

    The loss is the n-step double-Q TD loss plus ``demo_coef`` times the cross-entropy between
    ``softmax(Q(s, .))`` and the teacher's action, i.e. the KL divergence from the one-hot
    demonstration to the Q-softmax. The teacher is the optimal target-position path over the
    training book, solved by the platform on the env's own fill and cost model. Defaults follow
    upstream's HFT settings where it has them (n-step 10, small final exploration).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent: Literal["ddqn_dp"] = Field("ddqn_dp", description="Algorithm name (discriminator).")
    hidden_sizes: tuple[int, ...] = Field(
        (64, 64), min_length=1, description="Hidden layer widths of the Q-network MLP."
    )
    learning_rate: float = Field(1e-3, gt=0, le=1, description="Adam learning rate.")
    buffer_size: int = Field(100_000, ge=1, description="Replay buffer capacity in transitions.")
    learning_starts: int = Field(
        1_000, ge=0, description="Env steps collected before the first gradient update."
    )
    batch_size: int = Field(256, ge=1, description="Transitions per gradient step.")
    gamma: float = Field(0.99, ge=0, le=1, description="Discount factor.")
    n_step: int = Field(10, ge=1, le=100, description="Return horizon of the TD target.")
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
        0.5, ge=0, le=1, description="Epsilon at the start of training."
    )
    exploration_final_eps: float = Field(
        0.01, ge=0, le=1, description="Epsilon after the decay period (upstream: 0.01)."
    )
    exploration_steps: int = Field(
        10_000, ge=1, description="Env steps over which epsilon decays linearly."
    )
    dueling: bool = Field(False, description="Use a dueling value/advantage head.")
    max_grad_norm: float = Field(10.0, gt=0, description="Gradient clipping norm.")
    demo_coef: float = Field(
        1.0, ge=0, le=1_000, description="Weight of the demonstration (KL) loss; 0 is plain DDQN."
    )


class SARLConfig(DDPGParams):
    """SARL (Ye et al. 2020): DDPG on the observation augmented by a price-movement encoder.

    The encoder (an LSTM over each asset's feature window, shared by the assets) is trained in
    the same job, before the reinforcement learning, to predict whether each asset's close rises
    at the next bar, on the training env's own bars; it is then frozen and its probabilities are
    appended to every observation the DDPG actor and critic see.
    """

    agent: Literal["sarl"] = Field("sarl", description="Algorithm name (discriminator).")
    encoder_hidden: int = Field(
        32, ge=1, le=1_024, description="Hidden units of the price-movement LSTM."
    )
    encoder_epochs: int = Field(
        50, ge=0, le=10_000, description="Full-batch epochs of encoder training (0: untrained)."
    )
    encoder_lr: float = Field(1e-2, gt=0, le=1, description="Adam learning rate of the encoder.")


_Widths = tuple[Annotated[int, Field(ge=1, le=4096)], ...]


class DeepScalperConfig(BaseModel):
    """DeepScalper (Sun et al. 2022): a branching dueling Q-network, a hindsight bonus in the
    training reward and a risk-aware auxiliary task predicting future volatility.

    Branches: the target side (short/flat/long) and the target size (a magnitude among the
    env's ``position_levels``); each has its own advantage head over a shared state value. The
    training reward adds ``hindsight_weight`` x exposure x the log price move over the
    ``hindsight_horizon`` bars after the fill; the auxiliary head regresses the standard
    deviation of the log returns over those bars (both labels are future data: training only).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent: Literal["deepscalper"] = Field(
        "deepscalper", description="Algorithm name (discriminator)."
    )
    hidden_sizes: _Widths = Field(
        (64, 64), min_length=1, max_length=8, description="Hidden widths of the shared trunk."
    )
    learning_rate: float = Field(1e-3, gt=0, le=1, description="Adam learning rate.")
    buffer_size: int = Field(
        50_000, ge=1, le=10_000_000, description="Replay buffer capacity in transitions."
    )
    learning_starts: int = Field(
        1_000, ge=0, le=10_000_000, description="Env steps collected before the first update."
    )
    batch_size: int = Field(64, ge=1, le=65_536, description="Transitions per gradient step.")
    gamma: float = Field(0.99, ge=0, le=1, description="Discount factor.")
    target_update_interval: int = Field(
        500, ge=1, le=10_000_000, description="Env steps between hard target-network copies."
    )
    train_frequency: int = Field(
        1, ge=1, le=10_000, description="Vector-env steps collected per training iteration."
    )
    gradient_steps: int = Field(
        1, ge=1, le=10_000, description="Gradient steps per training iteration."
    )
    exploration_initial_eps: float = Field(
        1.0, ge=0, le=1, description="Epsilon at the start of training."
    )
    exploration_final_eps: float = Field(
        0.05, ge=0, le=1, description="Epsilon after the decay period."
    )
    exploration_steps: int = Field(
        10_000, ge=1, le=100_000_000, description="Env steps over which epsilon decays."
    )
    max_grad_norm: float = Field(10.0, gt=0, le=1e6, description="Gradient clipping norm.")
    hindsight_weight: float = Field(
        0.1, ge=0, le=100, description="Weight of the hindsight bonus (0: the env reward only)."
    )
    hindsight_horizon: int = Field(
        5, ge=1, le=1_000, description="Bars after the fill seen by the bonus and the vol label."
    )
    volatility_coef: float = Field(
        0.5, ge=0, le=100, description="Weight of the volatility-prediction loss (0: off)."
    )


class DeepTraderConfig(BaseModel):
    """DeepTrader (Wang et al. 2021): an asset scoring unit (dilated causal temporal convolution,
    graph convolution on an adaptive adjacency, spatial attention) picks the ``winners`` assets
    to hold, and a market scoring unit (LSTM with temporal attention over the cross-asset mean
    features) draws ``rho``, the share of capital kept out of them (the paper's short ratio; the
    platform's portfolio env is long-only, so ``rho`` goes to cash). Both are trained together
    by REINFORCE on the discounted log returns of the env.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent: Literal["deeptrader"] = Field(
        "deeptrader", description="Algorithm name (discriminator)."
    )
    hidden_size: int = Field(
        32, ge=1, le=4_096, description="Channels of the TCN, graph and attention layers."
    )
    tcn_layers: int = Field(
        2, ge=1, le=8, description="Dilated causal conv layers (dilations 1, 2, 4, ...)."
    )
    embedding_size: int = Field(
        8, ge=1, le=256, description="Node-embedding width of the adaptive adjacency."
    )
    winners: int = Field(
        4, ge=1, le=1_000, description="Assets held each step (at most the env's asset count)."
    )
    learning_rate: float = Field(1e-3, gt=0, le=1, description="Adam learning rate.")
    num_steps: int = Field(32, ge=1, le=100_000, description="Rollout length per env per update.")
    gamma: float = Field(0.99, ge=0, le=1, description="Discount factor of the returns.")
    rho_coef: float = Field(
        1.0, ge=0, le=100, description="Weight of the market unit's policy-gradient term."
    )
    ent_coef: float = Field(
        0.0, ge=0, le=10, description="Bonus on the entropy of the winners' scores."
    )
    max_grad_norm: float = Field(1.0, gt=0, le=1e6, description="Gradient clipping norm.")


class InvestorImitatorConfig(BaseModel):
    """Investor-Imitator (Ding et al. 2018): logic descriptors score the assets, a REINFORCE
    policy picks which descriptor's portfolio to hold each step.

    The five descriptors are MLPs, one per trading logic: they regress from an asset's feature
    window the mean log return (AR), Sharpe ratio (SR), win rate (WR), minus the max drawdown
    (MDD) and excess return over the assets' mean (ER) of the next ``descriptor_horizon`` bars,
    fitted in the same job on the training env's bars (upstream ships them as weights). The
    chosen descriptor's portfolio is the softmax of its scores over the assets (no cash).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent: Literal["investor_imitator"] = Field(
        "investor_imitator", description="Algorithm name (discriminator)."
    )
    hidden_sizes: _Widths = Field(
        (64,), min_length=1, max_length=8, description="Hidden widths of the selector policy."
    )
    descriptor_hidden: int = Field(
        32, ge=1, le=4_096, description="Hidden units of each descriptor MLP."
    )
    descriptor_horizon: int = Field(
        5, ge=2, le=1_000, description="Bars after a decision the descriptors' metrics span."
    )
    descriptor_epochs: int = Field(
        200, ge=0, le=10_000, description="Full-batch epochs of descriptor fitting (0: none)."
    )
    descriptor_lr: float = Field(1e-2, gt=0, le=1, description="Adam rate of the descriptors.")
    learning_rate: float = Field(1e-3, gt=0, le=1, description="Adam rate of the selector.")
    num_steps: int = Field(32, ge=1, le=100_000, description="Rollout length per env per update.")
    gamma: float = Field(
        0.0, ge=0, le=1, description="Discount of the returns (upstream: 0, the step reward)."
    )
    ent_coef: float = Field(0.01, ge=0, le=10, description="Entropy bonus of the selector.")
    max_grad_norm: float = Field(1.0, gt=0, le=1e6, description="Gradient clipping norm.")
