"""A real in-process grpc.aio server with byte handlers, wired by ``create_server``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import grpc
import pydantic
import pytest
from trademaster.service import auth, errors
from trademaster.service.authz import Action, Resource, authorize
from trademaster.service.server import create_server, stop_server
from trademaster.service.settings import ServiceSettings

SECRET = "unit-test-secret-0123456789abcdefghij"
SERVICE = "tm.test.v1.Echo"


class _Payload(pydantic.BaseModel):
    size: int = pydantic.Field(ge=1)


async def _whoami(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    principal = auth.current_principal()
    roles = ",".join(sorted(role.value for role in principal.roles))
    return f"{principal.subject}|{principal.kind}|{roles}".encode()


async def _traders_only(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return authorize(auth.current_principal(), Resource.ORDER, Action.SUBMIT).subject.encode()


async def _fail(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    kind = request.decode()
    if kind == "invalid":
        raise errors.InvalidArgument(
            "window must be >= 1, was 0", [("window", "must be >= 1, was 0")]
        )
    if kind == "not_found":
        raise errors.NotFound(
            "strategy 's-1' not found", reason="STRATEGY_NOT_FOUND", metadata={"id": "s-1"}
        )
    if kind == "pydantic":
        _Payload.model_validate({"size": 0})
    raise RuntimeError("secret database password is hunter2")


async def _count(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
    auth.current_principal()
    for index in range(int(request.decode())):
        yield str(index).encode()


def _register(server: grpc.aio.Server) -> None:
    def unary(fn: Callable[[bytes, grpc.aio.ServicerContext], Awaitable[bytes]]):
        return grpc.unary_unary_rpc_method_handler(fn)

    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                SERVICE,
                {
                    "WhoAmI": unary(_whoami),
                    "TradersOnly": unary(_traders_only),
                    "Fail": unary(_fail),
                    "Ping": unary(_ping),
                    "Flaky": unary(_flaky),
                    "Slow": unary(_slow),
                    "Aborted": unary(_aborted),
                    "Header": unary(_header),
                    "Count": grpc.unary_stream_rpc_method_handler(_count),
                },
            ),
        )
    )


async def _ping(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return b"pong"


_FLAKY_CALLS: dict[bytes, int] = {}


async def _flaky(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    """Request ``b"<key>:<n>"``: UNAVAILABLE for the first n calls with that key, then OK."""
    key, _, failures = request.partition(b":")
    _FLAKY_CALLS[key] = _FLAKY_CALLS.get(key, 0) + 1
    if _FLAKY_CALLS[key] <= int(failures):
        raise errors.Unavailable("try again")
    return str(_FLAKY_CALLS[key]).encode()


async def _aborted(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    """Always ABORTED; the message counts calls with this request as key."""
    _FLAKY_CALLS[request] = _FLAKY_CALLS.get(request, 0) + 1
    raise errors.Aborted(str(_FLAKY_CALLS[request]))


async def _slow(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    await asyncio.sleep(float(request.decode()))
    return b"done"


async def _header(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    for key, value in context.invocation_metadata() or ():
        if key == request.decode():
            return value.encode() if isinstance(value, str) else value
    return b""


@dataclass
class EchoServer:
    target: str
    channel: grpc.aio.Channel
    secret: str = SECRET

    def unary(self, method: str) -> grpc.aio.UnaryUnaryMultiCallable:
        return self.channel.unary_unary(f"/{SERVICE}/{method}")

    def stream(self, method: str) -> grpc.aio.UnaryStreamMultiCallable:
        return self.channel.unary_stream(f"/{SERVICE}/{method}")


def make_settings() -> ServiceSettings:
    return ServiceSettings(
        database_url="postgresql://unused",
        redis_url="",  # no Redis in unit tests: revocation checks are off (see integration)
        jwt_secret=SECRET,
    )


@pytest.fixture(scope="session")
async def echo_server() -> AsyncIterator[EchoServer]:
    server, port = await create_server(
        make_settings(),
        service_name="unittest",
        register=_register,
        full_service_names=[SERVICE],
        public_methods=frozenset({f"/{SERVICE}/Ping"}),
    )
    target = f"127.0.0.1:{port}"
    async with grpc.aio.insecure_channel(target) as channel:
        yield EchoServer(target, channel)
    await stop_server(server, 0)


Bearer = Callable[..., tuple[tuple[str, str], ...]]


@pytest.fixture(scope="session")
def bearer() -> Bearer:
    """Factory of ``authorization`` metadata: ``bearer(*roles, subject=..., ttl_s=...)``."""

    def make(
        *roles: auth.Role, subject: str = "alice", ttl_s: float = 60
    ) -> tuple[tuple[str, str], ...]:
        token, _ = auth.issue_token(SECRET, subject, roles, ttl_s=ttl_s)
        return (("authorization", f"Bearer {token}"),)

    return make
