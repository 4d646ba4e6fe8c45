"""Client-side readiness check over the standard gRPC health protocol."""

from __future__ import annotations

import asyncio
import logging
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

_LOGGER = logging.getLogger(__name__)


async def wait_for_serving(target: str, timeout_s: float, service: str = "") -> None:
    """Poll ``target`` until its health status for ``service`` is SERVING.

    Raises:
        TimeoutError: not SERVING within ``timeout_s``; the message names the last status seen.
    """
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    async with grpc.aio.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"{target} not SERVING for service {service!r} after {timeout_s}s "
                    f"(last: {last})"
                )
            try:
                reply = await stub.Check(
                    health_pb2.HealthCheckRequest(service=service), timeout=min(remaining, 1.0)
                )
            except grpc.aio.AioRpcError as error:
                last = f"{error.code().name}: {error.details()}"
            else:
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
                last = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
            await asyncio.sleep(min(0.1, max(remaining, 0)))
