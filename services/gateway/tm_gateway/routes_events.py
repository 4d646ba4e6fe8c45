"""WebSocket ``/api/v1/events``: platform events for browsers and the CLI, relayed from the
notifier's Subscribe stream (which authorizes, filters by owner and resumes)."""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from fastapi.security import HTTPAuthorizationCredentials
from google.protobuf import json_format
from trademaster.api.notifier.v1 import notifier_pb2, notifier_pb2_grpc
from trademaster.service.auth import Principal
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
HEARTBEAT = "heartbeat"
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
5. When the token expires, is revoked, or its user is disabled or has their roles changed, the
   server sends an `error` (reason `TOKEN_EXPIRED` / `TOKEN_REVOKED`) and closes with 4401
   within 5 s: log in again and reconnect with the last `event_id`.
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


SESSION_QUEUE_SIZE = 1_000
"""Messages one WebSocket may have waiting; a client that falls further behind is closed (1013)."""


@dataclass(frozen=True, slots=True)
class _Close:
    """Outbox instruction: close the WebSocket after what was queued before."""

    code: int
    reason: str


FeedKey = tuple[str, frozenset[str], str, str, tuple[str, ...]]


def feed_key(principal: Principal, topics: list[str]) -> FeedKey:
    """What a shared notifier stream is keyed on: callers with equal keys see the same events.

    Service tokens also key on their id, so revoking one never leaves it a stream shared with
    another token of the same service.
    """
    token_id = (principal.token_id or "") if principal.kind == "service" else ""
    roles = frozenset(str(role) for role in principal.roles)
    return (principal.subject, roles, principal.kind, token_id, tuple(topics))


class _Session:
    """One WebSocket: at most one feed at a time; every message goes out through one bounded
    outbox in order, so a slow client never holds up the feed it shares with others."""

    def __init__(self, websocket: WebSocket, stub: notifier_pb2_grpc.NotifierServiceStub) -> None:
        self.websocket = websocket
        self.stub = stub
        self.token = ""  # set from the client once authenticated  # nosec B105
        self.principal: Principal | None = None
        self.feed: _Feed | None = None
        self._outbox: asyncio.Queue[str | _Close] = asyncio.Queue(maxsize=SESSION_QUEUE_SIZE)
        self._writer = asyncio.create_task(self._write())
        self._closing = False

    def deliver(self, text: str) -> None:
        """Queue ``text``; a full outbox leaves the feed and closes with ``SUBSCRIBER_TOO_SLOW``."""
        if self._closing:
            return
        try:
            self._outbox.put_nowait(text)
        except asyncio.QueueFull:
            _LOGGER.warning("events.session_too_slow queue_size=%d", SESSION_QUEUE_SIZE)
            self.leave_feed()
            message = (
                f"subscriber fell behind by more than {SESSION_QUEUE_SIZE} events; "
                "subscribe again with last_event_id set to the last event received"
            )
            self.close_after(
                _error_message(grpc.StatusCode.RESOURCE_EXHAUSTED, message, "SUBSCRIBER_TOO_SLOW"),
                CLOSE_TRY_AGAIN,
                "SUBSCRIBER_TOO_SLOW",
            )

    async def send(self, text: str) -> None:
        self.deliver(text)

    def close_after(self, text: str, code: int, reason: str) -> None:
        """Send ``text`` after what is queued, then close with ``code``."""
        if self._closing:
            return
        self._closing = True
        if self._outbox.qsize() > SESSION_QUEUE_SIZE - 2:
            # Drop every unsent message, never just some: the client resumes after the last one
            # it received, so a hole in the middle would be lost.
            while not self._outbox.empty():
                self._outbox.get_nowait()
        self._outbox.put_nowait(text)
        self._outbox.put_nowait(_Close(code, reason[:120]))

    async def _write(self) -> None:
        try:
            while True:
                item = await self._outbox.get()
                if isinstance(item, _Close):
                    await self.websocket.close(code=item.code, reason=item.reason)
                    return
                await self.websocket.send_text(item)
        except (WebSocketDisconnect, RuntimeError) as error:
            # The socket closed under us; the receive loop ends the session.
            _LOGGER.info("events.send_failed error=%r", error)

    def leave_feed(self) -> None:
        if self.feed is not None:
            self.feed.remove(self)
            self.feed = None

    async def close(self) -> None:
        self.leave_feed()
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer


