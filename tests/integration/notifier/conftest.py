"""An in-process notifier on the session's real Redis, with its own stream prefix per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import grpc
import pytest
from tm_notifier.config import NotifierSettings
from tm_notifier.server import build
from trademaster.api.notifier.v1 import notifier_pb2, notifier_pb2_grpc
from trademaster.service.auth import issue_token
from trademaster.service.events import EventBus
from trademaster.service.server import create_server, stop_server

SECRET = "notifier-test-secret-0123456789abcdef"


def token(subject: str, *roles: str, kind: str = "user") -> str:
    return issue_token(SECRET, subject, roles or ["researcher"], kind=kind)[0]  # type: ignore[arg-type]


def bearer(access_token: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {access_token}"),)


@dataclass
class Notifier:
    """A running notifier, a stub on it, and the bus producers publish with."""

    stub: notifier_pb2_grpc.NotifierServiceStub
    bus: EventBus
    settings: NotifierSettings
    stop: Callable[[], Awaitable[None]]
    """Stop it now (before the test ends); the factory then skips it."""
    address: str

    def subscribe(
        self, access_token: str, topics: list[str], after: str = ""
    ) -> grpc.aio.UnaryStreamCall:
        return self.stub.Subscribe(
            notifier_pb2.SubscribeRequest(topics=topics, after_event_id=after),
            metadata=bearer(access_token),
        )


NotifierFactory = Callable[..., Awaitable[Notifier]]


@pytest.fixture
async def notifier_factory(redis_url: str) -> AsyncIterator[NotifierFactory]:
    """``await notifier_factory(heartbeat_s=..., subscriber_queue_size=...)``; stopped after."""
    cleanups: list[Callable[[], Awaitable[None]]] = []

    async def start(**overrides: object) -> Notifier:
        fields: dict[str, object] = {"event_stream_prefix": f"test:{uuid.uuid4().hex[:8]}:"}
        fields.update(overrides)
        settings = NotifierSettings(
            redis_url=redis_url,
            jwt_secret=SECRET,  # type: ignore[arg-type]
            **fields,  # type: ignore[arg-type]
        )
        parts = await build(settings)
        server, port = await create_server(
            settings,
            service_name="notifier",
            register=parts.register,
            full_service_names=parts.full_service_names,
        )
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        bus = EventBus(redis_url, stream_prefix=settings.event_stream_prefix)

        stopped = False

        async def stop() -> None:
            nonlocal stopped
            if stopped:
                return
            stopped = True
            await channel.close()
            await stop_server(server, 0)
            for callback in parts.on_shutdown:
                await callback()
            await bus.close()

        cleanups.append(stop)
        return Notifier(
            notifier_pb2_grpc.NotifierServiceStub(channel), bus, settings, stop, f"127.0.0.1:{port}"
        )

    yield start
    for cleanup in reversed(cleanups):
        await cleanup()


@pytest.fixture
async def notifier(notifier_factory: NotifierFactory) -> Notifier:
    return await notifier_factory(heartbeat_s=30.0)
