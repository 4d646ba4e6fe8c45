"""Orders through the real risk service: decide, audit, route to paper, fill, positions."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.service.errors import error_details

from .conftest import Harness, user

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", autouse=True)
async def instruments(harness: Harness) -> None:
    await harness.instrument("AAA")
    await harness.instrument("BBB", tick="0.5", lot="10")


async def test_market_order_is_allowed_audited_filled_on_next_bar(harness: Harness) -> None:
    owner = user()
    account = await harness.account(owner)
    await harness.bar("AAA", 100.0, wait_account=account)
    reply = await harness.submit(owner, account, "10", coid="buy-1")
    assert reply.decision.decision == pb.DECISION_ALLOW
    assert reply.decision.sequence > 0 and len(reply.decision.entry_hash) == 64
    assert reply.decision.reference_price == "100"
    assert reply.order.status == pb.ORDER_STATUS_ACCEPTED
    await harness.bar("AAA", 101.0)
    order = await harness.wait_order(owner, account, "buy-1", pb.ORDER_STATUS_FILLED)
    assert order.average_fill_price == "101" and order.filled_quantity == "10"
    assert await harness.position(owner, account) == 10
    fills = await harness.call(
        "ListFills", pb.ListFillsRequest(account_id=account), owner, "viewer"
    )
    assert [(f.quantity, f.price) for f in fills.fills] == [("10", "101")]
    got = await harness.call(
        "GetAccount", pb.GetAccountRequest(account_id=account), owner, "viewer"
    )
    assert float(got.account.cash) == pytest.approx(1_000_000 - 1010)
    assert (await harness.verify()).valid


async def test_denial_is_data_with_reason_value_and_limit(harness: Harness) -> None:
    owner = user()
    account = await harness.account(owner, max_order_quantity="5")
    await harness.bar("AAA", 100.0, wait_account=account)
    reply = await harness.submit(owner, account, "6")
    assert reply.decision.decision == pb.DECISION_DENY
    assert reply.order.status == pb.ORDER_STATUS_DENIED
    [violation] = reply.decision.violations
    assert violation.reason == "ORDER_QUANTITY_EXCEEDED"
    assert (violation.value, violation.limit) == ("6", "5")
    listed = await harness.call(
        "ListDecisions",
        pb.ListDecisionsRequest(account_id=account, reason="ORDER_QUANTITY_EXCEEDED"),
        owner,
        "viewer",
    )
    assert [d.order.client_order_id for d in listed.decisions] == [reply.order.client_order_id]


async def test_same_client_order_id_twice_and_concurrently_gives_one_order(
    harness: Harness,
) -> None:
    owner = user()
    account = await harness.account(owner)
    await harness.bar("AAA", 50.0, wait_account=account)
    first = await harness.submit(owner, account, "3", coid="dup-1")
    again = await harness.submit(owner, account, "3", coid="dup-1")
    assert again.replayed and not first.replayed
    assert again.decision.decision_id == first.decision.decision_id
    replies = await asyncio.gather(
        *(harness.submit(owner, account, "2", coid="dup-2") for _ in range(8))
    )
    assert len({r.decision.decision_id for r in replies}) == 1
    assert sum(not r.replayed for r in replies) == 1
    orders = await harness.call(
        "ListOrders", pb.ListOrdersRequest(account_id=account), owner, "viewer"
    )
    assert sorted(o.client_order_id for o in orders.orders) == ["dup-1", "dup-2"]
    decisions = await harness.call(
        "ListDecisions",
        pb.ListDecisionsRequest(account_id=account, client_order_id="dup-2"),
        owner,
        "viewer",
    )
    assert len(decisions.decisions) == 1


async def test_limit_order_rests_then_cancel(harness: Harness) -> None:
    owner = user()
    account = await harness.account(owner)
    await harness.bar("AAA", 100.0, wait_account=account)
    reply = await harness.submit(owner, account, "5", coid="lim-1", limit="95.00")
    assert reply.order.status == pb.ORDER_STATUS_ACCEPTED
    await harness.bar("AAA", 99.0)
    cancelled = await harness.call(
        "CancelOrder",
        pb.CancelOrderRequest(account_id=account, client_order_id="lim-1"),
        owner,
        "trader",
    )
    assert cancelled.order.status == pb.ORDER_STATUS_CANCELLED
    again = await harness.call(
        "CancelOrder",
        pb.CancelOrderRequest(account_id=account, client_order_id="lim-1"),
        owner,
        "trader",
    )
    assert again.order.status == pb.ORDER_STATUS_CANCELLED


async def test_bad_order_fields_are_invalid_argument_naming_the_field(harness: Harness) -> None:
    owner = user()
    account = await harness.account(owner)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.submit(owner, account, "-1")
    details = error_details(caught.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.field_violations[0][0] == "order.quantity"


async def test_other_owners_account_is_not_found(harness: Harness) -> None:
    owner, other = user(), user()
    account = await harness.account(owner)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.submit(other, account, "1")
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
