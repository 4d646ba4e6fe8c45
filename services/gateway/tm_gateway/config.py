"""Gateway settings, read once from ``TM_GATEWAY_*`` env vars."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict
from trademaster.service.settings import ServiceSettings

DEFAULT_STATIC_DIR = Path(__file__).parent / "static" / "dist"


class IdentitySettings(ServiceSettings):
    """What identity needs (database, JWT signing); enough for the admin CLI."""

    model_config = SettingsConfigDict(env_prefix="TM_GATEWAY_", extra="ignore", frozen=True)

    redis_url: str = ""
    """Where revoked service-token ids are published so every gRPC server refuses them; empty
    means revocation is enforced by the gateway's own HTTP API only (a warning is logged)."""
    token_ttl_s: float = Field(default=3600.0, gt=0)
    """Lifetime of the access tokens issued by login."""


class GatewaySettings(IdentitySettings):
    """Settings of the gateway (``TM_GATEWAY_*``): HTTP API, identity gRPC, backend addresses."""

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    http_port_file: Path | None = None
    """Where the bound HTTP port is written (the local stack binds port 0 and reads it)."""
    admin_username: str | None = None
    """Bootstrap admin created at start when no admin exists yet."""
    admin_password: SecretStr | None = None
    service_token_ttl_days: float = Field(default=30.0, gt=0)
    """Default lifetime of service tokens."""
    strategy_addr: str
    """host:port of the strategy service (required)."""
    trainer_addr: str | None = None
    backtest_addr: str | None = None
    risk_addr: str | None = None
    notifier_addr: str | None = None
    backend_timeout_s: float = Field(default=10.0, gt=0)
    """Deadline of each backend call."""
    max_upload_bytes: int = Field(default=1 << 30, ge=1)
    """Largest dataset file accepted by ``POST /api/v1/datasets`` (bytes; 1 GiB)."""
    static_dir: Path = DEFAULT_STATIC_DIR
    """Built UI served at ``/`` when the directory exists."""

    def backend_addresses(self) -> dict[str, str]:
        """Configured backends by service name (strategy always present)."""
        candidates = {
            "strategy": self.strategy_addr,
            "trainer": self.trainer_addr,
            "backtest": self.backtest_addr,
            "risk": self.risk_addr,
            "notifier": self.notifier_addr,
        }
        return {name: addr for name, addr in candidates.items() if addr}
