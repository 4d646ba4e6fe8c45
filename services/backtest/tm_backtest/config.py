"""Backtest service settings, read once from ``TM_BACKTEST_*`` env vars."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict
from trademaster.service.settings import ServiceSettings


class BacktestSettings(ServiceSettings):
    """Settings of the backtest service (``TM_BACKTEST_*``)."""

    model_config = SettingsConfigDict(env_prefix="TM_BACKTEST_", extra="ignore", frozen=True)
