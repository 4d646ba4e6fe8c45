"""Harnesses for the adapter conformance suite: each wraps one adapter and the venue it talks to.

The paper venue is its own venue; Alpaca and CCXT (Binance spot) adapters talk HTTP/WebSocket to
loopback fakes (``support.fake_venues``) speaking the real protocols. A harness lets the suite
drive the venue side — fill an order, script a fault, cut the connection, restart the adapter.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from pydantic import SecretStr
from support.fake_venues import alpaca as fake_alpaca
from support.fake_venues import binance as fake_binance
from support.fake_venues.book import FakeBook
from tm_risk.marketdata import Bar
from tm_risk.venues.adapter import BrokerAdapter, VenueEvent
from tm_risk.venues.alpaca_venue import AlpacaVenue
from tm_risk.venues.ccxt_venue import CcxtVenue
from tm_risk.venues.credentials import VenueCredentials
from tm_risk.venues.paper import PaperVenue
from trademaster.backtest.config import SlippageConfig

TIMEOUT_S = 0.5
"""Adapter request timeout in the suite; a scripted ``timeout`` fault answers after 2x this."""


class Harness:
    """Common part: the adapter, its collected events and waiting for them."""

    name = ""
    instruments: tuple[str, str] = ("", "")
    network = True  # whether network faults (429, timeout, 5xx, disconnect) apply
    rate_limit_retries = 2

    def __init__(self) -> None:
        self.account = str(uuid.uuid4())
        self.adapter: BrokerAdapter = None  # type: ignore[assignment]
        self.events: list[VenueEvent] = []
        self._reader: asyncio.Task[None] | None = None

    async def start_adapter(self, adapter: BrokerAdapter) -> None:
        if self._reader is not None:
            self._reader.cancel()
        self.adapter = adapter
        await adapter.connect()
        self._reader = asyncio.create_task(self._read(adapter))
        await self.until(lambda: self._connected(), what="adapter connected")

    def _connected(self) -> bool:
        return self._health_ok

    async def _read(self, adapter: BrokerAdapter) -> None:
        async for event in adapter.events():
            self.events.append(event)

    async def until(self, check: Callable[[], bool], *, what: str, timeout_s: float = 8.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not check():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what}; events={self.events}")
            self._health_ok = (await self.adapter.health()).connected
            await asyncio.sleep(0.02)

    _health_ok = False

    def events_of(self, coid: str, kind: Any = None) -> list[VenueEvent]:
        return [e for e in self.events if e.client_order_id == coid and kind in (None, e.kind)]

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await self.adapter.disconnect()

    # venue side, per harness
    async def fill(self, coid: str, instrument: str, qty: float, price: float) -> None:
        """Fill at the venue and wait for the adapter's event."""
        before = len(self.events_of(coid))
        self.venue_fill(coid, instrument, qty, price)
        await self.until(lambda: len(self.events_of(coid)) > before, what=f"fill event of {coid}")

    def venue_fill(self, coid: str, instrument: str, qty: float, price: float) -> None:
        raise NotImplementedError

    def fee(self, qty: float, price: float) -> float:
        return 0.0

    async def park(self) -> None:
        """Stop reading events: the adapter's process is down."""
        raise NotImplementedError

    def script(self, op: str, fault: str, times: int = 1) -> None:
        raise NotImplementedError

    async def cut(self) -> None:
        """Cut the adapter's connection (and refuse new ones) until ``heal``."""
        raise NotImplementedError

    async def heal(self) -> None:
        raise NotImplementedError

    async def restart(self) -> None:
        """A new adapter process: the old one is gone with whatever it had not reported."""
        raise NotImplementedError

    def venue_order_count(self) -> int:
        raise NotImplementedError


