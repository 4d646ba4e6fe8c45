"""Trading states, breakers and the kill switch through the real service (issue 10 cases)."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from tm_notifier.envelopes import to_event
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.service.events import EventBus

from .conftest import OFFICER, Harness, user

pytestmark = pytest.mark.integration

BUY, SELL = pb.ORDER_SIDE_BUY, pb.ORDER_SIDE_SELL


@pytest.fixture(scope="module", autouse=True)
async def instruments(harness: Harness) -> None:
    await harness.instrument("AAA")


async def _long(harness: Harness, owner: str, account: str, qty: str) -> None:
    reply = await harness.submit(owner, account, qty)
    await harness.bar("AAA", 100.0)
    await harness.wait_order(owner, account, reply.order.client_order_id, pb.ORDER_STATUS_FILLED)
    await harness.bar("AAA", 100.0, wait_account=account)


def _reasons(reply: pb.SubmitOrderResponse) -> list[str]:
    return [v.reason for v in reply.decision.violations]


async def test_reducing_flat_denies_everything(harness: Harness) -> None:
    owner = user()
    account = await harness.account(owner)
    await harness.bar("AAA", 100.0, wait_account=account)
    await harness.set_state(account, pb.TRADING_STATE_REDUCING)
    for side in (BUY, SELL):
        reply = await harness.submit(owner, account, "1", side)
        assert _reasons(reply) == ["TRADING_STATE_REDUCING"]
        assert "flat" in reply.decision.violations[0].message
        assert reply.decision.trading_state == pb.TRADING_STATE_REDUCING


async def test_reducing_long_10(harness: Harness) -> None:
    owner = user()
    account = await harness.account(owner)
    await harness.bar("AAA", 100.0, wait_account=account)
    await _long(harness, owner, account, "10")
    await harness.set_state(account, pb.TRADING_STATE_REDUCING)
    flip = await harness.submit(owner, account, "11", SELL)
    assert (
        _reasons(flip) == ["TRADING_STATE_REDUCING"]
        and "flip" in flip.decision.violations[0].message
    )
    buy = await harness.submit(owner, account, "1", BUY)
    assert _reasons(buy) == ["TRADING_STATE_REDUCING"]
    # working orders count: a resting sell of 6 leaves room for 4 more
    rest = await harness.submit(owner, account, "6", SELL, limit="150.00")
    assert rest.decision.decision == pb.DECISION_ALLOW
    assert _reasons(await harness.submit(owner, account, "5", SELL)) == ["TRADING_STATE_REDUCING"]
    four = await harness.submit(owner, account, "4", SELL)
    assert four.decision.decision == pb.DECISION_ALLOW
    await harness.call(
        "CancelOrder",
        pb.CancelOrderRequest(account_id=account, client_order_id=rest.order.client_order_id),
        owner,
        "trader",
    )


async def test_reducing_sell_10_of_10_is_allowed(harness: Harness) -> None:
    owner = user()
    account = await harness.account(owner)
    await harness.bar("AAA", 100.0, wait_account=account)
    await _long(harness, owner, account, "10")
    await harness.set_state(account, pb.TRADING_STATE_REDUCING)
    reply = await harness.submit(owner, account, "10", SELL)
    assert reply.decision.decision == pb.DECISION_ALLOW


async def test_halted_denies_new_allows_cancel_and_flagged_exit(harness: Harness) -> None:
    owner = user()
    account = await harness.account(owner)
    await harness.bar("AAA", 100.0, wait_account=account)
    await _long(harness, owner, account, "10")
    resting = await harness.submit(owner, account, "1", BUY, limit="50.00")
    await harness.set_state(account, pb.TRADING_STATE_HALTED, "desk review")
    assert _reasons(await harness.submit(owner, account, "1", BUY)) == ["TRADING_HALTED"]
    assert _reasons(await harness.submit(owner, account, "1", SELL)) == ["TRADING_HALTED"]
    cancel = await harness.call(
        "CancelOrder",
        pb.CancelOrderRequest(account_id=account, client_order_id=resting.order.client_order_id),
        owner,
        "trader",
    )
    assert cancel.order.status == pb.ORDER_STATUS_CANCELLED
    exit_ = await harness.submit(owner, account, "10", SELL, reduce_only=True, coid="exit-1")
    assert exit_.decision.decision == pb.DECISION_ALLOW
    assert exit_.decision.trading_state == pb.TRADING_STATE_HALTED
    audited = await harness.call(
        "ListDecisions",
        pb.ListDecisionsRequest(account_id=account, client_order_id="exit-1"),
        owner,
        "viewer",
    )
    assert audited.decisions[0].order.reduce_only


async def test_state_changes_are_audited_and_listed(harness: Harness) -> None:
    owner = user()
    account = await harness.account(owner)
    await harness.set_state(account, pb.TRADING_STATE_HALTED, "first")
    await harness.set_state(account, pb.TRADING_STATE_ACTIVE, "back")
    history = await harness.call(
        "ListTradingStateChanges",
        pb.ListTradingStateChangesRequest(scope=pb.SCOPE_ACCOUNT, scope_id=account),
        owner,
        "viewer",
    )
    assert [(c.trading_state, c.previous_state, c.reason) for c in history.changes] == [
        (pb.TRADING_STATE_ACTIVE, pb.TRADING_STATE_HALTED, "back"),
        (pb.TRADING_STATE_HALTED, pb.TRADING_STATE_UNSPECIFIED, "first"),
    ]
    assert all(c.updated_by == OFFICER for c in history.changes)


async def test_trader_cannot_set_state(harness: Harness) -> None:
    owner = user()
    account = await harness.account(owner)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.call(
            "SetTradingState",
            pb.SetTradingStateRequest(
                scope=pb.SCOPE_ACCOUNT,
                scope_id=account,
                trading_state=pb.TRADING_STATE_ACTIVE,
                reason="x",
            ),
            owner,
            "trader",
        )
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_daily_loss_breach_halts_and_emits_event(harness: Harness) -> None:
    owner = user()
    account = await harness.account(owner, cash="100000", max_daily_loss="500")
    bus = EventBus(harness.settings.redis_url)
    try:
        await harness.bar("AAA", 100.0, wait_account=account)
        await _long(harness, owner, account, "100")
        await harness.bar("AAA", 94.0)  # -600 unrealized
        deadline = time.monotonic() + 30
        while True:
            state = await harness.call(
                "GetTradingState",
                pb.GetTradingStateRequest(scope=pb.SCOPE_ACCOUNT, scope_id=account),
                owner,
                "viewer",
            )
            if state.state.trading_state == pb.TRADING_STATE_HALTED:
                break
            assert time.monotonic() < deadline, state
            await harness.bar("AAA", 94.0)
            await asyncio.sleep(0.05)
        assert state.state.updated_by == "breaker:daily_loss"
        assert "exceeds the limit 500.00" in state.state.reason
        deadline = time.monotonic() + 30
        while True:  # published in the background after the state change
            events = await bus.read([f"risk_account/{account}"], None, count=1000)
            changed = [e for e in events if e.type == "trading_state_changed"]
            if changed:
                break
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        assert changed and changed[-1].payload["new_state"] == "HALTED"
        assert changed[-1].owner_id == owner
    finally:
        await bus.close()


async def test_denial_streak_moves_to_reducing_with_cooldown(harness: Harness) -> None:
    owner = user()
    account = await harness.account(
        owner, max_order_quantity="1", max_consecutive_denials=3, breaker_cooldown_seconds=3600
    )
    await harness.bar("AAA", 100.0, wait_account=account)
    for _ in range(3):
        await harness.submit(owner, account, "2")
    state = await harness.call(
        "GetTradingState",
        pb.GetTradingStateRequest(scope=pb.SCOPE_ACCOUNT, scope_id=account),
        owner,
        "viewer",
    )
    assert state.state.trading_state == pb.TRADING_STATE_REDUCING
    assert state.state.HasField("cooldown_until")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.set_state(account, pb.TRADING_STATE_ACTIVE, "try early")
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_kill_switch_halts_cancels_flattens_and_reports(harness: Harness) -> None:
    owner = user()
    account = await harness.account(owner)
    await harness.bar("AAA", 100.0, wait_account=account)
    await _long(harness, owner, account, "10")
    for n in range(20):
        await harness.submit(owner, account, "1", BUY, limit=f"{80 + n}.00")
    bus = EventBus(harness.settings.redis_url)
    try:
        reply = await harness.call(
            "KillSwitch",
            pb.KillSwitchRequest(
                scope=pb.SCOPE_ACCOUNT, scope_id=account, reason="panic", flatten=True
            ),
            owner,
            "trader",
        )
        assert reply.state.trading_state == pb.TRADING_STATE_HALTED
        assert (reply.working_orders, reply.cancels_acknowledged, reply.cancels_failed) == (
            20,
            20,
            0,
        )
        assert (reply.flatten_orders_submitted, reply.flatten_orders_denied) == (1, 0)
        assert reply.total_latency.ToNanoseconds() >= reply.cancel_latency.ToNanoseconds()
        working = await harness.call(
            "ListOrders",
            pb.ListOrdersRequest(account_id=account, working_only=True),
            owner,
            "viewer",
        )
        assert [o.reduce_only for o in working.orders] == [True]  # only the flatten order
        await harness.bar("AAA", 99.0)
        deadline = time.monotonic() + 30
        while await harness.position(owner, account) != 0:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        deadline = time.monotonic() + 30
        while True:  # events are published in the background, after the reply
            events = await bus.read([f"risk_account/{account}"], None, count=10_000)
            types = [e.type for e in events]
            if "kill_switch_completed" in types and "position_changed" in types[-3:]:
                break
            assert time.monotonic() < deadline, types
            await asyncio.sleep(0.05)
        assert "kill_switch_engaged" in types and "kill_switch_completed" in types
        done = [e for e in events if e.type == "kill_switch_completed"][-1]
        assert done.payload["cancels_acknowledged"] == 20
        typed = [to_event(e) for e in events]  # every payload parses as its notifier message
        assert {e.type for e in typed} >= {
            "order_decided",
            "order_updated",
            "fill_received",
            "position_changed",
            "trading_state_changed",
        }
        assert all(e.owner_id == owner for e in typed)
        completed = [e for e in typed if e.type == "kill_switch_completed"]
        assert completed[-1].kill_switch_completed.working_orders == 20
    finally:
        await bus.close()
    assert (await harness.verify()).valid


async def test_trader_cannot_kill_global_scope(harness: Harness) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.call(
            "KillSwitch", pb.KillSwitchRequest(scope=pb.SCOPE_GLOBAL, reason="x"), user(), "trader"
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
