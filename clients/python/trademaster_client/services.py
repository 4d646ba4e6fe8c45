"""The services the client reaches: its attribute (``tm.model_registry``), the proto service and
generated stub module, and which server answers it (a key of :class:`Endpoints`).

A proto package may hold several services (the strategy service also serves the model
registry), so the client maps services, not packages; ``tests/contract`` checks that every
service in the descriptor set has a row here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    """One gRPC service as the client sees it."""

    attribute: str
    """Client attribute and name taken by ``Client.service``, e.g. ``model_registry``."""
    package: str
    """Proto package, e.g. ``trademaster.api.strategy.v1``."""
    name: str
    """Proto service name, e.g. ``ModelRegistryService``."""
    proto_file: str
    """Stem of the ``.proto`` file (and of the generated ``<stem>_pb2_grpc`` module)."""
    server: str
    """The :class:`~trademaster_client.Endpoints` key of the server that answers it."""

    @property
    def full_name(self) -> str:
        return f"{self.package}.{self.name}"

    @property
    def stub_module(self) -> str:
        return f"{self.package}.{self.proto_file}_pb2_grpc"


def _domain(domain: str) -> Service:
    """The package's main service, ``<Domain>Service`` in ``<domain>.proto`` on its own server."""
    return Service(
        domain, f"trademaster.api.{domain}.v1", f"{domain.capitalize()}Service", domain, domain
    )


SERVICES: dict[str, Service] = {
    service.attribute: service
    for service in (
        _domain("identity"),
        _domain("strategy"),
        Service(
            "model_registry",
            "trademaster.api.strategy.v1",
            "ModelRegistryService",
            "model_registry",
            "strategy",
        ),
        _domain("trainer"),
        Service(
            "deployments",
            "trademaster.api.trainer.v1",
            "DeploymentService",
            "deployment",
            "trainer",
        ),
        _domain("backtest"),
        _domain("risk"),
        _domain("notifier"),
    )
}
"""Every service of API v1, by client attribute."""


def service(attribute: str) -> Service:
    try:
        return SERVICES[attribute]
    except KeyError:
        raise ValueError(
            f"unknown service {attribute!r}; expected one of {list(SERVICES)}"
        ) from None
