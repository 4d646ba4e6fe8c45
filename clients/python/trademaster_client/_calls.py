"""Pieces shared by the sync and asyncio clients: stubs, metadata, keys, channel options."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Sequence
from typing import Any

from google.protobuf.message import Message

from trademaster_client.endpoints import SERVICES
from trademaster_client.rpcs import RpcInfo, rpc_info, service_config

PUBLIC_METHODS = frozenset({"/trademaster.api.identity.v1.IdentityService/Login"})
"""Called without a token."""

Metadata = Sequence[tuple[str, str]]

HOSTED: dict[str, tuple[str, str, str]] = {
    "deployments": ("trainer", "deployment", "DeploymentService"),
    "registry": ("strategy", "model_registry", "ModelRegistryService"),
}
"""Services served at another service's address: client name → (that service, proto module,
service name)."""


def host_service(service: str) -> str:
    """The service whose address serves ``service`` (itself unless it is hosted)."""
    return HOSTED[service][0] if service in HOSTED else service


def stub_class(service: str, aio: bool = False) -> Any:
    """``trademaster.api.<service>.v1.<service>_pb2_grpc.<Service>ServiceStub`` (hosted
    services: their own proto module and name)."""
    if service in HOSTED:
        domain, module_name, name = HOSTED[service]
        module = importlib.import_module(f"trademaster.api.{domain}.v1.{module_name}_pb2_grpc")
        return getattr(module, f"{name}Stub")
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {list(SERVICES)}")
    module = importlib.import_module(f"trademaster.api.{service}.v1.{service}_pb2_grpc")
    return getattr(module, f"{service.capitalize()}ServiceStub")


def full_service_name(service: str) -> str:
    if service in HOSTED:
        domain, _module, name = HOSTED[service]
        return f"trademaster.api.{domain}.v1.{name}"
    return f"trademaster.api.{service}.v1.{service.capitalize()}Service"


def method_info(service: str, method: str) -> RpcInfo:
    full_method = f"/{full_service_name(service)}/{method}"
    info = rpc_info(full_method)
    if info is None:
        raise AttributeError(f"{full_service_name(service)} has no RPC {method!r}")
    return info


def with_key(info: RpcInfo, request: Message) -> Message:
    """A copy of ``request`` with a fresh ``request_id`` when the RPC is keyed by one and the
    caller left it empty, so the retries of this call are deduplicated by the server.

    ``client_order_id`` is never invented: it is the caller's own name for an order."""
    if info.key_field != "request_id" or getattr(request, "request_id", None) != "":
        return request
    keyed = type(request)()
    keyed.CopyFrom(request)
    keyed.request_id = uuid.uuid4().hex  # type: ignore[attr-defined]
    return keyed


def needs_token(info: RpcInfo) -> bool:
    """False for the public RPCs (Login): asking the token cache there would recurse."""
    return info.full_method not in PUBLIC_METHODS


def call_metadata(info: RpcInfo, token: str | None, metadata: Metadata) -> list[tuple[str, str]]:
    out = list(metadata)
    public = info.full_method in PUBLIC_METHODS
    if token and not public and not any(key == "authorization" for key, _ in out):
        out.append(("authorization", f"Bearer {token}"))
    return out


def channel_options(extra: Sequence[tuple[str, Any]] = ()) -> list[tuple[str, Any]]:
    """Retries for idempotent RPCs (service config) and keepalives that notice dead peers."""
    return [
        ("grpc.enable_retries", 1),
        ("grpc.service_config", service_config(full_service_name(s) for s in (*SERVICES, *HOSTED))),
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        ("grpc.keepalive_permit_without_calls", 0),
        *extra,
    ]


def items_field(response: Message, items: str | None) -> str:
    """The repeated field a list response pages over (the only repeated one, unless named)."""
    if items is not None:
        return items
    repeated = [f.name for f in response.DESCRIPTOR.fields if f.is_repeated]
    if len(repeated) != 1:
        raise ValueError(
            f"{response.DESCRIPTOR.full_name} has repeated fields {repeated}; pass items="
        )
    return repeated[0]
