"""WebSocket ``/api/v1/events``: platform events for browsers and the CLI, relayed from the
notifier's Subscribe stream (which authorizes, filters by owner and resumes)."""

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from fastapi.security import HTTPAuthorizationCredentials
from google.protobuf import json_format
from trademaster.api.notifier.v1 import notifier_pb2, notifier_pb2_grpc
from trademaster.service.errors import DomainError, error_details

from tm_gateway.backends import Backends
from tm_gateway.http_errors import ApiError, ErrorBody, http_status_for

_LOGGER = logging.getLogger(__name__)

AUTH_TIMEOUT_S = 10.0
STREAM_DEADLINE_S = 24 * 3600.0
"""Longest life of one notifier stream; clients reconnect with ``last_event_id`` after it."""
CLOSE_UNAUTHENTICATED = 4401
CLOSE_TRY_AGAIN = 1013
CLOSE_INTERNAL = 1011
TAG = "events"

PROTOCOL = """WebSocket protocol of `/api/v1/events` (this GET without an upgrade answers 426).

1. Connect to `ws(s)://<host>/api/v1/events?access_token=<JWT>`, or connect without the
   query parameter and send `{"type": "auth", "access_token": "<JWT>"}` as the first message
   within 10 s. Without a valid token the server sends an `error` message and closes with code
   4401.
2. Send `{"type": "subscribe", "topics": ["training_job/<job_id>", ...],
   "last_event_id": "<event_id or empty>"}`. A new `subscribe` replaces the previous one;
   `{"type": "unsubscribe"}` stops it. With `last_event_id` the stream resumes right after that
   event (everything still retained, no gap); without it only new events arrive.
3. The server sends events as JSON: `{"event_id", "time", "topic", "type", "payload"}` where
   `type` names the payload (`training_progress`, `job_state_changed`, `checkpoint_saved`,
   `training_finished`, `backtest_progress`, ...) and `payload` is that message's JSON with
   proto field names. Only events of the caller (admins: all) are sent; a topic the caller may
   not see yields nothing. The first message after each subscribe is a `heartbeat` (empty
   `event_id`): from then on nothing published is missed. Heartbeats repeat on idle streams.
4. Errors arrive as `{"type": "error", "error": {"code", "status", "message", "reason"}}`. An
   invalid subscribe keeps the connection open; a subscriber that fell behind or a notifier
   outage closes it with code 1013: reconnect and subscribe with the last `event_id` received.
"""


def event_json(event: notifier_pb2.Event) -> dict[str, Any]:
    """The WebSocket form of an event (int64 fields as JSON numbers)."""
    payload = getattr(event, event.type) if event.type else None
    return {
        "event_id": event.event_id,
        "time": event.time.ToJsonString() if event.HasField("time") else None,
        "topic": event.topic,
        "type": event.type,
        "payload": (
            json_format.MessageToDict(
                payload,
                always_print_fields_with_no_presence=True,
                preserving_proto_field_name=True,
                unquote_int64_if_possible=True,
            )
            if payload is not None
            else {}
        ),
    }


def _error_message(code: grpc.StatusCode, message: str, reason: str = "") -> str:
    return json.dumps(
        {
            "type": "error",
            "error": {
                "code": code.name,
                "status": http_status_for(code),
                "message": message,
                "reason": reason or code.name,
            },
        }
    )


class _Session:
    """One WebSocket: at most one notifier stream at a time, sends serialized by a lock."""

    def __init__(self, websocket: WebSocket, stub: notifier_pb2_grpc.NotifierServiceStub) -> None:
        self.websocket = websocket
        self.stub = stub
        self.token = ""
        self._send_lock = asyncio.Lock()
        self._pump: asyncio.Task[None] | None = None

    async def send(self, text: str) -> None:
        async with self._send_lock:
            await self.websocket.send_text(text)

    async def subscribe(self, topics: list[str], last_event_id: str) -> None:
        await self.unsubscribe()
        self._pump = asyncio.create_task(self._relay(topics, last_event_id))

    async def unsubscribe(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None

    async def _relay(self, topics: list[str], last_event_id: str) -> None:
        call = self.stub.Subscribe(
            notifier_pb2.SubscribeRequest(topics=topics, after_event_id=last_event_id),
            metadata=(("authorization", f"Bearer {self.token}"),),
            timeout=STREAM_DEADLINE_S,
        )
        try:
            async for reply in call:
                await self.send(json.dumps(event_json(reply.event), separators=(",", ":")))
        except grpc.aio.AioRpcError as error:
            await self._stream_failed(error)
        except (WebSocketDisconnect, RuntimeError) as error:
            # The socket closed under us; the receive loop ends the session.
            _LOGGER.info("events.send_failed error=%r", error)
        finally:
            call.cancel()

    async def _stream_failed(self, error: grpc.aio.AioRpcError) -> None:
        details = error_details(error)
        _LOGGER.info("events.stream_failed code=%s reason=%s", details.code.name, details.reason)
        await self.send(_error_message(details.code, details.message, details.reason))
        if details.code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED):
            return
        if details.code == grpc.StatusCode.UNAUTHENTICATED:
            close_code = CLOSE_UNAUTHENTICATED
        elif details.code in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE):
            close_code = CLOSE_TRY_AGAIN
        else:
            close_code = CLOSE_INTERNAL
        await self.websocket.close(code=close_code, reason=details.reason[:120])


