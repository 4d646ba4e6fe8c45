"""Base settings every service loads once from ``TM_<SERVICE>_*`` env vars."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from trademaster.service.signing_keys import KeyRing, read_key_file


def split_paths(value: object) -> object:
    """``a:b`` (``os.pathsep``) from an env var → ``[Path("a"), Path("b")]``; lists pass through."""
    if isinstance(value, str):
        return [Path(part) for part in value.split(os.pathsep) if part.strip()]
    return value


PathList = Annotated[list[Path], NoDecode, BeforeValidator(split_paths)]
"""A list of folders set in one env var, ``os.pathsep``-separated (like ``PATH``)."""


class ServiceSettings(BaseSettings):
    """Common service settings; subclasses set ``env_prefix`` (e.g. ``TM_STRATEGY_``)."""

    model_config = SettingsConfigDict(env_prefix="TM_SERVICE_", extra="ignore", frozen=True)

    grpc_host: str = "127.0.0.1"
    grpc_port: int = Field(default=0, ge=0, le=65535)
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    metrics_host: str = "127.0.0.1"
    """Where ``/metrics`` listens: loopback locally; ``0.0.0.0`` in a pod (Prometheus scrapes)."""
    database_url: str
    redis_url: str
    jwt_keys_file: Path | None = None
    """JSON key file with several keys and their ids (``./tm keys``); wins over ``jwt_secret``
    and is re-read when it changes, so a rotation needs no restart."""
    jwt_secret: SecretStr | None = Field(default=None, min_length=16, validate_default=True)
    """The one JWT signing key; required unless ``jwt_keys_file`` is set."""
    jwt_issuer: str = "trademaster"
    log_level: str = "INFO"
    log_dir: Path | None = None
    """Write JSON logs to ``<log_dir>/<service>.jsonl`` rotated by size (local stack:
    ``var/logs``); unset, they go to stderr (Kubernetes collects them from there)."""
    log_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    """Size at which the log file rotates."""
    log_backups: int = Field(default=4, ge=1)
    """Rotated files kept; a service's logs never exceed ``log_max_bytes * (log_backups + 1)``."""
    shutdown_grace_s: float = Field(default=5.0, ge=0)
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    port_file: Path | None = None
    """Where ``serve`` writes the bound gRPC port (the local stack binds port 0 and reads it)."""

    @field_validator("jwt_keys_file")
    @classmethod
    def _readable_key_file(cls, value: Path | None) -> Path | None:
        if value is not None:
            read_key_file(value)  # a KeyFileError (ValueError) names the file and the problem
        return value

    @field_validator("jwt_secret")
    @classmethod
    def _secret_or_key_file(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None and info.data.get("jwt_keys_file") is None:
            raise PydanticCustomError("missing", "Field required")
        return value

    def jwt_keys(self) -> KeyRing:
        """The signing keys: the key file when set (fails naming it when invalid), else the
        one secret."""
        if self.jwt_keys_file is not None:
            return KeyRing.from_file(self.jwt_keys_file)
        assert self.jwt_secret is not None
        return KeyRing.from_secret(self.jwt_secret.get_secret_value())


S = TypeVar("S", bound=ServiceSettings)


def settings_errors(cls: type[ServiceSettings], error: ValidationError) -> list[str]:
    """One human line per invalid field, naming the env var to set."""
    prefix = str(cls.model_config.get("env_prefix", "")).upper()
    lines = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else ""
        env_var = f"{prefix}{name.upper()}"
        if item["type"] == "missing":
            alternative = f" (or {prefix}JWT_KEYS_FILE)" if name == "jwt_secret" else ""
            lines.append(f"{env_var} is required{alternative}")
        else:
            lines.append(f"{env_var}: {item['msg']}")
    return lines


def load_settings(cls: type[S]) -> S:
    """Load settings from the environment; on invalid config print why to stderr and exit 2."""
    try:
        return cls()  # type: ignore[call-arg]  # required fields come from the environment
    except ValidationError as error:
        for line in settings_errors(cls, error):
            print(f"configuration error: {line}", file=sys.stderr)
        raise SystemExit(2) from None
