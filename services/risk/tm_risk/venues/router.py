"""Adapter selection per account: the paper venue for paper accounts, a live adapter per live one.

The order desk, kill switch and reconciler talk to one ``BrokerAdapter``; this router is that
adapter. Each call goes to the account's own venue (``attach`` binds a live account to its
adapter, built from its credentials); events of all venues are merged into one stream. A venue
whose reports cannot be read makes the whole listing fail rather than answer without its orders —
the in-flight reconciler must never read "no trace of the order" from a venue it could not ask.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from tm_risk.venues.adapter import (
    BrokerAdapter,
    CancelScope,
    Capabilities,
    Certainty,
    Execution,
    Health,
    OrderReport,
    Outcome,
    VenueEvent,
    VenueOrder,
)
from tm_risk.venues.alpaca_venue import AlpacaVenue
from tm_risk.venues.ccxt_venue import CcxtVenue
from tm_risk.venues.credentials import VenueCredentials
from tm_risk.venues.paper import PaperVenue

_LOGGER = logging.getLogger(__name__)

AdapterFactory = Callable[[str, VenueCredentials, tuple[str, ...]], BrokerAdapter]


def live_adapter(
    account_id: str, credentials: VenueCredentials, instruments: tuple[str, ...]
) -> BrokerAdapter:
    """The live adapter of an account's credentials."""
    if credentials.venue == "alpaca":
        return AlpacaVenue(account_id, credentials)
    return CcxtVenue(account_id, credentials, instruments=instruments)


class VenueRouter(BrokerAdapter):
    """Routes by ``account_id`` (see the module docstring)."""

    name = "router"

    def __init__(self, paper: PaperVenue, factory: AdapterFactory = live_adapter) -> None:
        self.paper = paper
        self._factory = factory
        self._live: dict[str, BrokerAdapter] = {}
        self._refused: dict[str, str] = {}
        self._events: asyncio.Queue[VenueEvent] = asyncio.Queue()
        self._pumps: list[asyncio.Task[None]] = []
        self._connected = False

    @property
    def live(self) -> dict[str, BrokerAdapter]:
        """Live adapters by account id."""
        return dict(self._live)

    def venue_of(self, account_id: str) -> BrokerAdapter:
        return self._live.get(account_id, self.paper)

    def refuse(self, account_id: str, reason: str) -> None:
        """A live account with no adapter: its orders are refused, never sent to paper."""
        self._refused[account_id] = reason

    async def attach(
        self, account_id: str, credentials: VenueCredentials, instruments: tuple[str, ...] = ()
    ) -> BrokerAdapter:
        """Bind a live account to a new adapter of its credentials (connected if we are)."""
        adapter = self._factory(account_id, credentials, instruments)
        self._live[account_id] = adapter
        if self._connected:
            await self._start(adapter)
        return adapter

    async def _start(self, adapter: BrokerAdapter) -> None:
        await adapter.connect()
        self._pumps.append(asyncio.create_task(self._pump(adapter), name=f"pump-{adapter.name}"))

    async def _pump(self, adapter: BrokerAdapter) -> None:
        async for event in adapter.events():
            self._events.put_nowait(event)

    # --- lifecycle -----------------------------------------------------------------------
    async def connect(self) -> None:
        self._connected = True
        for adapter in (self.paper, *self._live.values()):
            await self._start(adapter)

    async def disconnect(self) -> None:
        self._connected = False
        for task in self._pumps:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._pumps.clear()
        for adapter in (self.paper, *self._live.values()):
            await adapter.disconnect()

    async def health(self) -> Health:
        """Connected when every venue is; ``extra`` names the ones that are not."""
        down = {
            account: health.detail
            for account, adapter in self._live.items()
            if not (health := await adapter.health()).connected
        }
        paper = await self.paper.health()
        connected = paper.connected and not down
        return Health(connected, "all venues up" if connected else "venues down", down)

    def capabilities(self) -> Capabilities:
        return self.paper.capabilities()

    # --- routed calls ----------------------------------------------------------------------
    async def submit(self, order: VenueOrder) -> Outcome:
        refused = self._refused.get(order.account_id)
        if refused is not None:
            return Outcome(False, Certainty.DEFINITIVE, reason=refused)
        return await self.venue_of(order.account_id).submit(order)

    async def modify(
        self, account_id: str, client_order_id: str, quantity: float, limit_price: float | None
    ) -> Outcome:
        venue = self.venue_of(account_id)
        return await venue.modify(account_id, client_order_id, quantity, limit_price)

    async def cancel(self, account_id: str, client_order_id: str) -> Outcome:
        return await self.venue_of(account_id).cancel(account_id, client_order_id)

    async def cancel_all(self, scope: CancelScope) -> dict[tuple[str, str], Outcome]:
        if scope.account_id is not None:
            return await self.venue_of(scope.account_id).cancel_all(scope)
        results = await self.paper.cancel_all(scope)
        for adapter in self._live.values():
            results.update(await adapter.cancel_all(scope))
        return results

    async def order_reports(self, account_id: str | None = None) -> list[OrderReport]:
        if account_id is not None:
            return await self.venue_of(account_id).order_reports(account_id)
        reports = await self.paper.order_reports()
        for live_account, adapter in self._live.items():
            reports.extend(await adapter.order_reports(live_account))
        return reports

    async def fill_reports(self, account_id: str) -> list[tuple[str, Execution]]:
        return await self.venue_of(account_id).fill_reports(account_id)

    async def position_reports(self, account_id: str) -> dict[str, float]:
        return await self.venue_of(account_id).position_reports(account_id)

    async def events(self) -> AsyncIterator[VenueEvent]:  # type: ignore[override]
        while True:
            yield await self._events.get()
