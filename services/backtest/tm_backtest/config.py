"""Backtest service settings, read once from ``TM_BACKTEST_*`` env vars."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from trademaster.service.quotas import Quota
from trademaster.service.settings import ServiceSettings


class BacktestSettings(ServiceSettings):
    """Settings of the backtest service (``TM_BACKTEST_*``)."""

    model_config = SettingsConfigDict(env_prefix="TM_BACKTEST_", extra="ignore", frozen=True)

    strategy_addr: str
    """StrategyService ``host:port``: every dataset is resolved there (GetDataset → URI)."""
    artifact_dir: Path = Path("./var/artifacts")
    """Where reports are written (``<artifact_dir>/backtests/<id>/``) and run dirs are read."""
    workers: int = Field(default=2, ge=1, le=64)
    """Worker processes running backtests."""
    trainer_addr: str | None = None
    """TrainerService ``host:port``; without it ``training_job_id`` sources are refused."""
    quota_backtests: Quota = Quota(default=20)
    """Concurrent (queued, running, cancelling) backtests per user / role, JSON:
    ``{"default": 20, "roles": {"admin": 100}, "users": {"alice": 50}}``."""
