"""Base settings every service loads once from ``TM_<SERVICE>_*`` env vars."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import BeforeValidator, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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
    jwt_secret: SecretStr = Field(min_length=16)
    jwt_issuer: str = "trademaster"
    log_level: str = "INFO"
    shutdown_grace_s: float = Field(default=5.0, ge=0)
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    port_file: Path | None = None
    """Where ``serve`` writes the bound gRPC port (the local stack binds port 0 and reads it)."""


S = TypeVar("S", bound=ServiceSettings)


def settings_errors(cls: type[ServiceSettings], error: ValidationError) -> list[str]:
    """One human line per invalid field, naming the env var to set."""
    prefix = str(cls.model_config.get("env_prefix", "")).upper()
    lines = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else ""
        env_var = f"{prefix}{name.upper()}"
        if item["type"] == "missing":
            lines.append(f"{env_var} is required")
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
