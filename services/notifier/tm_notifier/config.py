"""Notifier service settings, read once from ``TM_NOTIFIER_*`` env vars."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict
from trademaster.service.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    """Settings of the notifier service (``TM_NOTIFIER_*``)."""

    model_config = SettingsConfigDict(env_prefix="TM_NOTIFIER_", extra="ignore", frozen=True)

    database_url: str = ""
    """Unused: the notifier keeps no durable state (events live in Redis streams)."""
