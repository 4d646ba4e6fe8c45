"""Property: for any sequence of submits, cancels, bars (fills) and state changes, the venue
never receives an order without a committed ALLOW decision row, the audit chain verifies, and
positions equal the sum of fills."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import psycopg
import pytest
import redis.asyncio as aioredis
import tm_risk.server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.servers import PostgresHandle
from tm_risk.config import RiskSettings
from tm_risk.venues.adapter import Outcome, VenueOrder
from tm_risk.venues.paper import PaperVenue
from trademaster.api.risk.v1 import risk_pb2 as pb

from .conftest import Harness, risk_settings, user

pytestmark = pytest.mark.integration


class CheckingVenue(PaperVenue):
    """The real paper venue; on every submit it asks PostgreSQL (its own connection) whether
    the order's ALLOW decision is already committed, and records violations."""

    dsn = ""
    received: list[tuple[str, str]] = []
    unaudited: list[tuple[str, str]] = []

    async def submit(self, order: VenueOrder) -> Outcome:
        async with await psycopg.AsyncConnection.connect(self.dsn) as conn:
            cur = await conn.execute(
                "SELECT count(*) FROM risk.audit WHERE kind='decision' AND decision='ALLOW' "
                "AND NOT dry_run AND account_id=%s AND client_order_id=%s",
                (uuid.UUID(order.account_id), order.client_order_id),
            )
            row = await cur.fetchone()
        key = (order.account_id, order.client_order_id)
        self.received.append(key)
        if row is None or row[0] != 1:
            self.unaudited.append(key)
        return await super().submit(order)


@pytest.fixture(scope="module")
async def checked(postgres_server: PostgresHandle, redis_url: str) -> AsyncIterator[Harness]:
    name = f"riskp_{uuid.uuid4().hex[:8]}"
    settings: RiskSettings = risk_settings(postgres_server, redis_url, name)
    CheckingVenue.dsn = settings.database_url
    original = tm_risk.server.paper_venue

    def venue(s: RiskSettings) -> PaperVenue:
        return CheckingVenue(fee_rate=0.001)

    tm_risk.server.paper_venue = venue  # type: ignore[assignment]
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    h = Harness(settings, client)
    try:
        await h.start()
    finally:
        tm_risk.server.paper_venue = original  # type: ignore[assignment]
    await h.instrument("PPP")
    yield h
    for service in reversed(h.services):
        await service.stop()
    await client.aclose()


STEP = st.one_of(
    st.tuples(
        st.just("submit"),
        st.sampled_from([pb.ORDER_SIDE_BUY, pb.ORDER_SIDE_SELL]),
        st.integers(1, 30),
        st.sampled_from(["", "98.00", "101.00"]),
        st.booleans(),
    ),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
    st.tuples(st.just("bar"), st.sampled_from([97.0, 99.0, 100.0, 102.0])),
    st.tuples(
        st.just("state"),
        st.sampled_from(
            [pb.TRADING_STATE_ACTIVE, pb.TRADING_STATE_REDUCING, pb.TRADING_STATE_HALTED]
        ),
    ),
)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(STEP, min_size=1, max_size=25))
async def test_no_unaudited_order_chain_verifies_positions_are_fills(
    checked: Harness, steps: list[tuple]
) -> None:
    owner = user()
    account = await checked.account(owner, max_position={"*": "60"}, max_order_quantity="25")
    await checked.bar("PPP", 100.0, wait_account=account)
    coids: list[str] = []
    for step in steps:
        if step[0] == "submit":
            _, side, qty, limit, reduce_only = step
            reply = await checked.submit(
                owner, account, str(qty), side, "PPP", limit=limit, reduce_only=reduce_only
            )
            coids.append(reply.order.client_order_id)
        elif step[0] == "cancel" and coids:
            await checked.call(
                "CancelOrder",
                pb.CancelOrderRequest(
                    account_id=account, client_order_id=coids[step[1] % len(coids)]
                ),
                owner,
                "trader",
            )
        elif step[0] == "bar":
            await checked.bar("PPP", step[1], spread=1.5, wait_account=account)
        elif step[0] == "state":
            await checked.set_state(account, step[1])
    await checked.bar("PPP", 100.0, wait_account=account)  # settle fills of the last bar

    assert CheckingVenue.unaudited == []
    assert (await checked.verify()).valid
    async with await psycopg.AsyncConnection.connect(checked.settings.database_url) as conn:
        cur = await conn.execute(
            "SELECT coalesce(sum(CASE WHEN side='BUY' THEN quantity ELSE -quantity END), 0) "
            "FROM risk.fills WHERE account_id=%s",
            (uuid.UUID(account),),
        )
        (from_fills,) = await cur.fetchone()  # type: ignore[misc]
        cur = await conn.execute(
            "SELECT coalesce(sum(quantity), 0) FROM risk.positions WHERE account_id=%s",
            (uuid.UUID(account),),
        )
        (stored,) = await cur.fetchone()  # type: ignore[misc]
        cur = await conn.execute(
            "SELECT count(*) FROM risk.orders o WHERE account_id=%s AND NOT EXISTS (SELECT 1 "
            "FROM risk.audit a WHERE a.entry_id = o.decision_id)",
            (uuid.UUID(account),),
        )
        (orphans,) = await cur.fetchone()  # type: ignore[misc]
    assert Decimal(stored) == Decimal(from_fills)
    assert Decimal(repr(await checked.position(owner, account, "PPP"))) == Decimal(from_fills)
    assert orphans == 0
    sent = {c for a, c in CheckingVenue.received if a == account}
    assert sent <= set(coids)
