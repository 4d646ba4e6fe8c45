"""Per-RPC cost of the service kit's interceptor chain vs a bare grpc.aio server.

Prints one JSON line per measurement and a summary line; bounded (~N calls per server).
"""

from __future__ import annotations

import asyncio
import json
import platform
import statistics
import sys
import time

import grpc
from trademaster.service.auth import Role, issue_token
from trademaster.service.server import create_server, stop_server
from trademaster.service.settings import ServiceSettings

_SERVICE = "tm.bench.v1.Echo"
_SECRET = "bench-secret-0123456789abcdefghijkl"
_N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000


async def _echo(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return request


def _register(server: grpc.aio.Server) -> None:
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                _SERVICE, {"Echo": grpc.unary_unary_rpc_method_handler(_echo)}
            ),
        )
    )


async def _latencies_us(port: int, metadata: tuple[tuple[str, str], ...]) -> list[float]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.unary_unary(f"/{_SERVICE}/Echo")
        for _ in range(100):
            await call(b"x", metadata=metadata)
        samples = []
        for _ in range(_N):
            start = time.perf_counter()
            await call(b"x", metadata=metadata)
            samples.append((time.perf_counter() - start) * 1e6)
        return samples


async def main() -> None:
    machine = f"{platform.machine()}-{platform.node()}"
    bare = grpc.aio.server()
    _register(bare)
    bare_port = bare.add_insecure_port("127.0.0.1:0")
    await bare.start()
    settings = ServiceSettings(database_url="unused", redis_url="unused", jwt_secret=_SECRET)
    kit, kit_port = await create_server(
        settings, service_name="bench", register=_register, full_service_names=[_SERVICE]
    )
    token, _ = issue_token(_SECRET, "bench", [Role.ADMIN])
    try:
        results = {
            "bare": await _latencies_us(bare_port, ()),
            "kit": await _latencies_us(kit_port, (("authorization", f"Bearer {token}"),)),
        }
    finally:
        await bare.stop(0)
        await stop_server(kit, 0)
    for name, samples in results.items():
        print(
            json.dumps(
                {
                    "bench": f"service_unary_rpc_p50_{name}",
                    "value": round(statistics.median(samples), 1),
                    "unit": "us",
                    "n": len(samples),
                    "machine": machine,
                }
            )
        )
    ratio = statistics.median(results["kit"]) / statistics.median(results["bare"])
    print(
        json.dumps(
            {
                "bench": "service_unary_rpc_p50_kit_over_bare",
                "value": round(ratio, 2),
                "unit": "ratio",
                "n": _N,
                "machine": machine,
            }
        )
    )
    print(
        f"summary: kit interceptor chain (request id, tracing, metrics, JWT auth, errors) "
        f"costs {ratio:.2f}x a bare unary RPC over loopback, n={_N}"
    )


if __name__ == "__main__":
    asyncio.run(main())
