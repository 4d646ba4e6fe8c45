"""The asyncio client: the same surface as :class:`trademaster_client.Client`, awaitable.

async with AsyncClient(Endpoints.local(), ServiceToken(token)) as tm:
    reply = await tm.trainer.GetTrainingJob(GetTrainingJobRequest(job_id=job_id))
    async for event in tm.subscribe([training_job_topic(job_id)]):
        ...
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import grpc
from google.protobuf.message import Message
from trademaster.api.identity.v1 import identity_pb2
from trademaster.api.notifier.v1 import notifier_pb2

from trademaster_client._calls import (
    Metadata,
    call_metadata,
    channel_options,
    items_field,
    method_info,
    needs_token,
    stub_class,
    with_key,
)
from trademaster_client.client import DEFAULT_TIMEOUT_S
from trademaster_client.credentials import AsyncTokenCache, Clock, Credentials, Token
from trademaster_client.endpoints import Endpoints
from trademaster_client.errors import (
    TradeMasterError,
    UnauthenticatedError,
    UnavailableError,
    from_rpc_error,
)
from trademaster_client.events import SUBSCRIBE_METHOD, Backoff, Cursor, resumable

_LOGGER = logging.getLogger(__name__)


class AsyncMethod:
    """One RPC of one service on the asyncio channel."""

    def __init__(self, client: AsyncClient, service: str, name: str, callable_: Any) -> None:
        self._client = client
        self.info = method_info(service, name)
        self._callable = callable_
        self._stream_token: str | None = None

    async def __call__(
        self, request: Message, *, timeout: float | None = None, metadata: Metadata = ()
    ) -> Any:
        """The response of a unary RPC (server streams: use :meth:`stream`)."""
        if self.info.server_streaming:
            raise TypeError(f"{self.info.full_method} streams; use .stream(request)")
        request = with_key(self.info, request)
        deadline = self._client.default_timeout_s if timeout is None else timeout
        for attempt in (1, 2):
            token = await self._client.tokens.token() if needs_token(self.info) else None
            try:
                return await self._callable(
                    request, timeout=deadline, metadata=call_metadata(self.info, token, metadata)
                )
            except grpc.RpcError as error:
                typed = from_rpc_error(error, self.info.full_method)
                if attempt == 1 and await self._client.relogin(typed, token):
                    continue
                raise typed from None
        raise AssertionError("unreachable")

    async def stream(
        self, request: Message, *, timeout: float | None = None, metadata: Metadata = ()
    ) -> AsyncIterator[Any]:
        """Responses of a server-streaming RPC; errors are typed."""
        call = await self.call(request, timeout=timeout, metadata=metadata)
        try:
            async for reply in call:
                yield reply
        except grpc.RpcError as error:
            raise from_rpc_error(error, self.info.full_method) from None
        finally:
            call.cancel()

    async def call(
        self, request: Message, *, timeout: float | None = None, metadata: Metadata = ()
    ) -> Any:
        """The raw stream call object (for :class:`AsyncEventStream`)."""
        token = self._stream_token = await self._client.tokens.token()
        return self._callable(
            request, timeout=timeout, metadata=call_metadata(self.info, token, metadata)
        )

    async def relogin(self, error: Exception) -> bool:
        return await self._client.relogin(error, self._stream_token)


class AsyncServiceClient:
    """``client.<service>``: every RPC of the service as an awaitable attribute."""

    def __init__(self, client: AsyncClient, service: str) -> None:
        self._client = client
        self._service = service
        self._stub_instance: Any = None
        self._methods: dict[str, AsyncMethod] = {}

    def __getattr__(self, name: str) -> AsyncMethod:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._methods:
            self._methods[name] = AsyncMethod(
                self._client, self._service, name, getattr(self._stub(), name)
            )
        return self._methods[name]

    def _stub(self) -> Any:
        """The generated stub, on a channel opened at first use (addresses may be partial)."""
        if self._stub_instance is None:
            channel = self._client.channel(self._service)
            self._stub_instance = stub_class(self._service)(channel)
        return self._stub_instance


class AsyncClient:
    """asyncio client for every service; create and use it inside one event loop."""

    def __init__(
        self,
        endpoints: Endpoints | None = None,
        credentials: Credentials | None = None,
        *,
        default_timeout_s: float = DEFAULT_TIMEOUT_S,
        channel_credentials: grpc.ChannelCredentials | None = None,
        options: Sequence[tuple[str, Any]] = (),
        clock: Clock = time.time,
    ) -> None:
        self.endpoints = endpoints or Endpoints.from_env()
        self.default_timeout_s = default_timeout_s
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._channel_credentials = channel_credentials
        self._options = channel_options(options)
        self.identity = self.service("identity")
        self.strategy = self.service("strategy")
        self.model_registry = self.service("model_registry")
        self.trainer = self.service("trainer")
        self.deployments = self.service("deployments")
        self.backtest = self.service("backtest")
        self.risk = self.service("risk")
        self.notifier = self.service("notifier")
        self.tokens = AsyncTokenCache(credentials, self._login, clock)

    def channel(self, service: str) -> grpc.aio.Channel:
        address = self.endpoints.address(service)
        if address not in self._channels:
            if self._channel_credentials is not None:
                channel = grpc.aio.secure_channel(address, self._channel_credentials, self._options)
            else:
                channel = grpc.aio.insecure_channel(address, self._options)
            self._channels[address] = channel
        return self._channels[address]

    def service(self, name: str) -> AsyncServiceClient:
        return AsyncServiceClient(self, name)

    async def _login(self, username: str, password: str) -> Token:
        reply = await self.identity.Login(
            identity_pb2.LoginRequest(username=username, password=password)
        )
        return Token(reply.access_token, reply.expire_time.ToDatetime().timestamp())

    async def relogin(self, error: Exception, token: str | None) -> bool:
        return (
            isinstance(error, UnauthenticatedError)
            and error.reason == "TOKEN_EXPIRED"
            and token is not None
            and await self.tokens.invalidate(token)
        )

    async def paginate(
        self,
        method: Callable[..., Any],
        request: Message,
        *,
        items: str | None = None,
        page_size: int = 0,
        timeout: float | None = None,
    ) -> AsyncIterator[Any]:
        """Every item of a list RPC, fetching pages on demand."""
        page = type(request)()
        page.CopyFrom(request)
        if page_size:
            page.page_size = page_size  # type: ignore[attr-defined]
        while True:
            reply = await method(page, timeout=timeout)
            for item in getattr(reply, items_field(reply, items)):
                yield item
            if not reply.next_page_token:
                return
            page.page_token = reply.next_page_token  # type: ignore[attr-defined]

    def subscribe(
        self, topics: Sequence[str], after_event_id: str = "", **options: Any
    ) -> AsyncEventStream:
        return AsyncEventStream(self.notifier.Subscribe, topics, after_event_id, **options)

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class AsyncEventStream:
    """The asyncio twin of :class:`trademaster_client.events.EventStream`."""

    def __init__(
        self,
        subscribe: AsyncMethod,
        topics: Sequence[str],
        after_event_id: str = "",
        *,
        include_heartbeats: bool = False,
        max_failures: int | None = 20,
        backoff: Backoff | None = None,
    ) -> None:
        self._subscribe = subscribe
        self.cursor = Cursor(topics, after_event_id)
        self.include_heartbeats = include_heartbeats
        self.max_failures = max_failures
        self.backoff = backoff or Backoff()
        self.reconnects = 0
        self._closed = False
        self._call: Any = None

    @property
    def last_event_id(self) -> str:
        return self.cursor.last_event_id

    async def __aiter__(self) -> AsyncIterator[notifier_pb2.Event]:
        failures = 0
        while not self._closed:
            try:
                self._call = await self._subscribe.call(self.cursor.request())
                async for reply in self._call:
                    failures = 0
                    if self.cursor.seen(reply.event) or self.include_heartbeats:
                        yield reply.event
                error: TradeMasterError = UnavailableError(
                    grpc.StatusCode.UNAVAILABLE, "STREAM_ENDED", "the notifier ended the stream"
                )
            except grpc.RpcError as raw:
                if self._closed:
                    return
                error = from_rpc_error(raw, SUBSCRIBE_METHOD)
                if not (await self._subscribe.relogin(error) or resumable(error)):
                    raise error from None
            finally:
                if self._call is not None:
                    self._call.cancel()
            failures += 1
            if self.max_failures is not None and failures > self.max_failures:
                raise error
            self.reconnects += 1
            delay = self.backoff.delay(failures)
            _LOGGER.info("events.resubscribe failures=%d delay_s=%.2f", failures, delay)
            await asyncio.sleep(delay)

    def close(self) -> None:
        self._closed = True
        if self._call is not None:
            self._call.cancel()
