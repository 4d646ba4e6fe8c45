"""Notifier service settings, read once from ``TM_NOTIFIER_*`` env vars."""

from __future__ import annotations

import socket

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict
from trademaster.service.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    """Settings of the notifier service (``TM_NOTIFIER_*``)."""

    model_config = SettingsConfigDict(env_prefix="TM_NOTIFIER_", extra="ignore", frozen=True)

    database_url: str = ""
    """Alert rules, alerts and deliveries (schema ``notifier``); empty: no alerts (the alert
    RPCs answer FAILED_PRECONDITION), events only."""
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
    alert_group: str = Field(default="alerts", min_length=1, max_length=64)
    """Redis consumer group of the alert engine on the event feed (one per deployment)."""
    alert_consumer: str = Field(default_factory=socket.gethostname, min_length=1)
    """This replica's consumer name in the group (the pod name in Kubernetes)."""
    alert_claim_idle_s: float = Field(default=30.0, gt=0)
    """Feed entries another consumer left unacknowledged this long are taken over."""
    alert_rules_refresh_s: float = Field(default=1.0, gt=0)
    """Rules created on another replica apply after at most this long."""
    delivery_max_attempts: int = Field(default=6, ge=1, le=50)
    """Webhook/e-mail attempts before a delivery is dead-lettered."""
    delivery_backoff_s: float = Field(default=1.0, gt=0)
    """First retry delay; doubles per attempt (with jitter) up to ``delivery_backoff_max_s``."""
    delivery_backoff_max_s: float = Field(default=300.0, gt=0)
    delivery_timeout_s: float = Field(default=5.0, gt=0)
    """Timeout of one webhook request or SMTP session."""
    delivery_concurrency: int = Field(default=16, ge=1)
    delivery_poll_s: float = Field(default=1.0, gt=0)
    """How often due retries are looked for (new alerts start a round at once)."""
    smtp_host: str = ""
    """SMTP server for e-mail alerts; empty: e-mail deliveries fail (and are dead-lettered)."""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "trademaster@localhost"
    smtp_starttls: bool = False
    """Upgrade the SMTP session with STARTTLS before logging in (use it beyond loopback)."""
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
