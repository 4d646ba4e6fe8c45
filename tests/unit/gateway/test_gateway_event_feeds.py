"""Which WebSocket subscriptions may share one notifier stream in the gateway."""

from __future__ import annotations

import pytest
from tm_gateway.routes_events import feed_key
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
