"""Gateway WebSocket fan-out: which subscriptions share a notifier stream, and one socket's
bounded outbox (order kept; a socket that falls behind is told so and closed)."""

from __future__ import annotations

import asyncio
import json

import pytest
from tm_gateway.routes_events import CLOSE_TRY_AGAIN, SESSION_QUEUE_SIZE, _Session, feed_key
from trademaster.service.auth import Principal, Role

pytestmark = pytest.mark.unit


def _user(subject: str, *roles: Role, token_id: str = "t1") -> Principal:
    return Principal(subject, frozenset(roles), "user", token_id)


def test_tokens_of_one_user_with_the_same_topics_share_a_feed() -> None:
    first = feed_key(_user("alice", Role.RESEARCHER, token_id="t1"), ["training_job/1"])
    second = feed_key(_user("alice", Role.RESEARCHER, token_id="t2"), ["training_job/1"])

    assert first == second


def test_other_user_roles_or_topics_get_their_own_feed() -> None:
    alice = feed_key(_user("alice", Role.RESEARCHER), ["training_job/1"])

    assert feed_key(_user("bob", Role.RESEARCHER), ["training_job/1"]) != alice
    assert feed_key(_user("alice", Role.ADMIN), ["training_job/1"]) != alice
    assert feed_key(_user("alice", Role.RESEARCHER), ["training_job/2"]) != alice


def test_service_tokens_never_share_across_token_ids() -> None:
    first = Principal("svc", frozenset({Role.ADMIN}), "service", "t1")
    second = Principal("svc", frozenset({Role.ADMIN}), "service", "t2")

    assert feed_key(first, ["x"]) != feed_key(second, ["x"])
    assert feed_key(first, ["x"]) == feed_key(first, ["x"])


class _GatedSocket:
    """A WebSocket whose sends wait for ``gate``: a client that reads too slowly."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None

    async def send_text(self, text: str) -> None:
        await self.gate.wait()
        self.sent.append(text)

    async def close(self, code: int, reason: str = "") -> None:
        self.closed = (code, reason)


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_session_sends_in_order() -> None:
    socket = _GatedSocket()
    socket.gate.set()
    session = _Session(socket, stub=None)  # type: ignore[arg-type]

    for n in range(5):
        session.deliver(f"m{n}")
    await _settle()
    await session.close()

    assert socket.sent == [f"m{n}" for n in range(5)]
    assert socket.closed is None


async def test_session_that_falls_behind_gets_an_error_and_is_closed_1013() -> None:
    socket = _GatedSocket()
    session = _Session(socket, stub=None)  # type: ignore[arg-type]

    session.deliver("m0")
    await _settle()  # the writer now waits to send m0; the outbox is empty
    for n in range(1, SESSION_QUEUE_SIZE + 2):
        session.deliver(f"m{n}")
    session.deliver("after")
    socket.gate.set()
    await _settle()
    await session.close()

    assert socket.sent[0] == "m0" and len(socket.sent) == 2
    error = json.loads(socket.sent[1])["error"]
    assert (error["reason"], error["status"]) == ("SUBSCRIBER_TOO_SLOW", 429)
    assert socket.closed == (CLOSE_TRY_AGAIN, "SUBSCRIBER_TOO_SLOW")