def _subscribe_args(message: dict[str, Any]) -> tuple[list[str], str]:
    topics = message.get("topics")
    last = message.get("last_event_id") or ""
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        raise ValueError(f"topics must be a list of strings, was {topics!r}")
    if not isinstance(last, str):
        raise ValueError(f"last_event_id must be a string, was {last!r}")
    return topics, last


def events_router(backends: Backends, caller: Callable[..., Awaitable[Any]]) -> APIRouter:
    """WS ``/events`` and its HTTP documentation route; ``caller`` is the app's auth dependency."""
    router = APIRouter(tags=[TAG])

    @router.get(
        "/events",
        status_code=status.HTTP_426_UPGRADE_REQUIRED,
        response_model=None,
        responses={426: {"model": ErrorBody, "description": "Always: upgrade to WebSocket."}},
        description=PROTOCOL,
        summary="Event stream (WebSocket)",
    )
    async def events_help() -> None:
        raise ApiError(
            grpc.StatusCode.FAILED_PRECONDITION,
            "GET /api/v1/events needs a WebSocket upgrade (see the OpenAPI description)",
            reason="WEBSOCKET_REQUIRED",
            http_status=status.HTTP_426_UPGRADE_REQUIRED,
        )

    @router.websocket("/events")
    async def events(websocket: WebSocket, access_token: str = "") -> None:
        await websocket.accept()
        channel = backends.channel("notifier")
        if channel is None:
            await websocket.send_text(
                _error_message(
                    grpc.StatusCode.UNAVAILABLE,
                    "the notifier service is not configured (set TM_GATEWAY_NOTIFIER_ADDR)",
                    "BACKEND_NOT_CONFIGURED",
                )
            )
            await websocket.close(code=CLOSE_TRY_AGAIN)
            return
        session = _Session(websocket, notifier_pb2_grpc.NotifierServiceStub(channel))
        first: dict[str, Any] | None = None
        try:
            if not access_token:
                first = await _receive(websocket, AUTH_TIMEOUT_S)
                access_token = str(first.get("access_token") or "") if first else ""
            if not await _authenticate(session, caller, access_token):
                return
            if first is not None and first.get("type") != "auth":
                await _handle(session, first)
            while True:
                message = await _receive(websocket, None)
                if message is not None:
                    await _handle(session, message)
        except (WebSocketDisconnect, RuntimeError) as error:
            # RuntimeError: receiving after the relay closed the socket.
            _LOGGER.debug("events.closed error=%r", error)
        finally:
            await session.unsubscribe()

    return router


async def _receive(websocket: WebSocket, timeout_s: float | None) -> dict[str, Any] | None:
    """The next client message as a JSON object; None (after an error reply) if it is not one."""
    try:
        text = await asyncio.wait_for(websocket.receive_text(), timeout_s)
    except TimeoutError:
        return None
    try:
        message = json.loads(text)
    except json.JSONDecodeError as error:
        message = None
        problem = f"message must be JSON: {error}"
    else:
        problem = f"message must be a JSON object, was {type(message).__name__}"
    if isinstance(message, dict):
        return message
    await websocket.send_text(
        _error_message(grpc.StatusCode.INVALID_ARGUMENT, problem, "INVALID_MESSAGE")
    )
    return None


async def _authenticate(
    session: _Session, caller: Callable[..., Awaitable[Any]], token: str
) -> bool:
    try:
        if not token:
            raise ApiError(
                grpc.StatusCode.UNAUTHENTICATED,
                "missing token: pass ?access_token=<JWT> or send "
                '{"type": "auth", "access_token": "<JWT>"} first',
                reason="TOKEN_MISSING",
            )
        await caller(HTTPAuthorizationCredentials(scheme="Bearer", credentials=token))
    except ApiError as error:
        await _reject(session.websocket, error.code, error.message, error.reason)
        return False
    except DomainError as error:
        await _reject(session.websocket, error.code, error.message, error.reason)
        return False
    session.token = token
    return True


async def _reject(websocket: WebSocket, code: grpc.StatusCode, message: str, reason: str) -> None:
    await websocket.send_text(_error_message(code, message, reason))
    await websocket.close(code=CLOSE_UNAUTHENTICATED, reason=reason[:120])


async def _handle(session: _Session, message: dict[str, Any]) -> None:
    kind = message.get("type")
    if kind == "subscribe":
        try:
            topics, last = _subscribe_args(message)
        except ValueError as error:
            await session.send(
                _error_message(grpc.StatusCode.INVALID_ARGUMENT, str(error), "INVALID_MESSAGE")
            )
            return
        await session.subscribe(topics, last)
    elif kind == "unsubscribe":
        await session.unsubscribe()
    elif kind == "ping":
        await session.send(json.dumps({"type": "pong"}))
    elif kind != "auth":
        await session.send(
            _error_message(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"message type must be subscribe, unsubscribe or ping, was {kind!r}",
                "INVALID_MESSAGE",
            )
        )
