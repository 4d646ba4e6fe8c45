"""The adapter conformance suite: paper, Alpaca and CCXT (Binance spot) adapters behave alike.

Alpaca and CCXT run against loopback fake venues speaking their real protocols
(``support.fake_venues``); network faults do not apply to the in-process paper venue, so those
scenarios skip it. Every scenario checks outcomes, the events the adapter emitted and the venue's
own reports.
"""

from __future__ import annotations

import uuid

import pytest
from tm_risk import venue_sync
from tm_risk.venues.adapter import CancelScope, Certainty, EventKind, VenueOrder

from .conftest import Harness

pytestmark = pytest.mark.integration


def _coid() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"


def _order(venue: Harness, coid: str, qty: float = 10.0, *, side: int = 1, which: int = 0,
           limit: float = 100.0) -> VenueOrder:  # fmt: skip
    instrument = venue.instruments[which]
    return VenueOrder(venue.account, coid, instrument, side, qty, "LIMIT", limit, "GTC")


def _network(venue: Harness) -> None:
    if not venue.network:
        pytest.skip("the paper venue is in-process: no network between it and the service")


async def test_accept(venue: Harness) -> None:
    coid = _coid()
    outcome = await venue.adapter.submit(_order(venue, coid))
    assert outcome.ok and outcome.certainty is Certainty.DEFINITIVE and outcome.broker_order_id
    [report] = [
        r for r in await venue.adapter.order_reports(venue.account) if r.client_order_id == coid
    ]
    assert (report.status, report.filled_quantity, report.open_quantity) == ("ACCEPTED", 0.0, 10.0)
    assert report.broker_order_id == outcome.broker_order_id


async def test_reject_is_definitive(venue: Harness) -> None:
    _network(venue)
    venue.script("submit", "reject")
    coid = _coid()
    outcome = await venue.adapter.submit(_order(venue, coid))
    assert not outcome.ok and outcome.certainty is Certainty.DEFINITIVE
    assert "insufficient" in outcome.reason.lower()
    assert coid not in {r.client_order_id for r in await venue.adapter.order_reports(venue.account)}


async def test_partial_then_full_fill(venue: Harness) -> None:
    coid = _coid()
    assert (await venue.adapter.submit(_order(venue, coid))).ok
    await venue.fill(coid, venue.instruments[0], 4.0, 100.0)
    [report] = [
        r for r in await venue.adapter.order_reports(venue.account) if r.client_order_id == coid
    ]
    assert (report.status, report.filled_quantity, report.open_quantity) == (
        "PARTIALLY_FILLED",
        4.0,
        6.0,
    )
    await venue.fill(coid, venue.instruments[0], 6.0, 100.0)
    fills = venue.events_of(coid, EventKind.FILLED)
    assert [f.execution.quantity for f in fills if f.execution] == [4.0, 6.0]
    assert all(f.execution and f.execution.price == 100.0 for f in fills)
    assert coid not in {r.client_order_id for r in await venue.adapter.order_reports(venue.account)}
    positions = await venue.adapter.position_reports(venue.account)
    assert positions[venue.instruments[0]] == pytest.approx(10.0)
    reported = [e for c, e in await venue.adapter.fill_reports(venue.account) if c == coid]
    assert sorted(e.quantity for e in reported) == [4.0, 6.0]
    assert {e.broker_fill_id for e in reported} == {
        f.execution.broker_fill_id for f in fills if f.execution
    }


async def test_fill_after_cancel_request(venue: Harness) -> None:
    """The cancel loses the race against a fill: it is not reported cancelled, the fill is."""
    coid = _coid()
    assert (await venue.adapter.submit(_order(venue, coid))).ok
    if venue.network:
        venue.script("cancel", "fill_first")
    else:
        await venue.fill(coid, venue.instruments[0], 10.0, 100.0)
    outcome = await venue.adapter.cancel(venue.account, coid)
    assert not outcome.ok
    await venue.until(lambda: bool(venue.events_of(coid, EventKind.FILLED)), what="the fill")
    assert not venue.events_of(coid, EventKind.CANCELLED)
    [fill] = venue.events_of(coid, EventKind.FILLED)
    assert fill.execution is not None and fill.execution.quantity == 10.0
    assert coid not in {r.client_order_id for r in await venue.adapter.order_reports(venue.account)}


