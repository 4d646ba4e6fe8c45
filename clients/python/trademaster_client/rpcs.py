"""What the client knows about each RPC, generated from the proto comments into ``_rpc_table``:
whether a repeat is safe (so UNAVAILABLE is retried), which field is the idempotency key, and
whether the RPC pages."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from trademaster_client._rpc_table import RPCS as _TABLE


@dataclass(frozen=True)
class RpcInfo:
    """One row of the table; ``full_method`` is ``/package.Service/Method``."""

    full_method: str
    idempotency: str
    """read-only, key, yes, no or undocumented (see protos/README.md)."""
    key_field: str
    paginated: bool
    server_streaming: bool

    @property
    def retry_safe(self) -> bool:
        return self.idempotency in ("read-only", "key", "yes")

    @property
    def service(self) -> str:
        return self.full_method.strip("/").split("/")[0]

    @property
    def method(self) -> str:
        return self.full_method.rsplit("/", 1)[1]


RPCS: dict[str, RpcInfo] = {row[0]: RpcInfo(*row) for row in _TABLE}


def rpc_info(full_method: str) -> RpcInfo | None:
    return RPCS.get(full_method)


RETRY_POLICY = {
    "maxAttempts": 4,
    "initialBackoff": "0.2s",
    "maxBackoff": "2s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}
"""Retries of idempotent calls: the server did not answer, so a repeat cannot do harm."""


def service_config(services: Iterable[str], retry_policy: dict[str, object] | None = None) -> str:
    """gRPC service config JSON: a retry policy for the retry-safe unary RPCs of ``services``.

    Streams are resumed by the event helper instead; non-idempotent RPCs are never retried, so a
    lost answer to ``ResumeTrainingJob`` surfaces as ``UnavailableError`` for the caller to
    check."""
    wanted = set(services)
    names = [
        {"service": info.service, "method": info.method}
        for info in RPCS.values()
        if info.service in wanted and info.retry_safe and not info.server_streaming
    ]
    config: dict[str, object] = {"methodConfig": []}
    if names:
        config["methodConfig"] = [{"name": names, "retryPolicy": retry_policy or RETRY_POLICY}]
    return json.dumps(config)
