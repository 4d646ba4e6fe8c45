"""The risk service's domain metrics, driven through its real gRPC API.

``tm_risk_order_decisions_total{decision,reason}`` counts submitted orders (dry-run checks only
feed the latency histogram), ``tm_risk_check_duration_seconds`` times every rule evaluation,
``tm_risk_kill_switch_engaged`` is 1 while a kill switch holds a scope HALTED. The service runs
in this process, so its samples are read from the default registry (what /metrics serves).
"""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from trademaster.api.risk.v1 import risk_pb2 as pb

from .conftest import Harness, user

pytestmark = pytest.mark.integration

DECISIONS = "tm_risk_order_decisions_total"
CHECKS = "tm_risk_check_duration_seconds_count"


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture(scope="module", autouse=True)
async def instruments(harness: Harness) -> None:
    await harness.instrument("AAA")


async def test_decisions_by_outcome_and_reason_and_check_latency(harness: Harness) -> None:
    owner = user()
    account = await harness.account(owner)
    await harness.bar("AAA", 100.0, wait_account=account)  # dry-run checks while waiting
    allowed = _sample(DECISIONS, decision="ALLOW", reason="none")
    halted = _sample(DECISIONS, decision="DENY", reason="TRADING_HALTED")
    checks = _sample(CHECKS)

    assert (await harness.submit(owner, account, "1")).decision.decision == pb.DECISION_ALLOW
    await harness.set_state(account, pb.TRADING_STATE_HALTED, "desk review")
    denied = await harness.submit(owner, account, "1")
    assert [v.reason for v in denied.decision.violations] == ["TRADING_HALTED"]
    await harness.call(
        "CheckOrder",
        pb.CheckOrderRequest(
            order=pb.Order(
                account_id=account,
                instrument_id="AAA",
                side=pb.ORDER_SIDE_BUY,
                order_type=pb.ORDER_TYPE_MARKET,
                quantity="1",
            )
        ),
    )

    assert _sample(DECISIONS, decision="ALLOW", reason="none") == allowed + 1
    assert _sample(DECISIONS, decision="DENY", reason="TRADING_HALTED") == halted + 1
    assert _sample(CHECKS) == checks + 3  # two submissions and the dry run
    await harness.set_state(account, pb.TRADING_STATE_ACTIVE, "review done")


async def test_kill_switch_gauge_follows_the_trading_state(harness: Harness) -> None:
    owner = user()
    account = await harness.account(owner)
    assert _sample("tm_risk_kill_switch_engaged") == 0.0
    await harness.call(
        "KillSwitch",
        pb.KillSwitchRequest(scope=pb.SCOPE_ACCOUNT, scope_id=account, reason="panic"),
        owner,
        "trader",
    )
    assert _sample("tm_risk_kill_switch_engaged") == 1.0
    await harness.set_state(account, pb.TRADING_STATE_ACTIVE, "all clear")
    assert _sample("tm_risk_kill_switch_engaged") == 0.0
