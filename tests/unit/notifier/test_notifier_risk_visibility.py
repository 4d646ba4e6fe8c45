"""Risk events are owner-filtered through the authorization table; risk officers read every
account's events (risk_officer reads everything)."""

from __future__ import annotations

import pytest
from trademaster.service.auth import Principal, Role
from trademaster.service.authz import Action, Resource, authorize

pytestmark = pytest.mark.unit


def _who(*roles: Role) -> Principal:
    return Principal("carol", frozenset(roles), "user")


def test_risk_officer_sees_other_owners_risk_events() -> None:
    grant = authorize(_who(Role.RISK_OFFICER), Resource.EVENT, Action.SUBSCRIBE)
    assert grant.reaches("alice")
    assert grant.reaches("")


def test_trader_sees_own_and_broadcast_risk_events_only() -> None:
    grant = authorize(_who(Role.TRADER), Resource.EVENT, Action.SUBSCRIBE)
    assert grant.reaches("carol")
    assert grant.reaches("")
    assert not grant.reaches("alice")
