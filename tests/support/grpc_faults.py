"""A real gRPC proxy that forwards raw bytes to a real service and fails chosen attempts with
UNAVAILABLE, so tests can watch what a client retries (the server never saw the failed ones)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent import futures
from typing import Any

import grpc


class FlakyProxy:
    """Listens on 127.0.0.1:<port>; the first ``fail_first`` attempts of each method fail."""

    def __init__(self, upstream: str, fail_first: int = 1) -> None:
        self.fail_first = fail_first
        self.attempts: Counter[str] = Counter()
        self.forwarded: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._upstream = grpc.insecure_channel(upstream)
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self._server.add_generic_rpc_handlers([_Handler(self)])
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self.address = f"127.0.0.1:{self.port}"

    def __enter__(self) -> FlakyProxy:
        self._server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.stop(grace=None).wait()
        self._upstream.close()

    def _call(self, method: str, request: bytes, context: grpc.ServicerContext) -> bytes:
        with self._lock:
            self.attempts[method] += 1
            fail = self.attempts[method] <= self.fail_first
        if fail:
            context.abort(grpc.StatusCode.UNAVAILABLE, "injected by FlakyProxy")
        metadata = [(k, v) for k, v in context.invocation_metadata() if not k.startswith("grpc-")]
        forward = self._upstream.unary_unary(method)
        try:
            reply, call = forward.with_call(
                request, metadata=metadata, timeout=context.time_remaining()
            )
        except grpc.RpcError as error:
            context.set_trailing_metadata(error.trailing_metadata() or ())  # type: ignore[attr-defined]
            context.abort(error.code(), error.details())  # type: ignore[attr-defined]
        with self._lock:
            self.forwarded[method] += 1
        return reply  # type: ignore[no-any-return]


class _Handler(grpc.GenericRpcHandler):
    def __init__(self, proxy: FlakyProxy) -> None:
        self._proxy = proxy

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> Any:
        method = handler_call_details.method  # type: ignore[attr-defined]

        def handle(request: bytes, context: grpc.ServicerContext) -> bytes:
            return self._proxy._call(method, request, context)

        return grpc.unary_unary_rpc_method_handler(handle)
