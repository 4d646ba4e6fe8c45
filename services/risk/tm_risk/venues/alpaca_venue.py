"""Alpaca (stocks) behind the adapter interface: REST through alpaca-py, the trade_updates stream.

One adapter serves one risk account with that account's Alpaca keys (its paper endpoint is the
same API). Orders go through alpaca-py's ``TradingClient`` (run in a worker thread: the SDK is
synchronous); its own retry is used for 429 only — a retried 5xx on an order could place it twice.

The stream is read with ``websockets`` speaking Alpaca's documented protocol (authenticate, listen,
``trade_updates``) rather than the SDK's ``TradingStream``, which reconnects silently: after every
(re)connect this adapter replays the fills and closes it missed from the REST reports, so a gap in
the stream never loses a fill. Outcomes are classified: timeouts, lost connections and 5xx are
AMBIGUOUS (the order stays in flight until a report settles it); 4xx are DEFINITIVE refusals,
except a duplicate client_order_id, which means the venue already holds the order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import requests
import websockets
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, QueryOrderStatus, TimeInForce
from alpaca.trading.models import Order, TradeUpdate
from alpaca.trading.requests import (
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
)
from requests.adapters import HTTPAdapter

from tm_risk.venues import alpaca_parse as parse
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
_TIF = {
    "DAY": TimeInForce.DAY,
    "GTC": TimeInForce.GTC,
    "IOC": TimeInForce.IOC,
    "FOK": TimeInForce.FOK,
}
_DUPLICATE = 40010001
_CLOSED_EVENTS = {"CANCELLED": EventKind.CANCELLED, "EXPIRED": EventKind.EXPIRED}


class _TimeoutAdapter(HTTPAdapter):
    """requests has no session-wide timeout and the SDK passes none: without it a hung venue
    would hold an order's worker thread forever."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self._timeout_s = timeout_s

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["timeout"] = kwargs.get("timeout") or self._timeout_s
        return super().send(request, **kwargs)