class PaperHarness(Harness):
    name = "paper"
    network = False
    instruments = ("AAPL", "MSFT")

    async def setup(self) -> None:
        venue = PaperVenue(slippage=SlippageConfig(volume_limit=0.5))
        await self.start_adapter(venue)

    def venue_fill(self, coid: str, instrument: str, qty: float, price: float) -> None:
        # the volume cap (half the bar) makes the bar fill exactly ``qty``
        assert isinstance(self.adapter, PaperVenue)
        self.adapter.on_bar(Bar(instrument, 1, price, price, price, price, 2 * qty))

    async def restart(self) -> None:
        # the paper venue is the venue: its book and executions stay; what the old reader
        # had not taken from the event queue is lost with the old process
        assert isinstance(self.adapter, PaperVenue)
        while not self.adapter._events.empty():
            self.adapter._events.get_nowait()
        self.events.clear()
        await self.start_adapter(self.adapter)

    async def park(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None

    def venue_order_count(self) -> int:
        assert isinstance(self.adapter, PaperVenue)
        return len(self.adapter._working)


class _FakeHarness(Harness):
    book: FakeBook

    def script(self, op: str, fault: str, times: int = 1) -> None:
        self.book.script(op, fault, times)

    def venue_fill(self, coid: str, instrument: str, qty: float, price: float) -> None:
        self.book.fill_coid(coid, qty, price, fee=self.fee(qty, price))

    async def park(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None
        await self.adapter.disconnect()

    def venue_order_count(self) -> int:
        return len(self.book.orders)


class AlpacaHarness(_FakeHarness):
    name = "alpaca"
    instruments = ("AAPL", "MSFT")

    async def setup(self) -> None:
        self.book = FakeBook()
        self.book.timeout_s = 2 * TIMEOUT_S
        self.fake = fake_alpaca.FakeAlpaca(self.book)
        await self.fake.start()
        await self.start_adapter(self.new_adapter())

    def new_adapter(self) -> AlpacaVenue:
        creds = VenueCredentials(
            venue="alpaca",
            key_id=SecretStr(fake_alpaca.KEY_ID),
            secret=SecretStr(fake_alpaca.SECRET),
            base_url=self.fake.base_url,
        )
        return AlpacaVenue(
            self.account,
            creds,
            timeout_s=TIMEOUT_S,
            rate_limit_retries=self.rate_limit_retries,
            retry_wait_s=0.05,
            reconnect_s=0.05,
        )

    async def cut(self) -> None:
        self.fake.refuse_streams = True
        await self.fake.drop_streams()
        await self.until(lambda: not self._health_ok, what="stream down")

    async def heal(self) -> None:
        self.fake.refuse_streams = False

    async def restart(self) -> None:
        await self.park()
        self.events.clear()
        await self.start_adapter(self.new_adapter())

    async def teardown(self) -> None:
        await self.stop()
        await self.fake.stop()


class CcxtHarness(_FakeHarness):
    name = "ccxt"
    instruments = ("BTC-USDT", "ETH-USDT")

    async def setup(self) -> None:
        self.book = FakeBook()
        self.book.timeout_s = 2 * TIMEOUT_S
        self.fake = fake_binance.FakeBinance(self.book)
        await self.fake.start()
        await self.start_adapter(self.new_adapter())

    def fee(self, qty: float, price: float) -> float:
        return round(qty * price * 0.001, 8)  # Binance's default 0.1% taker fee

    def new_adapter(self) -> CcxtVenue:
        creds = VenueCredentials(
            venue="ccxt",
            exchange="binance",
            key_id=SecretStr(fake_binance.API_KEY),
            secret=SecretStr(fake_binance.SECRET),
            base_url=self.fake.base_url,
        )
        return CcxtVenue(
            self.account,
            creds,
            instruments=self.instruments,
            timeout_s=TIMEOUT_S,
            poll_s=0.05,
            rate_limit_retries=self.rate_limit_retries,
            retry_wait_s=0.05,
            throttle=False,  # the fake has no weight limits; 429s are scripted
        )

    async def cut(self) -> None:
        self.fake.partitioned = True
        await self.until(lambda: not self._health_ok, what="venue unreachable")

    async def heal(self) -> None:
        self.fake.partitioned = False

    async def restart(self) -> None:
        await self.park()
        self.events.clear()
        await self.start_adapter(self.new_adapter())

    async def teardown(self) -> None:
        await self.stop()
        await self.fake.stop()


HARNESSES = {"paper": PaperHarness, "alpaca": AlpacaHarness, "ccxt": CcxtHarness}


@pytest.fixture(params=sorted(HARNESSES))
async def venue(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    harness = HARNESSES[request.param]()
    await harness.setup()  # type: ignore[attr-defined]
    try:
        yield harness
    finally:
        if hasattr(harness, "teardown"):
            await harness.teardown()
        else:
            await harness.stop()
