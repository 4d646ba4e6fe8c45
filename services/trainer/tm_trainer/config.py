"""Trainer service settings, read once from ``TM_TRAINER_*`` env vars."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict
from trademaster.service.settings import ServiceSettings


class TrainerSettings(ServiceSettings):
    """Settings of the trainer service (``TM_TRAINER_*``)."""

    model_config = SettingsConfigDict(env_prefix="TM_TRAINER_", extra="ignore", frozen=True)
