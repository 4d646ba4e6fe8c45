"""Backtest service settings, read once from ``TM_BACKTEST_*`` env vars."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict
from trademaster.service.settings import ServiceSettings


class BacktestSettings(ServiceSettings):
    """Settings of the backtest service (``TM_BACKTEST_*``)."""

    model_config = SettingsConfigDict(env_prefix="TM_BACKTEST_", extra="ignore", frozen=True)

    data_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [Path("./var/datasets")]
    )
    """Dataset catalog roots, ``os.pathsep``-separated (same ids as the strategy service)."""
    artifact_dir: Path = Path("./var/artifacts")
    """Where reports are written (``<artifact_dir>/backtests/<id>/``) and run dirs are read."""
    workers: int = Field(default=2, ge=1, le=64)
    """Worker processes running backtests."""
    trainer_addr: str | None = None
    """TrainerService ``host:port``; without it ``training_job_id`` sources are refused."""

    @field_validator("data_dirs", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [Path(part) for part in value.split(os.pathsep) if part.strip()]
        return value