async def test_rate_limit_is_waited_out_then_definitive(venue: Harness) -> None:
    _network(venue)
    venue.script("submit", "429", times=venue.rate_limit_retries)
    first = _coid()
    assert (await venue.adapter.submit(_order(venue, first))).ok  # retried through the 429s
    venue.script("submit", "429", times=venue.rate_limit_retries + 1)
    second = _coid()
    outcome = await venue.adapter.submit(_order(venue, second))
    assert not outcome.ok and outcome.certainty is Certainty.DEFINITIVE and "429" in outcome.reason
    assert second not in {
        r.client_order_id for r in await venue.adapter.order_reports(venue.account)
    }


@pytest.mark.parametrize("fault", ["timeout", "500"])
async def test_timeout_and_5xx_stay_ambiguous(venue: Harness, fault: str) -> None:
    """The venue took the order but the answer was lost: ambiguous, never a rejection; its
    reports show the order, and sending it again is recognized as the same order."""
    _network(venue)
    venue.script("submit", fault)
    coid = _coid()
    outcome = await venue.adapter.submit(_order(venue, coid))
    assert not outcome.ok and outcome.certainty is Certainty.AMBIGUOUS
    held = {r.client_order_id for r in await venue.adapter.order_reports(venue.account)}
    assert (coid in held) == (fault == "timeout")  # a 5xx here answers before booking it
    again = await venue.adapter.submit(_order(venue, coid))
    assert again.ok and again.certainty is Certainty.DEFINITIVE
    assert [r.client_order_id for r in await venue.adapter.order_reports(venue.account)].count(
        coid
    ) == 1


async def test_disconnect_and_reconnect_recover_missed_fills(venue: Harness) -> None:
    _network(venue)
    coid = _coid()
    assert (await venue.adapter.submit(_order(venue, coid))).ok
    await venue.cut()
    assert not (await venue.adapter.health()).connected
    venue.venue_fill(coid, venue.instruments[0], 10.0, 101.0)  # while nobody listens
    await venue.heal()
    await venue.until(lambda: bool(venue.events_of(coid, EventKind.FILLED)), what="catch-up fill")
    await venue.until(lambda: venue._health_ok, what="connected again")
    [fill] = venue.events_of(coid, EventKind.FILLED)
    assert fill.execution is not None and (fill.execution.quantity, fill.execution.price) == (
        10.0,
        101.0,
    )
    assert fill.execution.fee == pytest.approx(venue.fee(10.0, 101.0))


async def test_duplicate_client_order_id(venue: Harness) -> None:
    coid = _coid()
    first = await venue.adapter.submit(_order(venue, coid))
    count = venue.venue_order_count()
    second = await venue.adapter.submit(_order(venue, coid))
    assert first.ok and second.ok and second.broker_order_id == first.broker_order_id
    assert venue.venue_order_count() == count  # the venue holds one order


async def test_fills_missed_across_a_restart_are_recovered(venue: Harness) -> None:
    coid, instrument = _coid(), venue.instruments[1]
    assert (await venue.adapter.submit(_order(venue, coid, 5.0, which=1))).ok
    await venue.park()  # the service is down
    venue.venue_fill(coid, instrument, 5.0, 99.0)
    await venue.restart()
    found = await venue_sync.compare(
        venue.adapter,
        venue.account,
        known_fill_ids=set(),
        sides={coid: 1},
        working={coid},
        positions={},
        instruments={coid: instrument},
    )
    [event] = found.missing_fills
    assert event.client_order_id == coid and event.execution is not None
    assert (event.execution.quantity, event.execution.price) == (5.0, 99.0)
    assert found.passed, found  # once the missing fill is booked, positions agree
    booked = await venue_sync.compare(
        venue.adapter, venue.account, known_fill_ids={event.execution.broker_fill_id},
        sides={coid: 1}, working=set(), positions={instrument: 5.0},
        instruments={coid: instrument},
    )  # fmt: skip
    assert booked.passed and not booked.missing_fills


