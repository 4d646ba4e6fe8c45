"""A crypto exchange through CCXT (Binance spot) behind the adapter interface.

One adapter serves one risk account with that account's exchange keys. Orders go through
``ccxt.async_support`` (REST). Order updates are *polled* (trades and open orders every
``poll_s``) rather than read from ccxt.pro's user-data stream: ccxt 4.5 subscribes to Binance's
user data over its WebSocket API, which the offline fake venue does not speak yet; polling the
same REST reports also makes a missed update impossible to lose (each poll re-reads them).

Outcomes are classified by HTTP status, not by CCXT's exception class (Binance's 5xx bodies map
to ``ExchangeError``): 5xx, timeouts and lost connections are AMBIGUOUS, 4xx DEFINITIVE, 429 is
retried ``rate_limit_retries`` times before it is a definitive refusal, and a duplicate client
order id means the exchange already holds the order.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import ccxt.async_support as ccxt_async
from ccxt.base.errors import BaseError, DDoSProtection, NetworkError, OrderNotFound

from tm_risk.venues import ccxt_parse as parse
from tm_risk.venues.adapter import (
    BrokerAdapter,
    CancelScope,
    Capabilities,
    Certainty,
    EventKind,
    Execution,
    Health,
    OrderReport,
    Outcome,
    VenueEvent,
    VenueOrder,
)
from tm_risk.venues.credentials import VenueCredentials

_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")
_STATUS: contextvars.ContextVar[int] = contextvars.ContextVar("ccxt_http_status", default=0)
_CLOSED = {
    "CANCELLED": EventKind.CANCELLED,
    "EXPIRED": EventKind.EXPIRED,
    "REJECTED": EventKind.REJECTED,
}


def _exchange(credentials: VenueCredentials, timeout_s: float, throttle: bool) -> Any:
    cls = getattr(ccxt_async, credentials.exchange)
    exchange = cls(
        {
            "apiKey": credentials.key_id.get_secret_value(),
            "secret": credentials.secret.get_secret_value(),
            "timeout": int(timeout_s * 1000),
            "enableRateLimit": throttle,  # CCXT's client-side request-weight throttle
            "options": {
                "defaultType": "spot",
                "fetchMarkets": {"types": ["spot"]},
                "fetchCurrencies": False,
                "fetchMargins": False,
                "warnOnFetchOpenOrdersWithoutSymbol": False,
            },
        }
    )
    if credentials.base_url:
        for key, url in list(exchange.urls["api"].items()):
            if isinstance(url, str) and url.startswith("https://api.binance.com"):
                exchange.urls["api"][key] = (
                    credentials.base_url + url[len("https://api.binance.com") :]
                )
    elif credentials.paper:
        exchange.set_sandbox_mode(True)
    original = exchange.handle_errors

    def handle_errors(code: int, *args: Any) -> Any:
        _STATUS.set(int(code))  # read by _classify in the same task
        return original(code, *args)

    exchange.handle_errors = handle_errors
    return exchange


class CcxtVenue(BrokerAdapter):
    """One exchange account (see the module docstring)."""

    name = "ccxt"

    def __init__(
        self,
        account_id: str,
        credentials: VenueCredentials,
        *,
        instruments: tuple[str, ...] = (),
        timeout_s: float = 10.0,
        poll_s: float = 1.0,
        rate_limit_retries: int = 2,
        retry_wait_s: float = 1.0,
        throttle: bool = True,
    ) -> None:
        self._account = account_id
        self._exchange = _exchange(credentials, timeout_s, throttle)
        self._instruments = {parse.symbol(i): i for i in instruments}
        self._poll_s = poll_s
        self._retries = rate_limit_retries
        self._retry_wait_s = retry_wait_s
        self._events: asyncio.Queue[VenueEvent] = asyncio.Queue()
        self._seen: set[str] = set()
        self._coid: dict[str, str] = {}  # exchange order id -> our client_order_id
        self._open: dict[str, str] = {}  # our client_order_id -> symbol, while working
        self._connected = False
        self._detail = "not connected"
        self._task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:  # never the keys
        return f"CcxtVenue(account={self._account!r}, exchange={self._exchange.id!r})"

    # --- lifecycle -----------------------------------------------------------------------
    async def connect(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._poll(), name=f"ccxt-{self._account}")

    async def disconnect(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._connected = False
        await self._exchange.close()

    async def health(self) -> Health:
        return Health(self._connected, self._detail, {"venue": f"ccxt:{self._exchange.id}"})

    def capabilities(self) -> Capabilities:
        return Capabilities(time_in_force=frozenset({"GTC", "IOC", "FOK"}), modify=False)

    async def _call(self, fn: Callable[..., Awaitable[_T]], *args: Any, **kwargs: Any) -> _T:
        """One REST call; 429 is waited out ``rate_limit_retries`` times."""
        for attempt in range(self._retries + 1):
            _STATUS.set(0)
            try:
                return await fn(*args, **kwargs)
            except DDoSProtection:
                if attempt == self._retries:
                    raise
                await asyncio.sleep(self._retry_wait_s * 2**attempt)
        raise AssertionError("unreachable")

    def _track(self, order: dict[str, Any]) -> str:
        ours = str(order.get("clientOrderId") or "")
        self._coid[str(order["id"])] = ours
        self._instruments.setdefault(order["symbol"], order["symbol"].replace("/", "-"))
        if parse.status(order) in parse.OPEN:
            self._open[ours] = order["symbol"]
        return ours

    # --- order entry ---------------------------------------------------------------------
    async def submit(self, order: VenueOrder) -> Outcome:
        symbol = parse.symbol(order.instrument_id)
        self._instruments.setdefault(symbol, order.instrument_id)
        params: dict[str, Any] = {"newClientOrderId": order.client_order_id}
        if order.order_type == "LIMIT":
            params["timeInForce"] = order.time_in_force
        try:
            await self._markets()
            placed = await self._call(
                self._exchange.create_order,
                symbol,
                order.order_type.lower(),
                "buy" if order.side > 0 else "sell",
                order.quantity,
                order.limit_price,
                params,
            )
        except BaseError as error:
            if "Duplicate order" in str(error):
                return await self._existing(symbol, order.client_order_id)
            return _classify(error, "submit")
        self._track(placed)
        return Outcome(True, Certainty.DEFINITIVE, str(placed["id"]))

    async def _markets(self) -> None:
        if not self._exchange.markets:
            await self._call(self._exchange.load_markets)

    async def _existing(self, symbol: str, client_order_id: str) -> Outcome:
        try:
            held = await self._call(
                self._exchange.fetch_order, "", symbol, {"origClientOrderId": client_order_id}
            )
        except BaseError as error:
            return _classify(error, "lookup", ambiguous_4xx=True)
        self._track(held)
        return Outcome(True, Certainty.DEFINITIVE, str(held["id"]), "already at the venue")

    async def modify(
        self, account_id: str, client_order_id: str, quantity: float, limit_price: float | None
    ) -> Outcome:
        return Outcome(False, Certainty.DEFINITIVE, reason="spot orders cannot be modified here")

    async def cancel(self, account_id: str, client_order_id: str) -> Outcome:
        symbol = self._open.get(client_order_id)
        if symbol is None:
            held = {r.client_order_id: r for r in await self.order_reports(account_id)}
            if client_order_id not in held:
                return Outcome(False, Certainty.DEFINITIVE, reason="order is not working")
            symbol = self._open[client_order_id]
        try:
            done = await self._call(
                self._exchange.cancel_order, "", symbol, {"origClientOrderId": client_order_id}
            )
        except BaseError as error:
            # -2011 "Unknown order sent.": filled (or filling) meanwhile — its trades settle it
            return _classify(error, "cancel", ambiguous_4xx=True)
        self._open.pop(client_order_id, None)
        return Outcome(True, Certainty.DEFINITIVE, str(done["id"]))

    async def cancel_all(self, scope: CancelScope) -> dict[tuple[str, str], Outcome]:
        if scope.account_id not in (None, self._account):
            return {}
        try:
            working = await self.order_reports(self._account)
        except BaseError as error:
            _LOGGER.warning(
                "ccxt.cancel_all_list_failed account=%s error=%s",
                self._account,
                type(error).__name__,
            )
            return {}
        results = {}
        for report in working:
            symbol = self._open.get(report.client_order_id, "")
            if scope.instrument_id is not None and symbol != parse.symbol(scope.instrument_id):
                continue
            if (
                scope.client_order_ids is not None
                and report.client_order_id not in scope.client_order_ids
            ):
                continue
            key = (self._account, report.client_order_id)
            results[key] = await self.cancel(self._account, report.client_order_id)
        return results

    # --- reports -------------------------------------------------------------------------
    async def order_reports(self, account_id: str | None = None) -> list[OrderReport]:
        if account_id not in (None, self._account):
            return []
        await self._markets()
        orders = await self._call(self._exchange.fetch_open_orders)
        for order in orders:
            self._track(order)
        return [parse.report(self._account, order) for order in orders]

    async def order_status(
        self, account_id: str, client_order_id: str, instrument_id: str
    ) -> OrderReport | None:
        await self._markets()
        try:
            order = await self._call(
                self._exchange.fetch_order,
                "",
                parse.symbol(instrument_id),
                {"origClientOrderId": client_order_id},
            )
        except OrderNotFound:
            return None
        self._track(order)
        return parse.report(self._account, order)

    async def _our_id(self, symbol: str, exchange_order_id: str) -> str:
        known = self._coid.get(exchange_order_id)
        if known is None:
            order = await self._call(self._exchange.fetch_order, exchange_order_id, symbol)
            known = self._track(order)
        return known

    async def fill_reports(self, account_id: str) -> list[tuple[str, Execution]]:
        """Fills of every symbol the account traded or is configured for (Binance lists trades
        per symbol)."""
        if account_id != self._account:
            return []
        await self._markets()
        result = []
        for symbol in sorted(self._instruments):
            for trade in await self._call(self._exchange.fetch_my_trades, symbol):
                exchange_order_id, execution = parse.execution(trade)
                result.append((await self._our_id(symbol, exchange_order_id), execution))
        return result

    async def position_reports(self, account_id: str) -> dict[str, float]:
        """Spot holdings of the base asset of each traded symbol, signed (spot is never short)."""
        if account_id != self._account:
            return {}
        await self._markets()
        balance = await self._call(self._exchange.fetch_balance)
        totals = balance.get("total") or {}
        result = {}
        for symbol, instrument in self._instruments.items():
            base = symbol.partition("/")[0]
            if totals.get(base):
                result[instrument] = float(totals[base])
        return result

    async def events(self) -> AsyncIterator[VenueEvent]:  # type: ignore[override]
        while True:
            yield await self._events.get()

    # --- order updates by polling -------------------------------------------------------------
    async def _poll(self) -> None:
        while True:
            try:
                await self._poll_once()
                self._connected, self._detail = True, "polling"
            except BaseError as error:
                self._connected, self._detail = False, f"poll failed: {type(error).__name__}"
                _LOGGER.warning(
                    "ccxt.poll_failed account=%s detail=%s", self._account, self._detail
                )
            await asyncio.sleep(self._poll_s)

    async def _poll_once(self) -> None:
        """New trades become FILLED events; orders gone from the open list without filling
        become CANCELLED / EXPIRED / REJECTED events. Repeats are dropped by id."""
        for client_order_id, execution in await self.fill_reports(self._account):
            self._emit(VenueEvent(EventKind.FILLED, self._account, client_order_id, "", execution))
        still_open = {r.client_order_id for r in await self.order_reports(self._account)}
        for ours, symbol in list(self._open.items()):
            if ours in still_open:
                continue
            order = await self._call(
                self._exchange.fetch_order, "", symbol, {"origClientOrderId": ours}
            )
            mapped = parse.status(order)
            if mapped in parse.OPEN:
                continue
            self._open.pop(ours, None)
            kind = _CLOSED.get(mapped)
            if kind is not None:
                self._emit(
                    VenueEvent(
                        kind,
                        self._account,
                        ours,
                        str(order["id"]),
                        None,
                        f"{self._exchange.id}: {mapped}",
                    )
                )

    def _emit(self, event: VenueEvent) -> None:
        key = (
            event.execution.broker_fill_id
            if event.execution
            else f"{event.client_order_id}:{event.kind}"
        )
        if key in self._seen:
            return
        self._seen.add(key)
        self._events.put_nowait(event)


def _classify(error: BaseError, what: str, *, ambiguous_4xx: bool = False) -> Outcome:
    """Definitive only when the exchange answered with a 4xx; everything else stays in flight."""
    status = _STATUS.get()
    if isinstance(error, DDoSProtection) or status == 429:
        return Outcome(
            False, Certainty.DEFINITIVE, reason=f"rate limited by the venue (HTTP 429): {error}"
        )
    if 400 <= status < 500 and not isinstance(error, NetworkError) and not ambiguous_4xx:
        return Outcome(False, Certainty.DEFINITIVE, reason=str(error)[:300])
    detail = f"HTTP {status}" if status else type(error).__name__
    _LOGGER.warning("ccxt.%s_ambiguous detail=%s", what, detail)
    return Outcome(False, Certainty.AMBIGUOUS, reason=f"{what}: {detail}")
