"""A loopback fake of Alpaca's Trading API v2 and its ``/stream`` trade_updates WebSocket.

Payload shapes follow Alpaca's published reference (order object, error ``{"code", "message"}``,
FILL account activities, positions, the authenticate/listen handshake; the paper stream sends
binary frames, so this one does too). Only what the adapter uses is served.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime
from typing import Any

from aiohttp import WSMsgType, web

from support.fake_venues.book import DuplicateOrder, FakeBook, FakeFill, FakeOrder

KEY_ID, SECRET = "PKTESTKEY0000000", "fake-alpaca-secret-0123456789"
_STATUS = {"open": "new", "filled": "filled", "canceled": "canceled", "replaced": "replaced"}
_ASSET = "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415"


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat().replace("+00:00", "Z")


def _num(value: float | None) -> str | None:
    return None if value is None else format(value, "g")


def order_json(order: FakeOrder) -> dict[str, Any]:
    status = _STATUS.get(order.status, order.status)
    if status == "new" and order.filled_qty:
        status = "partially_filled"
    return {
        "id": order.id,
        "client_order_id": order.client_order_id,
        "created_at": _iso(order.created),
        "updated_at": _iso(order.updated),
        "submitted_at": _iso(order.created),
        "filled_at": _iso(order.updated) if order.status == "filled" else None,
        "expired_at": None,
        "canceled_at": _iso(order.updated) if order.status == "canceled" else None,
        "failed_at": None,
        "replaced_at": _iso(order.updated) if order.status == "replaced" else None,
        "replaced_by": order.replaced_by,
        "replaces": order.replaces,
        "asset_id": _ASSET,
        "symbol": order.symbol,
        "asset_class": "us_equity",
        "notional": None,
        "qty": _num(order.qty),
        "filled_qty": _num(order.filled_qty),
        "filled_avg_price": _num(order.avg_price),
        "order_class": "",
        "order_type": order.type,
        "type": order.type,
        "side": order.side,
        "time_in_force": order.tif,
        "limit_price": _num(order.limit_price),
        "stop_price": None,
        "status": status,
        "extended_hours": False,
        "legs": None,
        "trail_percent": None,
        "trail_price": None,
        "hwm": None,
    }


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status)


class FakeAlpaca:
    """Serve ``book`` as Alpaca would; ``base_url`` once started."""

    def __init__(self, book: FakeBook) -> None:
        self.book = book
        self.base_url = ""
        self.refuse_streams = False
        self.seen_keys: list[str] = []
        self._sockets: set[web.WebSocketResponse] = set()
        self._runner: web.AppRunner | None = None
        book.listeners.append(self._on_book)

    async def start(self) -> None:
        app = web.Application(middlewares=[self._auth])
        app.router.add_post("/v2/orders", self._submit)
        app.router.add_get("/v2/orders", self._list)
        app.router.add_delete("/v2/orders", self._cancel_all)
        app.router.add_get("/v2/orders:by_client_order_id", self._by_client_id)
        app.router.add_get("/v2/orders/{id}", self._get)
        app.router.add_delete("/v2/orders/{id}", self._cancel)
        app.router.add_patch("/v2/orders/{id}", self._replace)
        app.router.add_get("/v2/positions", self._positions)
        app.router.add_get("/v2/account/activities/FILL", self._activities)
        app.router.add_get("/stream", self._stream)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        await self.drop_streams()
        if self._runner is not None:
            await self._runner.cleanup()

    async def drop_streams(self) -> None:
        for ws in list(self._sockets):
            await ws.close()

    # --- HTTP --------------------------------------------------------------------------------
    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/stream":
            return await handler(request)
        self.book.requests.append(f"{request.method} {request.path}")
        key = request.headers.get("APCA-API-KEY-ID", "")
        self.seen_keys.append(key)
        if key != KEY_ID or request.headers.get("APCA-API-SECRET-KEY") != SECRET:
            return _error(401, 40110000, "request is not authorized")
        return await handler(request)

    @staticmethod
    def _refusal(fault: str | None) -> web.Response | None:
        if fault == "429":
            return _error(429, 42910000, "rate limit exceeded")
        if fault == "500":
            return _error(500, 50010000, "internal server error")
        if fault == "reject":
            return _error(403, 40310000, "insufficient buying power")
        return None

    async def _reply(self, fault: str | None, response: web.Response) -> web.Response:
        if fault == "timeout":
            await asyncio.sleep(self.book.timeout_s)  # processed, but the reply comes too late
        return response

    async def _submit(self, request: web.Request) -> web.Response:
        fault = self.book.take_fault("submit")
        refused = self._refusal(fault)
        if refused is not None:
            return refused
        body = await request.json()
        limit = body.get("limit_price")
        try:
            order = self.book.place(
                body["client_order_id"],
                body["symbol"],
                body["side"],
                float(body["qty"]),
                body["type"],
                None if limit is None else float(limit),
                body["time_in_force"],
            )
        except DuplicateOrder:
            return _error(422, 40010001, "client_order_id must be unique")
        return await self._reply(fault, web.json_response(order_json(order)))

    async def _list(self, request: web.Request) -> web.Response:
        status = request.query.get("status", "open")
        orders = [
            o for o in self.book.orders.values() if status == "all" or o.open == (status == "open")
        ]
        return web.json_response([order_json(o) for o in orders])

    async def _get(self, request: web.Request) -> web.Response:
        order = self.book.orders.get(request.match_info["id"])
        if order is None:
            return _error(404, 40410000, "order not found")
        return web.json_response(order_json(order))

    async def _by_client_id(self, request: web.Request) -> web.Response:
        order = self.book.by_coid.get(request.query.get("client_order_id", ""))
        if order is None:
            return _error(404, 40410000, "order not found")
        return web.json_response(order_json(order))

    async def _cancel(self, request: web.Request) -> web.Response:
        order = self.book.orders.get(request.match_info["id"])
        if order is None:
            return _error(404, 40410000, "order not found")
        fault = self.book.take_fault("cancel")
        refused = self._refusal(fault)
        if refused is not None:
            return refused
        if fault == "fill_first" and order.open:  # the fill beats the cancel request
            self.book.fill(order, order.qty - order.filled_qty, order.limit_price or 100.0)
        if not self.book.cancel(order):
            return _error(422, 42210000, "order is not cancelable")
        return await self._reply(fault, web.Response(status=204))

    async def _cancel_all(self, request: web.Request) -> web.Response:
        results = []
        for order in self.book.open_orders():
            self.book.cancel(order)
            results.append({"id": order.id, "status": 200, "body": order_json(order)})
        return web.json_response(results, status=207)

    async def _replace(self, request: web.Request) -> web.Response:
        order = self.book.orders.get(request.match_info["id"])
        if order is None or not order.open:
            return _error(422, 42210000, "order is not replaceable")
        body = await request.json()
        limit = body.get("limit_price")
        new = self.book.replace(
            order,
            body.get("client_order_id") or str(uuid.uuid4()),
            float(body.get("qty") or order.qty - order.filled_qty),
            None if limit is None else float(limit),
        )
        return web.json_response(order_json(new))

    async def _positions(self, request: web.Request) -> web.Response:
        return web.json_response(
            [
                {
                    "asset_id": _ASSET,
                    "symbol": symbol,
                    "exchange": "NASDAQ",
                    "asset_class": "us_equity",
                    "qty": _num(abs(qty)),
                    "side": "long" if qty > 0 else "short",
                }
                for symbol, qty in self.book.positions.items()
                if qty
            ]
        )

    async def _activities(self, request: web.Request) -> web.Response:
        return web.json_response([self._activity(f) for f in self.book.fills])

    @staticmethod
    def _activity(fill: FakeFill) -> dict[str, Any]:
        order = fill.order
        stamp = fill.at.strftime("%Y%m%d%H%M%S%f")[:-3]
        return {
            "id": f"{stamp}::{fill.id}",
            "activity_type": "FILL",
            "transaction_time": _iso(fill.at),
            "type": "fill" if order.status == "filled" else "partial_fill",
            "price": _num(fill.price),
            "qty": _num(fill.qty),
            "side": order.side,
            "symbol": order.symbol,
            "leaves_qty": _num(order.qty - order.filled_qty),
            "order_id": order.id,
            "cum_qty": _num(order.filled_qty),
            "order_status": order_json(order)["status"],
        }

    # --- the trade_updates stream ---------------------------------------------------------------
    async def _stream(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if self.refuse_streams:
            await ws.close()
            return ws
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT and msg.type is not WSMsgType.BINARY:
                break
            body = json.loads(msg.data)
            if body.get("action") == "authenticate":
                data = body.get("data", {})
                ok = data.get("key_id") == KEY_ID and data.get("secret_key") == SECRET
                reply = {"status": "authorized" if ok else "unauthorized", "action": "authenticate"}
                await ws.send_bytes(json.dumps({"stream": "authorization", "data": reply}).encode())
                if not ok:
                    break
            elif body.get("action") == "listen":
                streams = body.get("data", {}).get("streams", [])
                await ws.send_bytes(
                    json.dumps({"stream": "listening", "data": {"streams": streams}}).encode()
                )
                self._sockets.add(ws)
        self._sockets.discard(ws)
        return ws

    def _on_book(self, event: str, order: FakeOrder, fill: FakeFill | None) -> None:
        data: dict[str, Any] = {
            "event": event,
            "timestamp": _iso(order.updated),
            "order": order_json(order),
        }
        if fill is not None:
            data.update(
                execution_id=fill.id,
                price=_num(fill.price),
                qty=_num(fill.qty),
                position_qty=_num(self.book.positions.get(order.symbol, 0.0)),
                timestamp=_iso(fill.at),
            )
        frame = json.dumps({"stream": "trade_updates", "data": data}).encode()
        for ws in list(self._sockets):
            if not ws.closed:
                asyncio.get_running_loop().create_task(ws.send_bytes(frame))
