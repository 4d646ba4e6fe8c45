"""Risk service settings, read once from ``TM_RISK_*`` env vars."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from trademaster.service.settings import ServiceSettings


class RiskSettings(ServiceSettings):
    """Settings of the risk service (``TM_RISK_*``)."""

    model_config = SettingsConfigDict(env_prefix="TM_RISK_", extra="ignore", frozen=True)

    market_data_stream: str = "tm:md:bars"
    """Redis stream of bars/quotes (reference prices and paper fills)."""
    paper_fee_rate: float = Field(default=0.0, ge=0.0, lt=1.0)
    """Paper fee as a fraction of notional (the backtest's ``fee_rate``)."""
    paper_fixed_fee: float = Field(default=0.0, ge=0.0)
    """Paper flat fee per fill (the backtest's ``fixed_fee``)."""
    paper_slippage_bps: float = Field(default=0.0, ge=0.0, le=10_000.0)
    """Paper fixed slippage of market orders in basis points (``fixed_bps``)."""
    paper_volume_limit: float | None = Field(default=None, gt=0.0, le=1.0)
    """Largest fraction of a bar's volume paper fills may take (partial fills); None: no cap."""
    paper_price_impact: float = Field(default=0.0, ge=0.0)
    """Volume-share impact coefficient k (k * share^2); 0 keeps fixed-bps slippage."""
    reconcile_interval_s: float = Field(default=5.0, gt=0.0, le=3600.0)
    """How often in-flight orders with an ambiguous venue outcome are compared with the venue's
    reports; an order is settled once it was in flight for at least this long."""
    venue_secrets_file: Path | None = None
    """JSON file of live accounts' venue credentials (``tm_risk.venues.credentials``); unset:
    paper accounts only."""
    venue_sync_interval_s: float = Field(default=30.0, gt=0.0, le=3600.0)
    """How often live accounts' fills, orders and positions are reconciled with the venue's."""
    deadman_check_interval_s: float = Field(default=0.25, gt=0.0, le=60.0)
    """How often deployments' heartbeat deadlines are checked (dead man -> REDUCING)."""
