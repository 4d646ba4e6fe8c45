"""Live reconciliation of in-flight orders against the paper venue's reports: PENDING_NEW the
venue holds → ACCEPTED; never taken (and never filled) → REJECTED, its working quantity released;
PENDING_CANCEL still working → cancelled again; gone → CANCELLED; nothing decided while the
venue is disconnected, nor for a submit still on its way, nor before the minimum age."""

from __future__ import annotations

import asyncio
import math
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tm_risk.marketdata import Bar
from tm_risk.reconcile import InFlight, venue_order
from tm_risk.records import AccountRow, LimitsRow, OrderRow
from tm_risk.runtime import AccountState, Runtime
from tm_risk.venues.paper import PaperVenue
from trademaster.risk.book import AccountBook
from trademaster.risk.breakers import Breakers
from trademaster.risk.model import BUY, Limits

pytestmark = pytest.mark.unit

OLD = datetime.now(UTC) - timedelta(minutes=1)


class _Writes:
    """Records statements instead of committing them (the writer is tested with PostgreSQL)."""

    def __init__(self) -> None:
        self.statements: list[Any] = []

    async def write(self, statements: list[Any], audit: list[Any] | None = None) -> list[Any]:
        self.statements.extend(statements)
        return []


def _account() -> AccountState:
    now = datetime.now(UTC)
    row = AccountRow(uuid.uuid4(), "u", "a", "PAPER", "USD", "paper", Decimal(1000),
                     Decimal(1000), Decimal(1000), Decimal(1000), now)  # fmt: skip
    return AccountState(row, AccountBook(1000.0), LimitsRow(), Limits(), Breakers(1000.0, 1000.0))


def _order(account: AccountState, coid: str, status: str, updated: datetime = OLD) -> OrderRow:
    row = OrderRow(account.row.id, coid, "X", "BUY", "LIMIT", Decimal(2), Decimal(10), "GTC",
                   False, "", "", status, uuid.uuid4(), updated, updated)  # fmt: skip
    account.orders[coid] = row
    account.book.add_working(coid, "X", BUY, 2.0)
    return row


async def _setup() -> tuple[InFlight, AccountState, PaperVenue, list[str]]:
    runtime, account, venue = Runtime(), _account(), PaperVenue()
    runtime.accounts[account.row.id] = account
    await venue.connect()
    published: list[str] = []
    reconciler = InFlight(
        runtime, venue, _Writes(), lambda _a, row: published.append(row.client_order_id),  # type: ignore[arg-type]
        min_age_s=5.0,
    )  # fmt: skip
    return reconciler, account, venue, published


async def test_pending_new_is_accepted_when_held_and_rejected_when_never_taken() -> None:
    reconciler, account, venue, published = await _setup()
    held = _order(account, "held", "PENDING_NEW")
    lost = _order(account, "lost", "PENDING_NEW")
    young = _order(account, "young", "PENDING_NEW", datetime.now(UTC))
    outcome = await venue.submit(venue_order(account, held))

    settled = await reconciler.run_once()

    assert settled == 2 and sorted(published) == ["held", "lost"]
    assert (held.status, held.broker_order_id) == ("ACCEPTED", outcome.broker_order_id)
    assert lost.status == "REJECTED" and "never took it" in lost.status_reason
    assert young.status == "PENDING_NEW"
    assert set(account.book.working) == {"held", "young"}  # the lost order no longer counts


async def test_a_filled_order_is_left_to_its_fill_events() -> None:
    reconciler, account, venue, _ = await _setup()
    row = _order(account, "filled", "PENDING_NEW")
    row.order_type, row.limit_price = "MARKET", None
    await venue.submit(venue_order(account, row))
    venue.on_bar(Bar("X", 1, 10.0, 10.0, 10.0, 10.0, math.nan))

    assert await reconciler.run_once() == 0
    assert row.status == "PENDING_NEW"


async def test_pending_cancel_is_cancelled_again_or_closed() -> None:
    reconciler, account, venue, _ = await _setup()
    working = _order(account, "working", "PENDING_CANCEL")
    gone = _order(account, "gone", "PENDING_CANCEL")
    await venue.submit(venue_order(account, working))

    assert await reconciler.run_once() == 2

    assert working.status == gone.status == "CANCELLED"
    assert "cancel repeated" in working.status_reason
    assert await venue.order_reports() == [] and account.book.working == {}


async def test_nothing_is_decided_while_disconnected_or_for_a_submit_on_its_way() -> None:
    reconciler, account, venue, _ = await _setup()
    on_its_way = _order(account, "sending", "PENDING_NEW")
    account.pending["sending"] = asyncio.get_running_loop().create_future()
    lost = _order(account, "lost", "PENDING_NEW")
    await venue.disconnect()

    assert await reconciler.run_once() == 0
    await venue.connect()
    assert await reconciler.run_once() == 1

    assert on_its_way.status == "PENDING_NEW" and lost.status == "REJECTED"
