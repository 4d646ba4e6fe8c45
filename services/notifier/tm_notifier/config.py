"""Notifier service settings, read once from ``TM_NOTIFIER_*`` env vars."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from trademaster.service.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    """Settings of the notifier service (``TM_NOTIFIER_*``)."""

    model_config = SettingsConfigDict(env_prefix="TM_NOTIFIER_", extra="ignore", frozen=True)

    database_url: str = ""
    """Unused: the notifier keeps no durable state (events live in Redis streams)."""
    event_stream_prefix: str = "tm:events:"
    """Redis stream prefix of the platform event bus (the same for every producer)."""
    retention_events: int = Field(default=100_000, ge=1)
    """Events kept per topic stream (approximate ``MAXLEN``); older ones cannot be resumed."""
    subscriber_queue_size: int = Field(default=1_000, ge=1)
    """Events buffered per subscriber; a subscriber that falls further behind is dropped."""
    heartbeat_s: float = Field(default=15.0, gt=0)
    """A Heartbeat event is sent when a stream was idle this long."""
    max_topics: int = Field(default=100, ge=1)
    """Topics one Subscribe may name."""
    read_block_ms: int = Field(default=5_000, ge=1)
    """How long one XREAD of a followed topic waits for new events."""
