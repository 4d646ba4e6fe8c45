"""Risk events are owner-filtered, and risk officers read every account's risk events."""

from __future__ import annotations

import pytest
from tm_notifier.servicer import may_see
from trademaster.service.auth import Principal, Role

pytestmark = pytest.mark.unit


def _who(*roles: Role) -> Principal:
    return Principal("carol", frozenset(roles), "user")


def test_risk_officer_sees_other_owners_risk_events_only() -> None:
    officer = _who(Role.RISK_OFFICER)
    assert may_see(officer, "alice", "risk_account/a1")
    assert may_see(officer, "", "risk_global")
    assert not may_see(officer, "alice", "training_job/7")


def test_trader_sees_own_and_broadcast_risk_events() -> None:
    trader = _who(Role.TRADER)
    assert may_see(trader, "carol", "risk_account/a1")
    assert may_see(trader, "", "risk_global")
    assert not may_see(trader, "alice", "risk_account/a2")
