"""Strategy service settings, read once from ``TM_STRATEGY_*`` env vars."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from trademaster.service.settings import PathList, ServiceSettings


class StrategySettings(ServiceSettings):
    """Settings of the strategy service (``TM_STRATEGY_*``)."""

    model_config = SettingsConfigDict(env_prefix="TM_STRATEGY_", extra="ignore", frozen=True)

    data_dir: Path = Path("./var/datasets")
    """Root of the platform's own datasets; a synthetic dataset is generated here if empty."""
    extra_data_dirs: PathList = Field(default_factory=list)
    """More catalog roots, ``os.pathsep``-separated in the env (e.g. the shared market data)."""
    max_upload_bytes: int = Field(1 << 30, ge=1)
    """Largest dataset file a user may import (bytes); 1 GiB by default."""
    trainer_addr: str | None = None
    """TrainerService ``host:port``; without it model versions cannot be registered."""
    backtest_addr: str | None = None
    """BacktestService ``host:port``; without it versions show no backtests."""