class AlpacaVenue(BrokerAdapter):
    """One Alpaca account (see the module docstring)."""

    name = "alpaca"

    def __init__(
        self,
        account_id: str,
        credentials: VenueCredentials,
        *,
        timeout_s: float = 10.0,
        rate_limit_retries: int = 2,
        retry_wait_s: float = 1.0,
        reconnect_s: float = 1.0,
    ) -> None:
        self._account = account_id
        self._key = credentials.key_id.get_secret_value()
        self._secret = credentials.secret.get_secret_value()
        base = credentials.base_url or (
            "https://paper-api.alpaca.markets"
            if credentials.paper
            else "https://api.alpaca.markets"
        )
        self._stream_url = (
            base.replace("https://", "wss://").replace("http://", "ws://") + "/stream"
        )
        self._client = TradingClient(
            self._key,
            self._secret,
            paper=credentials.paper,
            url_override=credentials.base_url or None,
        )
        # the SDK's RESTClient retry (TradingClient does not pass its arguments through)
        self._client._retry = rate_limit_retries
        self._client._retry_wait = retry_wait_s  # type: ignore[assignment]
        self._client._retry_codes = [429]
        adapter = _TimeoutAdapter(timeout_s)
        self._client._session.mount("http://", adapter)
        self._client._session.mount("https://", adapter)
        self._timeout_s = timeout_s
        self._reconnect_s = reconnect_s
        self._events: asyncio.Queue[VenueEvent] = asyncio.Queue()
        self._seen: set[str] = set()  # execution ids and terminal (order id, kind) already emitted
        self._coid: dict[str, str] = {}  # Alpaca order id -> our client_order_id
        self._current: dict[str, str] = {}  # our client_order_id -> Alpaca order id now working
        self._connected = False
        self._detail = "not connected"
        self._task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:  # never the keys
        return f"AlpacaVenue(account={self._account!r}, stream={self._stream_url!r})"

    # --- lifecycle -----------------------------------------------------------------------
    async def connect(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._stream(), name=f"alpaca-{self._account}")

    async def disconnect(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._connected = False

    async def health(self) -> Health:
        return Health(self._connected, self._detail, {"venue": "alpaca"})

    def capabilities(self) -> Capabilities:
        return Capabilities(time_in_force=frozenset(_TIF))

    async def _call(self, fn: Callable[..., _T], *args: Any) -> _T:
        return await asyncio.to_thread(fn, *args)

    # --- order entry ---------------------------------------------------------------------
    async def submit(self, order: VenueOrder) -> Outcome:
        side = OrderSide.BUY if order.side > 0 else OrderSide.SELL
        common: dict[str, Any] = {
            "symbol": order.instrument_id,
            "qty": order.quantity,
            "side": side,
            "time_in_force": _TIF[order.time_in_force],
            "client_order_id": order.client_order_id,
        }
        request = (
            LimitOrderRequest(limit_price=order.limit_price, **common)
            if order.order_type == "LIMIT"
            else MarketOrderRequest(**common)
        )
        try:
            placed = await self._call(self._client.submit_order, request)
        except (APIError, requests.RequestException) as error:
            if isinstance(error, APIError) and parse.error_code(str(error))[0] == _DUPLICATE:
                return await self._existing(order.client_order_id)
            return parse.classify(error, "submit")
        assert isinstance(placed, Order)
        self._remember(placed)
        return Outcome(True, Certainty.DEFINITIVE, str(placed.id))

    async def _existing(self, client_order_id: str) -> Outcome:
        """A duplicate client_order_id: the venue has the order (an earlier send got through)."""
        try:
            held = await self._call(self._client.get_order_by_client_id, client_order_id)
        except (APIError, requests.RequestException) as error:
            return parse.classify(error, "lookup", ambiguous_4xx=True)
        assert isinstance(held, Order)
        self._remember(held)
        return Outcome(True, Certainty.DEFINITIVE, str(held.id), "already at the venue")

    def _remember(self, order: Order) -> None:
        ours = parse.our_id(order.client_order_id)
        self._coid[str(order.id)] = ours
        if parse.status(order) in parse.OPEN:
            self._current[ours] = str(order.id)

    async def _locate(self, client_order_id: str) -> Order | None:
        """The open Alpaca order carrying our client_order_id (also after a replacement)."""
        for order in await self._open_orders():
            if parse.our_id(order.client_order_id) == client_order_id:
                return order
        return None

    async def modify(
        self, account_id: str, client_order_id: str, quantity: float, limit_price: float | None
    ) -> Outcome:
        try:
            held = await self._locate(client_order_id)
            if held is None:
                return Outcome(False, Certainty.DEFINITIVE, reason="order is not working")
            request = ReplaceOrderRequest(
                qty=int(quantity - parse._num(held.filled_qty)),
                limit_price=limit_price,
                client_order_id=parse.replacement_id(held.client_order_id),
            )
            placed = await self._call(self._client.replace_order_by_id, str(held.id), request)
        except (APIError, requests.RequestException) as error:
            return parse.classify(error, "replace")
        assert isinstance(placed, Order)
        self._remember(placed)
        return Outcome(True, Certainty.DEFINITIVE, str(placed.id))

    async def cancel(self, account_id: str, client_order_id: str) -> Outcome:
        try:
            held = await self._locate(client_order_id)
            if held is None:
                return Outcome(False, Certainty.DEFINITIVE, reason="order is not working")
            await self._call(self._client.cancel_order_by_id, str(held.id))
        except (APIError, requests.RequestException) as error:
            # 422 "not cancelable": filling or already filled — its report settles it
            return parse.classify(error, "cancel", ambiguous_4xx=parse.http_status(error) == 422)
        return Outcome(True, Certainty.DEFINITIVE, str(held.id))

    async def cancel_all(self, scope: CancelScope) -> dict[tuple[str, str], Outcome]:
        if scope.account_id not in (None, self._account):
            return {}
        try:
            working = await self._open_orders()
        except (APIError, requests.RequestException) as error:
            _LOGGER.warning(
                "alpaca.cancel_all_list_failed account=%s error=%s", self._account, error
            )
            return {}
        if scope.instrument_id is None and scope.client_order_ids is None:
            return await self._cancel_everything(working)
        results: dict[tuple[str, str], Outcome] = {}
        for order in working:
            ours = parse.our_id(order.client_order_id)
            if scope.instrument_id is not None and order.symbol != scope.instrument_id:
                continue
            if scope.client_order_ids is not None and ours not in scope.client_order_ids:
                continue
            results[(self._account, ours)] = await self.cancel(self._account, ours)
        return results

    async def _cancel_everything(self, working: list[Order]) -> dict[tuple[str, str], Outcome]:
        """Alpaca's DELETE /v2/orders: one request, a status per order (207 multi-status)."""
        try:
            answers = await self._call(self._client.cancel_orders)
        except (APIError, requests.RequestException) as error:
            outcome = parse.classify(error, "cancel_all", ambiguous_4xx=True)
            return {(self._account, parse.our_id(o.client_order_id)): outcome for o in working}
        assert isinstance(answers, list)
        results = {}
        for answer in answers:
            ours = self._coid.get(str(answer.id), str(answer.id))
            if 200 <= answer.status < 300:
                results[(self._account, ours)] = Outcome(True, Certainty.DEFINITIVE, str(answer.id))
            else:  # e.g. 500 for one order: it may still be working; its report settles it
                reason = f"cancel_all: HTTP {answer.status} for this order"
                results[(self._account, ours)] = Outcome(False, Certainty.AMBIGUOUS, reason=reason)
        return results

    # --- reports -------------------------------------------------------------------------
    async def _open_orders(self) -> list[Order]:
        request = GetOrdersRequest(status=QueryOrderStatus.OPEN, limit=500)
        orders = await self._call(self._client.get_orders, request)
        assert isinstance(orders, list)
        for order in orders:
            self._remember(order)
        return orders

    async def order_reports(self, account_id: str | None = None) -> list[OrderReport]:
        if account_id not in (None, self._account):
            return []
        return [parse.report(self._account, order) for order in await self._open_orders()]

    async def order_status(
        self, account_id: str, client_order_id: str, instrument_id: str
    ) -> OrderReport | None:
        """Alpaca keeps closed orders; a replaced one is followed to its replacement."""
        try:
            order = await self._call(self._client.get_order_by_client_id, client_order_id)
            assert isinstance(order, Order)
            while order.replaced_by is not None:
                order = await self._call(self._client.get_order_by_id, str(order.replaced_by))
                assert isinstance(order, Order)
        except APIError as error:
            if error.status_code == 404:
                return None
            raise
        return parse.report(self._account, order)

    async def _our_id_of(self, broker_order_id: str) -> str:
        known = self._coid.get(broker_order_id)
        if known is None:
            order = await self._call(self._client.get_order_by_id, broker_order_id)
            assert isinstance(order, Order)
            self._remember(order)
            known = self._coid[broker_order_id]
        return known

    async def fill_reports(self, account_id: str) -> list[tuple[str, Execution]]:
        if account_id != self._account:
            return []
        # the newest 100 fills (Alpaca's page): recent gaps are what reconciliation recovers
        raw = await self._call(
            self._client.get, "/account/activities/FILL", {"direction": "desc", "page_size": 100}
        )
        result = []
        for activity in reversed(raw or []):
            broker_order_id, execution = parse.fill_activity(activity)
            result.append((await self._our_id_of(broker_order_id), execution))
        return result

    async def position_reports(self, account_id: str) -> dict[str, float]:
        if account_id != self._account:
            return {}
        raw = await self._call(self._client.get, "/positions")
        return dict(parse.position(item) for item in raw or [])

    async def events(self) -> AsyncIterator[VenueEvent]:  # type: ignore[override]
        while True:
            yield await self._events.get()

    # --- the trade_updates stream ----------------------------------------------------------
    async def _stream(self) -> None:
        failures = 0
        while True:
            try:
                async with websockets.connect(self._stream_url, open_timeout=self._timeout_s) as ws:
                    await self._listen(ws)
                    failures = 0
                    await self._catch_up()
                    async for raw in ws:
                        self._dispatch(json.loads(raw))
                self._detail = "stream closed by the venue"
            except (OSError, TimeoutError, websockets.WebSocketException, ValueError) as error:
                self._detail = f"stream error: {type(error).__name__}"
            except (APIError, requests.RequestException) as error:
                self._detail = f"catch-up failed: {type(error).__name__}"
            self._connected = False
            failures += 1
            _LOGGER.warning("alpaca.stream_down account=%s detail=%s", self._account, self._detail)
            await asyncio.sleep(min(self._reconnect_s * 2 ** (failures - 1), 30.0))

    async def _listen(self, ws: Any) -> None:
        auth = {"action": "authenticate", "data": {"key_id": self._key, "secret_key": self._secret}}
        await ws.send(json.dumps(auth))
        reply = json.loads(await asyncio.wait_for(ws.recv(), self._timeout_s))
        if reply.get("data", {}).get("status") != "authorized":
            raise ValueError("alpaca stream refused the account's keys")
        await ws.send(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
        await asyncio.wait_for(ws.recv(), self._timeout_s)
        self._connected, self._detail = True, "trade_updates stream up"

    def _dispatch(self, message: dict[str, Any]) -> None:
        if message.get("stream") != "trade_updates":
            return
        update = TradeUpdate(**message["data"])
        self._remember(update.order)
        normalized = parse.event(self._account, update)
        if normalized is not None:
            self._emit(normalized)

    def _emit(self, event: VenueEvent) -> None:
        key = (
            event.execution.broker_fill_id
            if event.execution is not None
            else f"{event.broker_order_id}:{event.kind}"
        )
        if event.kind is not EventKind.ACCEPTED:
            if key in self._seen:
                return
            self._seen.add(key)
        self._events.put_nowait(event)

    async def _catch_up(self) -> None:
        """Emit the fills and closes the stream missed while it was down (deduplicated)."""
        for client_order_id, execution in await self.fill_reports(self._account):
            self._emit(VenueEvent(EventKind.FILLED, self._account, client_order_id, "", execution))
        for ours, broker_id in list(self._current.items()):
            order = await self._call(self._client.get_order_by_id, broker_id)
            assert isinstance(order, Order)
            mapped = parse.status(order)
            if mapped in parse.OPEN:
                continue
            self._current.pop(ours, None)
            kind = _CLOSED_EVENTS.get(mapped) or (
                EventKind.REJECTED if mapped == "REJECTED" else None
            )
            if kind is not None:
                self._emit(
                    VenueEvent(
                        kind, self._account, ours, broker_id, None, f"alpaca: {order.status}"
                    )
                )
