"""ModifyOrder through the real risk service: same checks as a submit, audited, idempotent by
request_id, applied by the paper venue (PostgreSQL, Redis, gRPC on loopback)."""

from __future__ import annotations

import asyncio
import json
import uuid

import grpc
import psycopg
import pytest
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.service.errors import error_details

from .conftest import Harness, user

pytestmark = pytest.mark.integration
SELL = pb.ORDER_SIDE_SELL


@pytest.fixture(scope="module", autouse=True)
async def instruments(harness: Harness) -> None:
    await harness.instrument("MOD")


async def _modify(
    harness: Harness,
    owner: str,
    account: str,
    coid: str,
    *,
    quantity: str = "",
    limit: str = "",
    request_id: str | None = None,
    roles: tuple[str, ...] = ("trader",),
) -> pb.ModifyOrderResponse:
    request = pb.ModifyOrderRequest(
        account_id=account,
        client_order_id=coid,
        quantity=quantity,
        limit_price=limit,
        request_id=request_id or f"m-{uuid.uuid4().hex[:10]}",
    )
    return await harness.call("ModifyOrder", request, owner, *roles)


async def _order(harness: Harness, owner: str, account: str, coid: str) -> pb.Order:
    reply = await harness.call(
        "GetOrder", pb.GetOrderRequest(account_id=account, client_order_id=coid), owner, "viewer"
    )
    return reply.order


def _reasons(reply: pb.ModifyOrderResponse) -> list[str]:
    return [v.reason for v in reply.decision.violations]


async def _account_at_100(harness: Harness, **limits: str) -> tuple[str, str]:
    owner = user()
    account = await harness.account(owner, **limits)
    await harness.bar("MOD", 100.0, wait_account=account)
    return owner, account


async def test_modify_is_audited_applied_by_paper_and_fills_at_new_terms(
    harness: Harness,
) -> None:
    owner, account = await _account_at_100(harness)
    await harness.submit(owner, account, "10", iid="MOD", coid="lim-1", limit="90")
    reply = await _modify(harness, owner, account, "lim-1", quantity="20", limit="101")
    assert reply.decision.decision == pb.DECISION_ALLOW and not reply.replayed
    assert (reply.order.quantity, reply.order.limit_price) == ("20", "101")
    assert reply.venue_reason == ""
    assert reply.decision.position_after == "20"
    stored = await harness.call(
        "GetDecision",
        pb.GetDecisionRequest(decision_id=reply.decision.decision_id),
        owner,
        "viewer",
    )
    assert stored.decision.order.quantity == "20" and stored.decision.order.limit_price == "101"
    assert stored.decision.sequence == reply.decision.sequence
    assert (await _order(harness, owner, account, "lim-1")).limit_price == "101"
    await harness.bar("MOD", 100.0)  # crosses the new limit 101, not the old 90
    order = await harness.wait_order(owner, account, "lim-1", pb.ORDER_STATUS_FILLED)
    assert (order.filled_quantity, order.average_fill_price) == ("20", "100")
    assert await harness.position(owner, account, "MOD") == 20
    assert (await harness.verify()).valid


async def test_modify_row_and_decision_are_committed_together(harness: Harness) -> None:
    owner, account = await _account_at_100(harness)
    await harness.submit(owner, account, "5", iid="MOD", coid="lim-db", limit="90")
    reply = await _modify(harness, owner, account, "lim-db", limit="91", request_id="req-db")
    async with await psycopg.AsyncConnection.connect(harness.settings.database_url) as conn:
        cur = await conn.execute(
            "SELECT m.outcome, m.limit_price, a.body, o.limit_price FROM risk.order_modifies m "
            "JOIN risk.audit a ON a.entry_id = m.decision_id JOIN risk.orders o "
            "ON o.account_id = m.account_id AND o.client_order_id = m.client_order_id "
            "WHERE m.account_id = %s AND m.request_id = 'req-db'",
            (uuid.UUID(account),),
        )
        [(outcome, modify_price, body, order_price)] = await cur.fetchall()
    assert outcome == "APPLIED" and modify_price == order_price == 91
    audited = json.loads(body)
    assert (audited["action"], audited["request_id"]) == ("MODIFY", "req-db")
    assert audited["entry_id"] == reply.decision.decision_id


async def test_same_request_id_gives_one_modification_also_concurrently(
    harness: Harness,
) -> None:
    owner, account = await _account_at_100(harness)
    await harness.submit(owner, account, "5", iid="MOD", coid="lim-2", limit="90")
    replies = await asyncio.gather(
        *[
            _modify(harness, owner, account, "lim-2", limit="95", request_id="same")
            for _ in range(4)
        ]
    )
    assert len({r.decision.decision_id for r in replies}) == 1
    assert sorted(r.replayed for r in replies) == [False, True, True, True]
    again = await _modify(harness, owner, account, "lim-2", limit="96", request_id="same")
    assert again.replayed and again.decision.decision_id == replies[0].decision.decision_id
    assert again.order.limit_price == "95"
    decisions = await harness.call(
        "ListDecisions",
        pb.ListDecisionsRequest(account_id=account, client_order_id="lim-2"),
        owner,
        "viewer",
    )
    assert len(decisions.decisions) == 2  # the submit and one modification


