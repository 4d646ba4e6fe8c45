"""gRPC channels to the backend services; calls forward the caller's bearer token."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from trademaster.api.strategy.v1 import strategy_pb2_grpc
from trademaster.service.clients import insecure_channel

from tm_gateway.http_errors import api_error_from_rpc

_LOGGER = logging.getLogger(__name__)

R = TypeVar("R")
HEALTH_TIMEOUT_S = 2.0


class Backends:
    """One channel per configured service; ``call`` turns failures into ``ApiError``."""

    def __init__(self, addresses: dict[str, str], timeout_s: float) -> None:
        if "strategy" not in addresses:
            raise ValueError(f"addresses must include 'strategy', was {sorted(addresses)}")
        self.addresses = dict(addresses)
        self._channels = {
            name: insecure_channel(addr, default_timeout_s=timeout_s)
            for name, addr in addresses.items()
        }
        self.strategy = strategy_pb2_grpc.StrategyServiceStub(self._channels["strategy"])

    def channel(self, name: str) -> grpc.aio.Channel | None:
        """The channel to backend ``name``, or None when it is not configured."""
        return self._channels.get(name)

    async def call(self, method: Callable[..., Awaitable[R]], request: Any, token: str) -> R:
        """Invoke ``method`` (a stub attribute) with ``authorization: Bearer <token>``."""
        try:
            return await method(request, metadata=(("authorization", f"Bearer {token}"),))
        except grpc.aio.AioRpcError as error:
            raise api_error_from_rpc(error) from error

    async def stream(
        self, method: Callable[..., Any], request: Any, token: str
    ) -> tuple[Any, AsyncIterator[Any]]:
        """Start a server-streaming ``method``; returns its first message and the rest.

        Errors before the first message become ``ApiError`` (so a route can still answer with
        a proper status); errors later end the stream.
        """
        call = method(request, metadata=(("authorization", f"Bearer {token}"),))
        iterator = call.__aiter__()
        try:
            first = await iterator.__anext__()
        except grpc.aio.AioRpcError as error:
            raise api_error_from_rpc(error) from error
        return first, iterator

    async def health(self) -> dict[str, str]:
        """Health status name per backend (``SERVING`` when ready), checked concurrently."""
        names = list(self._channels)
        results = await asyncio.gather(*(self._check(self._channels[n]) for n in names))
        return dict(zip(names, results, strict=True))

    @staticmethod
    async def _check(channel: grpc.aio.Channel) -> str:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=HEALTH_TIMEOUT_S)
        except grpc.aio.AioRpcError as error:
            return error.code().name
        return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
