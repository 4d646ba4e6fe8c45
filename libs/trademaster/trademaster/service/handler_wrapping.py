"""Wrap any grpc.aio method handler (unary or streaming) with an async context manager.

Every server interceptor of the kit needs the same thing: run code around the servicer call,
inside the RPC's own task, for all four handler kinds. This module does it once, and likewise
:class:`CallDetailsClientInterceptor` for client interceptors that only rewrite call details.
"""

from __future__ import annotations

import inspect
from abc import abstractmethod
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import grpc

Around = Callable[[Any, grpc.aio.ServicerContext], AbstractAsyncContextManager[Any]]


def wrap_handler(handler: grpc.RpcMethodHandler | None, around: Around) -> Any:
    """Return a copy of ``handler`` whose behaviour runs inside ``around(request, context)``.

    For client-streaming handlers the request passed to ``around`` is ``None``.
    """
    if handler is None:
        return None
    if handler.unary_unary is not None:
        behavior = handler.unary_unary

        async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            async with around(request, context):
                return await behavior(request, context)

        return grpc.unary_unary_rpc_method_handler(
            unary_unary, handler.request_deserializer, handler.response_serializer
        )
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            _streaming(handler.unary_stream, around, pass_request=True),
            handler.request_deserializer,
            handler.response_serializer,
        )
    if handler.stream_unary is not None:
        behavior_su = handler.stream_unary

        async def stream_unary(requests: Any, context: grpc.aio.ServicerContext) -> Any:
            async with around(None, context):
                return await behavior_su(requests, context)

        return grpc.stream_unary_rpc_method_handler(
            stream_unary, handler.request_deserializer, handler.response_serializer
        )
    return grpc.stream_stream_rpc_method_handler(
        _streaming(handler.stream_stream, around, pass_request=False),
        handler.request_deserializer,
        handler.response_serializer,
    )


def _streaming(behavior: Any, around: Around, *, pass_request: bool) -> Any:
    async def streaming(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        async with around(request if pass_request else None, context):
            result = behavior(request, context)
            if inspect.isasyncgen(result):
                async for item in result:
                    yield item
            else:
                # A coroutine handler that writes with context.write().
                await result

    return streaming


class CallDetailsClientInterceptor(
    grpc.aio.UnaryUnaryClientInterceptor,
    grpc.aio.UnaryStreamClientInterceptor,
    grpc.aio.StreamUnaryClientInterceptor,
    grpc.aio.StreamStreamClientInterceptor,
):
    """A client interceptor for all four call kinds that passes calls on with new details."""

    @abstractmethod
    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        """The details to call with instead of ``details``."""

    async def intercept_unary_unary(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return await continuation(self._details(client_call_details), request)

    async def intercept_unary_stream(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return await continuation(self._details(client_call_details), request)

    async def intercept_stream_unary(self, continuation, client_call_details, request_iterator):  # type: ignore[no-untyped-def]
        return await continuation(self._details(client_call_details), request_iterator)

    async def intercept_stream_stream(self, continuation, client_call_details, request_iterator):  # type: ignore[no-untyped-def]
        return await continuation(self._details(client_call_details), request_iterator)
