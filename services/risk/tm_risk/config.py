"""Risk service settings, read once from ``TM_RISK_*`` env vars."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict
from trademaster.service.settings import ServiceSettings


class RiskSettings(ServiceSettings):
    """Settings of the risk service (``TM_RISK_*``)."""

    model_config = SettingsConfigDict(env_prefix="TM_RISK_", extra="ignore", frozen=True)