async def test_modified_quantity_replaces_the_working_quantity_in_the_limits(
    harness: Harness,
) -> None:
    owner, account = await _account_at_100(
        harness, max_order_quantity="10", max_position={"MOD": "12"}
    )
    await harness.submit(owner, account, "8", iid="MOD", coid="lim-3", limit="90")
    grown = await _modify(harness, owner, account, "lim-3", quantity="12")
    assert grown.decision.decision == pb.DECISION_DENY
    assert _reasons(grown) == ["ORDER_QUANTITY_EXCEEDED"]
    assert (grown.decision.violations[0].value, grown.decision.violations[0].limit) == ("12", "10")
    assert grown.order.quantity == "8" and grown.venue_reason == ""
    # 10 in place of 8 (not 8 + 10) fits the position limit 12
    ok = await _modify(harness, owner, account, "lim-3", quantity="10")
    assert ok.decision.decision == pb.DECISION_ALLOW and ok.order.quantity == "10"
    other = await harness.submit(owner, account, "3", iid="MOD", coid="lim-4", limit="90")
    assert [v.reason for v in other.decision.violations] == ["POSITION_LIMIT_EXCEEDED"]


async def test_reducing_checks_the_modified_quantity_with_working_orders(
    harness: Harness,
) -> None:
    owner, account = await _account_at_100(harness)
    await harness.submit(owner, account, "10", iid="MOD", coid="long")
    await harness.bar("MOD", 100.0)
    await harness.wait_order(owner, account, "long", pb.ORDER_STATUS_FILLED)
    await harness.set_state(account, pb.TRADING_STATE_REDUCING)
    await harness.submit(owner, account, "5", SELL, "MOD", coid="exit-a", limit="150")
    await harness.submit(owner, account, "3", SELL, "MOD", coid="exit-b", limit="150")
    fits = await _modify(harness, owner, account, "exit-a", quantity="7")
    assert fits.decision.decision == pb.DECISION_ALLOW
    assert fits.decision.trading_state == pb.TRADING_STATE_REDUCING
    flips = await _modify(harness, owner, account, "exit-a", quantity="8")
    assert _reasons(flips) == ["TRADING_STATE_REDUCING"]
    assert "flip" in flips.decision.violations[0].message
    assert (await _order(harness, owner, account, "exit-a")).quantity == "7"


async def test_halted_refuses_modifies_and_allows_cancel(harness: Harness) -> None:
    owner, account = await _account_at_100(harness)
    await harness.submit(owner, account, "5", iid="MOD", coid="lim-5", limit="90")
    await harness.submit(owner, account, "5", iid="MOD", coid="lim-6", limit="80")
    await harness.set_state(account, pb.TRADING_STATE_HALTED)
    reply = await _modify(harness, owner, account, "lim-5", limit="91")
    assert _reasons(reply) == ["TRADING_HALTED"]
    assert reply.order.limit_price == "90"
    await harness.bar("MOD", 90.0)  # crosses the unchanged limit: the venue kept the old terms
    order = await harness.wait_order(owner, account, "lim-5", pb.ORDER_STATUS_FILLED)
    assert order.average_fill_price == "90"
    cancelled = await harness.call(
        "CancelOrder",
        pb.CancelOrderRequest(account_id=account, client_order_id="lim-6"),
        owner,
        "trader",
    )
    assert cancelled.order.status == pb.ORDER_STATUS_CANCELLED


async def _error(call: asyncio.Future[object] | object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return caught.value


async def test_bad_modifies_are_clear_errors_naming_the_field(harness: Harness) -> None:
    owner, account = await _account_at_100(harness)
    await harness.submit(owner, account, "5", iid="MOD", coid="lim-7", limit="90")
    await harness.submit(owner, account, "5", iid="MOD", coid="mkt-1")
    nothing = await _error(_modify(harness, owner, account, "lim-7"))
    assert nothing.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(nothing).field_violations[0][0] == "quantity"
    same = await _error(_modify(harness, owner, account, "lim-7", limit="90"))
    assert same.code() == grpc.StatusCode.INVALID_ARGUMENT
    market = await _error(_modify(harness, owner, account, "mkt-1", limit="91"))
    assert error_details(market).field_violations[0][0] == "limit_price"
    no_key = pb.ModifyOrderRequest(account_id=account, client_order_id="lim-7", limit_price="91")
    missing = await _error(harness.call("ModifyOrder", no_key, owner, "trader"))
    assert error_details(missing).field_violations[0][0] == "request_id"
    unknown = await _error(_modify(harness, owner, account, "nope", limit="91"))
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    other = await _error(_modify(harness, user(), account, "lim-7", limit="91"))
    assert other.code() == grpc.StatusCode.NOT_FOUND
    await harness.bar("MOD", 100.0)
    await harness.wait_order(owner, account, "mkt-1", pb.ORDER_STATUS_FILLED)
    closed = await _error(_modify(harness, owner, account, "mkt-1", quantity="6"))
    assert closed.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_details(closed).reason == "ORDER_NOT_WORKING"
