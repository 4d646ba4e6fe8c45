"""VenueRouter: each account's calls reach its own venue, events of all venues merge, a live
account without an adapter is refused (never routed to paper), and a listing fails whole when
one venue cannot answer (the in-flight reconciler must not read "no trace" from it)."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr
from tm_risk.marketdata import Bar
from tm_risk.venues.adapter import BrokerAdapter, CancelScope, Certainty, VenueOrder
from tm_risk.venues.credentials import VenueCredentials
from tm_risk.venues.paper import PaperVenue
from tm_risk.venues.router import VenueRouter

pytestmark = pytest.mark.unit

CREDS = VenueCredentials(venue="alpaca", key_id=SecretStr("k"), secret=SecretStr("s"))


def _order(account: str, coid: str) -> VenueOrder:
    return VenueOrder(account, coid, "X", 1, 1.0, "MARKET")


async def _router() -> tuple[VenueRouter, PaperVenue, dict[str, PaperVenue]]:
    built: dict[str, PaperVenue] = {}

    def factory(
        account: str, creds: VenueCredentials, instruments: tuple[str, ...]
    ) -> BrokerAdapter:
        built[account] = PaperVenue()  # a second real venue standing in for a live one
        return built[account]

    paper = PaperVenue()
    router = VenueRouter(paper, factory)
    await router.attach("live-1", CREDS)
    await router.connect()
    return router, paper, built


async def test_calls_go_to_the_accounts_venue_and_events_merge() -> None:
    router, paper, built = await _router()
    live = built["live-1"]
    assert (await router.submit(_order("paper-1", "p"))).ok
    assert (await router.submit(_order("live-1", "l"))).ok
    assert [r.client_order_id for r in await paper.order_reports()] == ["p"]
    assert [r.client_order_id for r in await live.order_reports()] == ["l"]
    assert {r.client_order_id for r in await router.order_reports()} == {"p", "l"}
    bar = Bar("X", 1, 10.0, 10.0, 10.0, 10.0)
    paper.on_bar(bar)
    live.on_bar(bar)
    events = router.events()
    got = {(await asyncio.wait_for(anext(events), 2)).client_order_id for _ in range(2)}
    assert got == {"p", "l"}
    assert (await router.position_reports("live-1")) == {"X": 1.0}
    assert (await router.position_reports("paper-1")) == {"X": 1.0}
    late = await router.attach("live-2", CREDS)  # attached while connected: connected at once
    assert (await late.health()).connected
    await router.disconnect()


async def test_refused_account_and_scoped_cancel_all() -> None:
    router, paper, built = await _router()
    router.refuse("live-9", "no venue credentials configured")
    outcome = await router.submit(_order("live-9", "x"))
    assert not outcome.ok and outcome.certainty is Certainty.DEFINITIVE
    assert not await paper.order_reports()  # never sent to paper
    await router.submit(_order("live-1", "a"))
    await router.submit(_order("paper-1", "b"))
    done = await router.cancel_all(CancelScope("live-1"))
    assert set(done) == {("live-1", "a")}
    everything = await router.cancel_all(CancelScope())
    assert set(everything) == {("paper-1", "b")}
    await router.disconnect()
    assert not (await router.health()).connected


async def test_a_venue_that_cannot_answer_fails_the_listing() -> None:
    router, _, built = await _router()

    async def broken(account_id: str | None = None) -> list:
        raise ConnectionError("venue unreachable")

    built["live-1"].order_reports = broken  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await router.order_reports()
    await built["live-1"].disconnect()
    health = await router.health()
    assert not health.connected and "live-1" in health.extra
    await router.disconnect()
