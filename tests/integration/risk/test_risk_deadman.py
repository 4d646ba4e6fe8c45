"""Dead-man heartbeats through the real risk service: a deployment that heartbeats and then
goes silent gets its account put in REDUCING within its timeout (audited state change by
``deadman:<deployment>``, a ``trading_state_changed`` event); a clean stop ends the watch."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.service.events import EventBus

from .conftest import Harness, user

pytestmark = pytest.mark.integration

TIMEOUT_S = 2


async def _beat(
    harness: Harness,
    owner: str,
    account: str,
    dep: str,
    *,
    stopping: bool = False,
    timeout: int = TIMEOUT_S,
) -> pb.ReportHeartbeatResponse:
    return await harness.call(
        "ReportHeartbeat",
        pb.ReportHeartbeatRequest(
            account_id=account, deployment_id=dep, timeout_seconds=timeout, stopping=stopping
        ),
        owner,
        "trader",
    )


async def _state(harness: Harness, owner: str, account: str) -> pb.TradingStateRecord:
    reply = await harness.call(
        "GetTradingState",
        pb.GetTradingStateRequest(scope=pb.SCOPE_ACCOUNT, scope_id=account),
        owner,
        "viewer",
    )
    return reply.state


async def test_silent_deployment_puts_its_account_in_reducing_within_the_timeout(
    harness: Harness,
) -> None:
    owner = user()
    account = await harness.account(owner)
    bus = EventBus(harness.settings.redis_url)
    try:
        for _ in range(4):  # alive: beats every 0.5 s keep the account ACTIVE past the timeout
            reply = await _beat(harness, owner, account, "dep-silent")
            await asyncio.sleep(0.5)
        assert (await _state(harness, owner, account)).trading_state == pb.TRADING_STATE_ACTIVE
        assert reply.trading_state == pb.TRADING_STATE_ACTIVE and reply.HasField("deadline")
        silent_from = time.monotonic()
        while (state := await _state(harness, owner, account)).trading_state != (
            pb.TRADING_STATE_REDUCING
        ):
            assert time.monotonic() - silent_from < TIMEOUT_S + 2, state
            await asyncio.sleep(0.05)
        tripped_after = time.monotonic() - silent_from
        changes = await harness.call(
            "ListTradingStateChanges",
            pb.ListTradingStateChangesRequest(scope=pb.SCOPE_ACCOUNT, scope_id=account),
            owner,
            "viewer",
        )
        deadline = time.monotonic() + 10
        while True:
            events = await bus.read([f"risk_account/{account}"], None, count=100)
            changed = [e for e in events if e.type == "trading_state_changed"]
            if changed or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
    finally:
        await bus.close()

    assert TIMEOUT_S - 0.6 <= tripped_after <= TIMEOUT_S + 1.0, tripped_after
    assert state.updated_by == "deadman:dep-silent"
    assert "no heartbeat" in state.reason and "timeout 2s" in state.reason
    assert changes.changes[0].updated_by == "deadman:dep-silent"
    assert changed and changed[-1].payload["new_state"] == "REDUCING"
    assert (await harness.verify()).valid


async def test_clean_stop_ends_the_watch_and_bad_heartbeats_are_refused(harness: Harness) -> None:
    owner = user()
    account = await harness.account(owner)
    await _beat(harness, owner, account, "dep-clean", timeout=1)
    await _beat(harness, owner, account, "dep-clean", stopping=True)
    await asyncio.sleep(2.0)
    state = await _state(harness, owner, account)
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await _beat(harness, owner, account, "dep-bad", timeout=0)
    with pytest.raises(grpc.aio.AioRpcError) as foreign:
        await _beat(harness, user(), account, "dep-foreign")

    assert state.trading_state == pb.TRADING_STATE_ACTIVE
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert foreign.value.code() == grpc.StatusCode.NOT_FOUND
