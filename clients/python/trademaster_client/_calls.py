"""Pieces shared by the sync and asyncio clients: stubs, metadata, keys, channel options."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Sequence
from typing import Any

from google.protobuf.message import Message

from trademaster_client.rpcs import RpcInfo, rpc_info, service_config
from trademaster_client.services import SERVICES, service

PUBLIC_METHODS = frozenset({"/trademaster.api.identity.v1.IdentityService/Login"})
"""Called without a token."""

Metadata = Sequence[tuple[str, str]]


def stub_class(attribute: str) -> Any:
    """The generated stub class of a client service, e.g. ``ModelRegistryServiceStub``."""
    spec = service(attribute)
    return getattr(importlib.import_module(spec.stub_module), f"{spec.name}Stub")


def method_info(attribute: str, method: str) -> RpcInfo:
    full_name = service(attribute).full_name
    info = rpc_info(f"/{full_name}/{method}")
    if info is None:
        raise AttributeError(f"{full_name} has no RPC {method!r}")
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
        ("grpc.service_config", service_config(s.full_name for s in SERVICES.values())),
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
