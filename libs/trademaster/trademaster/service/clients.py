"""gRPC client channels between services: auth metadata, default deadline, UNAVAILABLE retry."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import grpc

from trademaster.service.handler_wrapping import CallDetailsClientInterceptor
from trademaster.service.tracing import TracingClientInterceptor

_LOGGER = logging.getLogger(__name__)

TokenProvider = Callable[[], str | None]


def _with_defaults(
    details: grpc.aio.ClientCallDetails, token_provider: TokenProvider | None, timeout_s: float
) -> grpc.aio.ClientCallDetails:
    metadata = list(details.metadata or ())
    token = token_provider() if token_provider is not None else None
    if token and not any(key == "authorization" for key, _ in metadata):
        metadata.append(("authorization", f"Bearer {token}"))
    return grpc.aio.ClientCallDetails(
        details.method,
        details.timeout if details.timeout is not None else timeout_s,
        grpc.aio.Metadata(*metadata),
        details.credentials,
        details.wait_for_ready,
    )


class DefaultsClientInterceptor(CallDetailsClientInterceptor):
    """Adds ``authorization: Bearer <token>`` (if the provider has one) and a default deadline."""

    def __init__(self, token_provider: TokenProvider | None, default_timeout_s: float) -> None:
        self._token_provider = token_provider
        self._timeout_s = default_timeout_s

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        return _with_defaults(details, self._token_provider, self._timeout_s)


class RetryUnavailableInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    """Retries unary-unary calls that fail with UNAVAILABLE, with jittered exponential backoff.

    Only UNAVAILABLE is retried: the server did not process the request, so a retry is safe.
    Attempts share the call's deadline.
    """

    def __init__(self, tries: int = 3, base_delay_s: float = 0.1, max_delay_s: float = 2.0):
        if tries < 1:
            raise ValueError(f"tries must be >= 1, was {tries}")
        self._tries = tries
        self._base_delay_s = base_delay_s
        self._max_delay_s = max_delay_s

    async def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Any],
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        timeout = client_call_details.timeout
        deadline = time.monotonic() + timeout if timeout is not None else None
        details = client_call_details
        for attempt in range(1, self._tries + 1):
            call = await continuation(details, request)
            code = await call.code()
            if code != grpc.StatusCode.UNAVAILABLE or attempt == self._tries:
                return call
            delay = min(self._max_delay_s, self._base_delay_s * 2 ** (attempt - 1))
            delay *= 0.5 + random.random() / 2  # retry jitter, not a secret  # nosec B311
            if deadline is not None:
                remaining = deadline - time.monotonic() - delay
                if remaining <= 0:
                    return call
                details = grpc.aio.ClientCallDetails(
                    details.method,
                    remaining,
                    details.metadata,
                    details.credentials,
                    details.wait_for_ready,
                )
            _LOGGER.info(
                "rpc.retry method=%s attempt=%d delay_s=%.2f", details.method, attempt, delay
            )
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt always returns")


def insecure_channel(
    target: str,
    *,
    token_provider: TokenProvider | None = None,
    default_timeout_s: float = 10.0,
    retry_tries: int = 3,
) -> grpc.aio.Channel:
    """Plaintext channel to another service with the kit's client interceptors."""
    return grpc.aio.insecure_channel(
        target,
        interceptors=[
            DefaultsClientInterceptor(token_provider, default_timeout_s),
            TracingClientInterceptor(),
            RetryUnavailableInterceptor(tries=retry_tries),
        ],
    )
