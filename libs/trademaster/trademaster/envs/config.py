"""Typed, torch-free env configs: the strategy service validates them without torch installed."""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_LOGGER = logging.getLogger(__name__)

RewardKind = Literal["log_return", "simple_return"]
FillTimingName = Literal["next_open", "next_close", "same_close"]
DeviceName = Literal["cpu", "cuda", "auto"]
MoneyDtype = Literal["float64", "float32"]


class _EnvConfig(BaseModel):
    """Fields every trading env shares: account, costs, batching, device."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    num_envs: int = Field(1, ge=1, le=1_000_000, description="Sub-envs stepped together.")
    initial_cash: float = Field(1_000_000.0, gt=0, description="Starting cash per sub-env.")
    fee_rate: float = Field(
        0.001, ge=0, lt=1, description="Fee as a fraction of absolute traded notional."
    )
    fixed_fee: float = Field(0.0, ge=0, description="Flat fee per asset per non-zero fill.")
    slippage_bps: float = Field(
        0.0, ge=0, le=10_000, description="Adverse fill-price move per trade, basis points."
    )
    window: int = Field(10, ge=1, le=10_000, description="Past bars in each observation.")
    device: DeviceName = Field("cpu", description="Torch device; 'auto' picks CUDA if present.")
    money_dtype: MoneyDtype = Field(
        "float64", description="Dtype of cash/positions; float32 only for speed benchmarks."
    )


class AlgorithmicTradingEnvConfig(_EnvConfig):
    """Single-asset env whose discrete actions pick a target exposure level."""

    kind: Literal["algorithmic_trading"] = Field(
        "algorithmic_trading", description="Env kind tag for discriminated unions."
    )
    episode_length: int | None = Field(
        None, ge=1, description="Steps per episode from a random start; None = whole series."
    )
    reward: RewardKind = Field("log_return", description="Per-step reward after costs.")
    position_levels: tuple[float, ...] = Field(
        (-1.0, 0.0, 1.0),
        min_length=2,
        description="Target exposures as multiples of position_size; must contain 0 (flat).",
    )
    position_size: float = Field(
        1.0, gt=0, le=100, description="Exposure of level 1 as a fraction of portfolio value."
    )
    fill_timing: FillTimingName = Field(
        "next_open", description="Fill price bar; same_close is look-ahead-prone."
    )

    @model_validator(mode="after")
    def _levels_contain_flat(self) -> AlgorithmicTradingEnvConfig:
        if 0.0 not in self.position_levels:
            raise ValueError(f"position_levels must contain 0, was {self.position_levels}")
        if len(set(self.position_levels)) != len(self.position_levels):
            raise ValueError(f"position_levels must be distinct, was {self.position_levels}")
        return self


class PortfolioManagementEnvConfig(_EnvConfig):
    """Multi-asset env whose continuous action is a weight vector over [cash, assets]."""

    kind: Literal["portfolio_management"] = Field(
        "portfolio_management", description="Env kind tag for discriminated unions."
    )
    episode_length: int | None = Field(
        None, ge=1, description="Steps per episode from a random start; None = whole series."
    )
    action_is_logits: bool = Field(
        True, description="Apply softmax to actions; else actions must lie on the simplex."
    )
    fill_timing: FillTimingName = Field(
        "next_open", description="Fill price bar; same_close is look-ahead-prone."
    )
    flatten_observation: bool = Field(
        True, description="Flatten the [window, A, F] feature block into one vector."
    )


class OrderExecutionEnvConfig(_EnvConfig):
    """Liquidate or acquire a quantity over a horizon by walking limit-order-book levels."""

    kind: Literal["order_execution"] = Field(
        "order_execution", description="Env kind tag for discriminated unions."
    )
    side: Literal["sell", "buy"] = Field("sell", description="Liquidate (sell) or acquire (buy).")
    total_quantity: float = Field(1.0, gt=0, description="Units to execute per episode.")
    horizon: int = Field(
        20, ge=1, le=100_000, description="Steps to finish; the rest is forced at the end."
    )
    num_bins: int | None = Field(
        11,
        ge=2,
        description="Discrete fractions 0..1 of the remaining quantity; None = continuous [0, 1].",
    )


class HighFrequencyTradingEnvConfig(_EnvConfig):
    """LOB target-position env with masked discrete actions, filled at best bid/ask."""

    kind: Literal["high_frequency_trading"] = Field(
        "high_frequency_trading", description="Env kind tag for discriminated unions."
    )
    episode_length: int | None = Field(
        None, ge=1, description="Steps per episode from a random start; None = whole series."
    )
    max_position: int = Field(
        2, ge=1, le=1_000, description="Largest absolute position in lots; actions span ±this."
    )
    lot_size: float = Field(0.01, gt=0, description="Units per lot.")
    max_spread_bps: float | None = Field(
        None, gt=0, description="No position change allowed when the spread is wider than this."
    )
    reward: RewardKind = Field("log_return", description="Per-step reward after costs.")
