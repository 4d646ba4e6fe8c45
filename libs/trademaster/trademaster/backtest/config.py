"""Typed backtest settings (torch-free, so services validate requests without torch)."""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_LOGGER = logging.getLogger(__name__)

FillTimingName = Literal["next_open", "next_close", "same_close"]
SlippageKind = Literal["none", "fixed_bps", "volume_share", "sqrt_impact"]
MarketName = Literal["equity", "crypto", "fx"]


class SlippageConfig(BaseModel):
    """How fill prices move against the trader (on top of the fee schedule)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: SlippageKind = Field("none", description="Slippage model.")
    bps: float = Field(0.0, ge=0.0, le=10_000.0, description="fixed_bps: basis points per fill.")
    volume_limit: float | None = Field(
        None,
        gt=0.0,
        le=1.0,
        description="Largest fraction of a bar's volume one fill may take (None: no cap).",
    )
    price_impact: float = Field(
        0.0,
        ge=0.0,
        description="volume_share: k in k*share^2; sqrt_impact: k in k*sigma*sqrt(q/adv).",
    )
    window: int = Field(
        20, ge=2, le=10_000, description="sqrt_impact: past bars for volatility and volume."
    )


class BacktestConfig(BaseModel):
    """Money, costs, fill timing and limits of one backtest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    initial_cash: float = Field(1_000_000.0, gt=0.0, description="Starting cash (quote currency).")
    fee_rate: float = Field(0.0, ge=0.0, lt=1.0, description="Fee as a fraction of notional.")
    fixed_fee: float = Field(0.0, ge=0.0, description="Flat fee per asset and fill.")
    slippage: SlippageConfig = Field(
        default_factory=SlippageConfig, description="Slippage / impact model."
    )
    fill_timing: FillTimingName = Field(
        "next_open",
        description="Bar whose price fills an order decided at bar t: t+1 open, t+1 close, or "
        "t close (look-ahead-prone, warned).",
    )
    allow_short: bool = Field(True, description="Allow negative positions.")
    max_position_units: float | None = Field(
        None, gt=0.0, description="Cap on |units| held per asset."
    )
    max_position_weight: float | None = Field(
        None, gt=0.0, description="Cap on |weight| per asset when sizing by weight."
    )
    max_leverage: float | None = Field(
        None, gt=0.0, description="Cap on gross exposure / equity when sizing by weight."
    )
    min_cash: float | None = Field(
        None, description="Cash never goes below this at a fill (0 = no borrowing); buys shrink."
    )
    lot_size: float | None = Field(None, gt=0.0, description="Round units toward zero to lots.")
    periods_per_year: float | None = Field(
        None, gt=0.0, description="Bars per year for metrics; None infers it from the dates."
    )
    market: MarketName = Field("equity", description="Market calendar for annualization.")

    @model_validator(mode="after")
    def _slippage_consistent(self) -> BacktestConfig:
        if self.slippage.kind == "none" and self.slippage.bps:
            raise ValueError("slippage.bps is set but slippage.kind is 'none'")
        return self

    @property
    def needs_stepwise(self) -> bool:
        """True when fills depend on the running value/cash, so a closed form does not exist."""
        return (
            self.min_cash is not None
            or self.max_leverage is not None
            or self.max_position_weight is not None
            or self.slippage.volume_limit is not None
        )
