"""NotifierService skeleton: the server, auth and health run for real; every RPC
answers UNIMPLEMENTED until the notifier issue fills it in."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from trademaster.api.notifier.v1 import notifier_pb2_grpc
from trademaster.service.errors import Unimplemented

_LOGGER = logging.getLogger(__name__)

Handler = Callable[[Any, Any, grpc.aio.ServicerContext], Awaitable[Any]]


def _unimplemented(method: str) -> Handler:
    async def handler(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        raise Unimplemented(f"{method} is not implemented yet", reason="NOT_IMPLEMENTED_YET")

    handler.__name__ = method
    return handler


class NotifierServicer(notifier_pb2_grpc.NotifierServiceServicer):
    """Answers UNIMPLEMENTED (with a reason) for every RPC of NotifierService."""

    Subscribe = _unimplemented("Subscribe")
    Publish = _unimplemented("Publish")
