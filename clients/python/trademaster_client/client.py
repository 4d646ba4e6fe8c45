"""The synchronous client: one object for every TradeMaster service (``tm.strategy``,
``tm.model_registry``, ``tm.trainer``, ... as listed in ``trademaster_client.services``).

    from trademaster_client import Client, Endpoints, ServiceToken
    from trademaster.api.trainer.v1 import trainer_pb2

    with Client(Endpoints.local(), ServiceToken(token)) as tm:
        job = tm.trainer.GetTrainingJob(trainer_pb2.GetTrainingJobRequest(job_id=...)).job

Each ``tm.<service>.<Rpc>(request)`` adds the bearer token, a default deadline and (for RPCs
keyed by ``request_id``) a fresh key, and raises a typed ``TradeMasterError``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
from trademaster.api.identity.v1 import identity_pb2

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
from trademaster_client.credentials import Clock, Credentials, Token, TokenCache
from trademaster_client.endpoints import Endpoints
from trademaster_client.errors import UnauthenticatedError, from_rpc_error
from trademaster_client.events import EventStream

DEFAULT_TIMEOUT_S = 30.0
Response = TypeVar("Response", bound=Message)


class Method:
    """One RPC of one service, bound to the client's channel and token."""

    def __init__(self, client: Client, service: str, name: str, callable_: Any) -> None:
        self._client = client
        self.info = method_info(service, name)
        self._callable = callable_
        self._stream_token: str | None = None

    def __call__(
        self, request: Message, *, timeout: float | None = None, metadata: Metadata = ()
    ) -> Any:
        """Unary RPCs return the response; server streams return an iterator of responses."""
        request = with_key(self.info, request)
        if self.info.server_streaming:
            return self._stream(request, timeout, metadata)
        deadline = self._client.default_timeout_s if timeout is None else timeout
        for attempt in (1, 2):
            token = self._client.tokens.token() if needs_token(self.info) else None
            try:
                return self._callable(
                    request, timeout=deadline, metadata=call_metadata(self.info, token, metadata)
                )
            except grpc.RpcError as error:
                typed = from_rpc_error(error, self.info.full_method)
                if attempt == 1 and self._client.relogin(typed, token):
                    continue
                raise typed from None
        raise AssertionError("unreachable")

    def call(self, request: Message, *, metadata: Metadata = ()) -> Any:
        """The raw gRPC stream call (cancel()-able) of a server-streaming RPC, without a
        deadline; for helpers such as :class:`EventStream` that translate errors themselves."""
        token = self._stream_token = self._client.tokens.token()
        return self._callable(request, metadata=call_metadata(self.info, token, metadata))

    def relogin(self, error: Exception) -> bool:
        """After a stream from :meth:`call` failed: True if a fresh login replaced its token."""
        return self._client.relogin(error, self._stream_token)

    def _stream(self, request: Message, timeout: float | None, metadata: Metadata) -> Iterator[Any]:
        token = self._client.tokens.token()
        call = self._callable(
            request, timeout=timeout, metadata=call_metadata(self.info, token, metadata)
        )
        try:
            yield from call
        except grpc.RpcError as error:
            raise from_rpc_error(error, self.info.full_method) from None
        finally:
            call.cancel()


class ServiceClient:
    """``client.<service>``: every RPC of the service as an attribute (``.CreateTrainingJob``)."""

    def __init__(self, client: Client, service: str) -> None:
        self._client = client
        self._service = service
        self._stub_instance: Any = None
        self._methods: dict[str, Method] = {}

    def __getattr__(self, name: str) -> Method:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._methods:
            self._methods[name] = Method(
                self._client, self._service, name, getattr(self._stub(), name)
            )
        return self._methods[name]

    def _stub(self) -> Any:
        """The generated stub, on a channel opened at first use (addresses may be partial)."""
        if self._stub_instance is None:
            channel = self._client.channel(self._service)
            self._stub_instance = stub_class(self._service)(channel)
        return self._stub_instance


class Client:
    """Sync client for every service; thread-safe; close it (or use ``with``) when done."""

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
        self._channels: dict[str, grpc.Channel] = {}
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
        self.tokens = TokenCache(credentials, self._login, clock)

    def channel(self, service: str) -> grpc.Channel:
        """The channel to ``service`` (shared by services behind the same address)."""
        address = self.endpoints.address(service)
        if address not in self._channels:
            if self._channel_credentials is not None:
                channel = grpc.secure_channel(address, self._channel_credentials, self._options)
            else:
                channel = grpc.insecure_channel(address, self._options)
            self._channels[address] = channel
        return self._channels[address]

    def service(self, name: str) -> ServiceClient:
        return ServiceClient(self, name)

    def _login(self, username: str, password: str) -> Token:
        reply = self.identity.Login(identity_pb2.LoginRequest(username=username, password=password))
        return Token(reply.access_token, reply.expire_time.ToDatetime().timestamp())

    def relogin(self, error: Exception, token: str | None) -> bool:
        """True when ``error`` is an expired password token that a new login replaces."""
        return (
            isinstance(error, UnauthenticatedError)
            and error.reason == "TOKEN_EXPIRED"
            and token is not None
            and self.tokens.invalidate(token)
        )

    def paginate(
        self,
        method: Callable[..., Any],
        request: Message,
        *,
        items: str | None = None,
        page_size: int = 0,
        timeout: float | None = None,
    ) -> Iterator[Any]:
        """Every item of a list RPC, fetching pages on demand: ``tm.paginate(tm.trainer
        .ListTrainingJobs, ListTrainingJobsRequest(states=[...]))``."""
        page = type(request)()
        page.CopyFrom(request)
        if page_size:
            page.page_size = page_size  # type: ignore[attr-defined]
        while True:
            reply = method(page, timeout=timeout)
            yield from getattr(reply, items_field(reply, items))
            if not reply.next_page_token:
                return
            page.page_token = reply.next_page_token  # type: ignore[attr-defined]

    def subscribe(
        self,
        topics: Sequence[str],
        after_event_id: str = "",
        **options: Any,
    ) -> EventStream:
        """Events on ``topics`` that survive disconnects: see :class:`EventStream`."""
        return EventStream(self.notifier.Subscribe, topics, after_event_id, **options)

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()
        self._channels.clear()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