class _Feed:
    """One notifier Subscribe stream; each event is rendered to JSON once and queued to every
    session that joined. Fresh subscriptions share a feed per caller identity and topic set;
    a resume (``last_event_id``) gets a feed of its own, since its backlog is its own."""

    def __init__(
        self, hub: "_FeedHub", key: FeedKey | None, topics: list[str], last_event_id: str
    ) -> None:
        self.key = key
        self.sessions: set[_Session] = set()
        self._hub = hub
        self._topics = topics
        self._last_event_id = last_event_id
        self._heartbeat: notifier_pb2.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self, stub: notifier_pb2_grpc.NotifierServiceStub, token: str) -> None:
        self._task = asyncio.create_task(self._run(stub, token))

    def add(self, session: _Session) -> None:
        self.sessions.add(session)
        session.feed = self
        if self._heartbeat is not None:
            # Already joined at the notifier: the newcomer misses nothing from now on.
            self._heartbeat.time.GetCurrentTime()
            session.deliver(_event_text(self._heartbeat))

    def remove(self, session: _Session) -> None:
        self.sessions.discard(session)
        if not self.sessions:
            self._hub.forget(self)
            if self._task is not None:
                self._task.cancel()
                self._task = None

    async def _run(self, stub: notifier_pb2_grpc.NotifierServiceStub, token: str) -> None:
        call = stub.Subscribe(
            notifier_pb2.SubscribeRequest(topics=self._topics, after_event_id=self._last_event_id),
            metadata=(("authorization", f"Bearer {token}"),),
            timeout=STREAM_DEADLINE_S,
        )
        try:
            async for reply in call:
                if reply.event.type == HEARTBEAT and self._heartbeat is None:
                    self._heartbeat = notifier_pb2.Event()
                    self._heartbeat.CopyFrom(reply.event)
                text = _event_text(reply.event)
                for session in list(self.sessions):
                    session.deliver(text)
        except grpc.aio.AioRpcError as error:
            self._failed(error)
        finally:
            call.cancel()
            self._hub.forget(self)

    def _failed(self, error: grpc.aio.AioRpcError) -> None:
        details = error_details(error)
        _LOGGER.info("events.stream_failed code=%s reason=%s", details.code.name, details.reason)
        self._hub.forget(self)
        text = _error_message(details.code, details.message, details.reason)
        sessions, self.sessions = list(self.sessions), set()
        for session in sessions:
            session.feed = None
            if details.code in (
                grpc.StatusCode.INVALID_ARGUMENT,
                grpc.StatusCode.PERMISSION_DENIED,
            ):
                session.deliver(text)
                continue
            if details.code == grpc.StatusCode.UNAUTHENTICATED:
                close_code = CLOSE_UNAUTHENTICATED
            elif details.code in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE):
                close_code = CLOSE_TRY_AGAIN
            else:
                close_code = CLOSE_INTERNAL
            session.close_after(text, close_code, details.reason)


class _FeedHub:
    """The shared feeds of one gateway process, by `feed_key`."""

    def __init__(self) -> None:
        self._feeds: dict[FeedKey, _Feed] = {}

    def subscribe(self, session: _Session, topics: list[str], last_event_id: str) -> None:
        """Move ``session`` onto the feed for ``topics`` (its own one when resuming)."""
        session.leave_feed()
        if session.principal is None:
            raise RuntimeError("subscribe before authentication")
        key = None if last_event_id else feed_key(session.principal, topics)
        feed = self._feeds.get(key) if key is not None else None
        if feed is not None:
            feed.add(session)
            return
        feed = _Feed(self, key, topics, last_event_id)
        if key is not None:
            self._feeds[key] = feed
        feed.add(session)
        feed.start(session.stub, session.token)

    def forget(self, feed: _Feed) -> None:
        if feed.key is not None and self._feeds.get(feed.key) is feed:
            del self._feeds[feed.key]


def _event_text(event: notifier_pb2.Event) -> str:
    return json.dumps(event_json(event), separators=(",", ":"))


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
    hub = _FeedHub()

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
        watchdog: asyncio.Task[None] | None = None
        try:
            if not access_token:
                first = await _receive(websocket, AUTH_TIMEOUT_S)
                access_token = str(first.get("access_token") or "") if first else ""
            if not await _authenticate(session, caller, access_token):
                return
            watchdog = asyncio.create_task(_watch_token(session, caller))
            if first is not None and first.get("type") != "auth":
                await _handle(hub, session, first)
            while True:
                message = await _receive(websocket, None)
                if message is not None:
                    await _handle(hub, session, message)
        except (WebSocketDisconnect, RuntimeError) as error:
            # RuntimeError: receiving after the relay closed the socket.
            _LOGGER.debug("events.closed error=%r", error)
        finally:
            if watchdog is not None:
                watchdog.cancel()
            await session.close()

    return router


TOKEN_RECHECK_S = 5.0
"""How often an open WebSocket re-checks its token (revoked, user disabled or demoted)."""


async def _watch_token(session: _Session, caller: Callable[..., Awaitable[Any]]) -> None:
    """Close the socket (4401) when its token expires or stops being valid for its user."""
    credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=session.token)
    while True:
        principal = session.principal
        expires_at = principal.expires_at if principal is not None else None
        left = (expires_at - time.time()) if expires_at is not None else TOKEN_RECHECK_S
        await asyncio.sleep(max(0.0, min(TOKEN_RECHECK_S, left)))
        try:
            if expires_at is not None and time.time() >= expires_at:
                raise ApiError(
                    grpc.StatusCode.UNAUTHENTICATED,
                    "token expired: reconnect with a fresh token and last_event_id",
                    reason="TOKEN_EXPIRED",
                )
            await caller(credentials)
        except (ApiError, DomainError) as error:
            session.leave_feed()
            session.close_after(
                _error_message(error.code, error.message, error.reason),
                CLOSE_UNAUTHENTICATED,
                error.reason,
            )
            return


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
        who = await caller(HTTPAuthorizationCredentials(scheme="Bearer", credentials=token))
    except ApiError as error:
        await _reject(session.websocket, error.code, error.message, error.reason)
        return False
    except DomainError as error:
        await _reject(session.websocket, error.code, error.message, error.reason)
        return False
    session.token = token
    session.principal = who.principal
    return True


async def _reject(websocket: WebSocket, code: grpc.StatusCode, message: str, reason: str) -> None:
    await websocket.send_text(_error_message(code, message, reason))
    await websocket.close(code=CLOSE_UNAUTHENTICATED, reason=reason[:120])


async def _handle(hub: _FeedHub, session: _Session, message: dict[str, Any]) -> None:
    kind = message.get("type")
    if kind == "subscribe":
        try:
            topics, last = _subscribe_args(message)
        except ValueError as error:
            await session.send(
                _error_message(grpc.StatusCode.INVALID_ARGUMENT, str(error), "INVALID_MESSAGE")
            )
            return
        hub.subscribe(session, topics, last)
    elif kind == "unsubscribe":
        session.leave_feed()
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