async def test_external_orders_and_position_drift_fail_reconciliation(venue: Harness) -> None:
    ours, theirs = _coid(), _coid()
    assert (await venue.adapter.submit(_order(venue, ours))).ok
    assert (await venue.adapter.submit(_order(venue, theirs, which=1))).ok  # "placed elsewhere"
    found = await venue_sync.compare(
        venue.adapter, venue.account, known_fill_ids=set(), sides={ours: 1}, working={ours},
        positions={venue.instruments[0]: 3.0}, instruments={ours: venue.instruments[0]},
    )  # fmt: skip
    assert [r.client_order_id for r in found.external_orders] == [theirs]
    assert found.position_diffs == {venue.instruments[0]: (3.0, 0.0)}
    assert not found.passed


async def test_cancel_all(venue: Harness) -> None:
    a, b, c = _coid(), _coid(), _coid()
    for coid, which in ((a, 0), (b, 0), (c, 1)):
        assert (await venue.adapter.submit(_order(venue, coid, which=which))).ok
    scoped = await venue.adapter.cancel_all(CancelScope(venue.account, venue.instruments[1]))
    assert set(scoped) == {(venue.account, c)} and all(o.ok for o in scoped.values())
    rest = await venue.adapter.cancel_all(CancelScope(venue.account))
    assert set(rest) == {(venue.account, a), (venue.account, b)} and all(
        o.ok for o in rest.values()
    )
    assert not await venue.adapter.order_reports(venue.account)


async def test_order_closed_at_the_venue_while_down_is_settled(venue: Harness) -> None:
    if not venue.network:
        pytest.skip("the paper venue closes orders only through the service (events in-process)")
    coid, instrument = _coid(), venue.instruments[0]
    assert (await venue.adapter.submit(_order(venue, coid))).ok
    await venue.park()
    venue.book.cancel(venue.book.current(coid))  # e.g. cancelled in the venue's own UI
    await venue.restart()
    found = await venue_sync.compare(
        venue.adapter, venue.account, known_fill_ids=set(), sides={coid: 1}, working={coid},
        positions={}, instruments={coid: instrument},
    )  # fmt: skip
    [closed] = found.closed_orders
    assert (closed.kind, closed.client_order_id) == (EventKind.CANCELLED, coid)
    assert found.passed and not found.unknown_orders
    gone = await venue_sync.compare(
        venue.adapter, venue.account, known_fill_ids=set(), sides={"never-sent": 1},
        working={"never-sent"}, positions={}, instruments={"never-sent": instrument},
    )  # fmt: skip
    assert gone.unknown_orders == ["never-sent"] and not gone.passed


async def test_modify_where_supported(venue: Harness) -> None:
    if not venue.adapter.capabilities().modify:
        pytest.skip(f"{venue.name} spot orders are not modifiable (capabilities say so)")
    coid = _coid()
    assert (await venue.adapter.submit(_order(venue, coid))).ok
    outcome = await venue.adapter.modify(venue.account, coid, 6.0, 101.0)
    assert outcome.ok and outcome.certainty is Certainty.DEFINITIVE
    [report] = await venue.adapter.order_reports(venue.account)
    assert (report.client_order_id, report.open_quantity) == (coid, 6.0)
    await venue.fill(coid, venue.instruments[0], 6.0, 101.0)
    assert venue.events_of(coid, EventKind.FILLED)[-1].client_order_id == coid
    assert not (await venue.adapter.modify(venue.account, coid, 3.0, 101.0)).ok  # filled: gone
