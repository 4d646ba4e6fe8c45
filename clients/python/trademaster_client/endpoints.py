"""Where each TradeMaster service listens: one target for all (a gRPC proxy or ingress) or one
address per service, with the local stack's ports as the default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from trademaster_client.services import SERVICES as CLIENT_SERVICES

SERVICES: tuple[str, ...] = ("identity", "strategy", "trainer", "backtest", "risk", "notifier")
"""Servers, by client-side name; ``identity`` is served by the gateway's gRPC port and the model
registry by ``strategy``."""

LOCAL_PORTS: Mapping[str, int] = {
    "strategy": 50051,
    "notifier": 50052,
    "backtest": 50053,
    "risk": 50054,
    "trainer": 50055,
    "identity": 50056,
}
"""Ports of ``./tm up`` (deploy/local/README.md)."""

ENV_PREFIX = "TM_CLIENT_"


@dataclass(frozen=True)
class Endpoints:
    """Addresses (``host:port``) of the services; ``address(name)`` raises for unknown names."""

    addresses: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.addresses) - set(SERVICES))
        if unknown:
            raise ValueError(f"unknown services {unknown}; expected names from {list(SERVICES)}")

    @classmethod
    def local(cls, host: str = "127.0.0.1") -> Endpoints:
        """The local stack started by ``./tm up`` on ``host``."""
        return cls({name: f"{host}:{port}" for name, port in LOCAL_PORTS.items()})

    @classmethod
    def single(cls, target: str) -> Endpoints:
        """Every service behind one address, e.g. a gRPC ingress that routes by service name."""
        return cls({name: target for name in SERVICES})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Endpoints:
        """``TM_CLIENT_TARGET`` (one address for all) or the local stack, then per-service
        overrides ``TM_CLIENT_<SERVICE>_ADDR`` (e.g. ``TM_CLIENT_TRAINER_ADDR``)."""
        env = os.environ if environ is None else environ
        target = env.get(f"{ENV_PREFIX}TARGET")
        base = cls.single(target) if target else cls.local()
        overrides = {
            name: env[f"{ENV_PREFIX}{name.upper()}_ADDR"]
            for name in SERVICES
            if env.get(f"{ENV_PREFIX}{name.upper()}_ADDR")
        }
        return base.with_overrides(overrides)

    def with_overrides(self, overrides: Mapping[str, str]) -> Endpoints:
        return Endpoints({**self.addresses, **overrides})

    def address(self, service: str) -> str:
        """Address of a server, or of the server answering a client service (``model_registry``
        is at ``strategy``'s)."""
        if service in CLIENT_SERVICES:
            service = CLIENT_SERVICES[service].server
        try:
            return self.addresses[service]
        except KeyError:
            raise ValueError(
                f"no address for service {service!r}; known: {sorted(self.addresses)}"
            ) from None
