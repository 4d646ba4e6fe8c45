"""Strategy service settings, read once from ``TM_STRATEGY_*`` env vars."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict
from trademaster.service.settings import ServiceSettings


class StrategySettings(ServiceSettings):
    """Settings of the strategy service (``TM_STRATEGY_*``)."""

    model_config = SettingsConfigDict(env_prefix="TM_STRATEGY_", extra="ignore", frozen=True)

    data_dir: Path = Path("./var/datasets")
    """Root of the platform's own datasets; a synthetic dataset is generated here if empty."""
    extra_data_dirs: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    """More catalog roots, ``os.pathsep``-separated in the env (e.g. the shared market data)."""

    @field_validator("extra_data_dirs", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [Path(part) for part in value.split(os.pathsep) if part.strip()]
        return value
