"""Every service in the descriptor set is listed in the contract layout and reachable through
trademaster-client (sync and asyncio), with every RPC in the client's RPC table; a service
added later (risk, deployment, ...) fails here until the client covers it."""

from __future__ import annotations

import pytest
from proto_layout import service_files
from support.surface import api_methods
from trademaster_client import RPCS, AsyncClient, Client, Endpoints
from trademaster_client.services import SERVICES

pytestmark = pytest.mark.contract


def _descriptor_services() -> dict[str, list[str]]:
    """Full service name → its RPC names, from the generated descriptors of trademaster.api."""
    found: dict[str, list[str]] = {}
    for descriptor in api_methods().values():
        found.setdefault(descriptor.containing_service.full_name, []).append(descriptor.name)
    return found


DESCRIPTOR_SERVICES = _descriptor_services()
BY_FULL_NAME = {spec.full_name: spec for spec in SERVICES.values()}


def test_the_layout_lists_every_service_in_the_descriptor_set() -> None:
    listed = {f"trademaster.api.{domain}.v1.{service}" for domain, _, service in service_files()}

    assert listed == set(DESCRIPTOR_SERVICES)
    assert "trademaster.api.strategy.v1.ModelRegistryService" in listed


def test_the_client_maps_every_service_once() -> None:
    assert set(BY_FULL_NAME) == set(DESCRIPTOR_SERVICES)
    assert len(BY_FULL_NAME) == len(SERVICES)


@pytest.mark.parametrize("full_name", sorted(DESCRIPTOR_SERVICES))
def test_every_rpc_is_reachable_through_the_sync_client(full_name: str) -> None:
    spec = BY_FULL_NAME.get(full_name)
    assert spec is not None, f"{full_name} is not in trademaster_client.services.SERVICES"
    with Client(Endpoints.local()) as tm:
        service = getattr(tm, spec.attribute)
        for rpc in DESCRIPTOR_SERVICES[full_name]:
            method = getattr(service, rpc)  # resolves the generated stub's callable

            assert method.info is RPCS[f"/{full_name}/{rpc}"]
        assert tm.endpoints.address(spec.attribute) == tm.endpoints.address(spec.server)


@pytest.mark.parametrize("full_name", sorted(DESCRIPTOR_SERVICES))
async def test_every_rpc_is_reachable_through_the_async_client(full_name: str) -> None:
    spec = BY_FULL_NAME[full_name]
    async with AsyncClient(Endpoints.local()) as tm:
        service = getattr(tm, spec.attribute)
        for rpc in DESCRIPTOR_SERVICES[full_name]:
            assert getattr(service, rpc).info.full_method == f"/{full_name}/{rpc}"


def test_the_registry_shares_the_strategy_services_address() -> None:
    endpoints = Endpoints.local().with_overrides({"strategy": "strategy.example:443"})

    assert endpoints.address("model_registry") == "strategy.example:443"
