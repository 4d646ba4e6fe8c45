"""A loopback fake of Binance's spot REST API (``/api/v3``), as CCXT's binance class calls it.

Shapes follow Binance's published spot API docs: exchangeInfo with PRICE_FILTER / LOT_SIZE,
FULL order responses, ``myTrades``, ``account`` balances, error bodies ``{"code", "msg"}``
(-2010 rejected / duplicate, -2011 unknown order on cancel, -2013 no such order, -1003 with
HTTP 429). Signed requests are checked: ``X-MBX-APIKEY`` and the HMAC-SHA256 ``signature``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from support.fake_venues.book import DuplicateOrder, FakeBook, FakeOrder

API_KEY, SECRET = "fake-binance-key-0123456789abcdef", "fake-binance-secret-abcdef0123456789"
SYMBOLS = {"BTCUSDT": ("BTC", "USDT"), "ETHUSDT": ("ETH", "USDT")}
_PARAMS = web.RequestKey("params", dict)
_STATUS = {"open": "NEW", "filled": "FILLED", "canceled": "CANCELED", "expired": "EXPIRED"}


def _ms(order: FakeOrder) -> int:
    return int(order.created.timestamp() * 1000)


def _s(value: float | None) -> str:
    return format(value or 0.0, ".8f")


def order_json(order: FakeOrder) -> dict[str, Any]:
    status = _STATUS.get(order.status, order.status.upper())
    if status == "NEW" and order.filled_qty:
        status = "PARTIALLY_FILLED"
    return {
        "symbol": order.symbol,
        "orderId": order.number,
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
        "price": _s(order.limit_price),
        "origQty": _s(order.qty),
        "executedQty": _s(order.filled_qty),
        "cummulativeQuoteQty": _s(order.filled_value),
        "status": status,
        "timeInForce": order.tif,
        "type": order.type.upper(),
        "side": order.side.upper(),
        "stopPrice": _s(0.0),
        "icebergQty": _s(0.0),
        "time": _ms(order),
        "updateTime": int(order.updated.timestamp() * 1000),
        "isWorking": True,
        "workingTime": _ms(order),
        "origQuoteOrderQty": _s(0.0),
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }


def _error(status: int, code: int, msg: str) -> web.Response:
    return web.json_response({"code": code, "msg": msg}, status=status)


def _symbol_info(name: str, base: str, quote: str) -> dict[str, Any]:
    return {
        "symbol": name,
        "status": "TRADING",
        "baseAsset": base,
        "baseAssetPrecision": 8,
        "quoteAsset": quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": "0.01000000",
                "maxPrice": "1000000.00000000",
                "tickSize": "0.01000000",
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": "0.00001000",
                "maxQty": "9000.00000000",
                "stepSize": "0.00001000",
            },
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


class FakeBinance:
    """Serve ``book`` as Binance spot would; ``base_url`` once started."""

    def __init__(self, book: FakeBook) -> None:
        self.book = book
        self.base_url = ""
        self.partitioned = False
        self.seen_keys: list[str] = []
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(middlewares=[self._gate])
        app.router.add_get("/api/v3/exchangeInfo", self._exchange_info)
        app.router.add_post("/api/v3/order", self._submit)
        app.router.add_get("/api/v3/order", self._get)
        app.router.add_delete("/api/v3/order", self._cancel)
        app.router.add_get("/api/v3/openOrders", self._open_orders)
        app.router.add_get("/api/v3/myTrades", self._trades)
        app.router.add_get("/api/v3/account", self._account)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- gate: partition, key and signature --------------------------------------------------
    @web.middleware
    async def _gate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.partitioned:
            assert request.transport is not None
            request.transport.close()  # the connection drops without an answer
            raise web.HTTPServiceUnavailable()
        self.book.requests.append(f"{request.method} {request.path}")
        if request.path == "/api/v3/exchangeInfo":
            return await handler(request)
        key = request.headers.get("X-MBX-APIKEY", "")
        self.seen_keys.append(key)
        body = await request.text()
        params = dict(parse_qsl(request.query_string)) | dict(parse_qsl(body))
        signed = (request.query_string + body).replace(f"&signature={params.get('signature')}", "")
        expected = hmac.new(SECRET.encode(), signed.encode(), hashlib.sha256).hexdigest()
        if key != API_KEY or params.get("signature") != expected:
            return _error(401, -2015, "Invalid API-key, IP, or permissions for action.")
        request[_PARAMS] = params
        return await handler(request)

    def _refusal(self, fault: str | None) -> web.Response | None:
        if fault == "429":
            response = _error(
                429, -1003, "Too many requests; current limit is 6000 request weight per 1 MINUTE."
            )
            response.headers["Retry-After"] = "1"
            return response
        if fault == "500":
            return _error(
                503, -1001, "Internal error; unable to process your request. Please try again."
            )
        if fault == "reject":
            return _error(400, -2010, "Account has insufficient balance for requested action.")
        return None

    async def _reply(self, fault: str | None, response: web.Response) -> web.Response:
        if fault == "timeout":
            await asyncio.sleep(self.book.timeout_s)  # processed, but the reply comes too late
        return response

    def _find(self, params: dict[str, str]) -> FakeOrder | None:
        if "origClientOrderId" in params:
            return self.book.by_coid.get(params["origClientOrderId"])
        wanted = int(params.get("orderId", "0"))
        return next((o for o in self.book.orders.values() if o.number == wanted), None)

    # --- endpoints ------------------------------------------------------------------------
    async def _exchange_info(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "timezone": "UTC",
                "serverTime": int(time.time() * 1000),
                "rateLimits": [],
                "exchangeFilters": [],
                "symbols": [_symbol_info(n, b, q) for n, (b, q) in SYMBOLS.items()],
            }
        )

    async def _submit(self, request: web.Request) -> web.Response:
        fault = self.book.take_fault("submit")
        refused = self._refusal(fault)
        if refused is not None:
            return refused
        p = request[_PARAMS]
        try:
            order = self.book.place(
                p["newClientOrderId"],
                p["symbol"],
                p["side"].lower(),
                float(p["quantity"]),
                p["type"].lower(),
                float(p["price"]) if "price" in p else None,
                p.get("timeInForce", "GTC"),
            )
        except DuplicateOrder:
            return _error(400, -2010, "Duplicate order sent.")
        body = order_json(order) | {"transactTime": _ms(order), "fills": []}
        return await self._reply(fault, web.json_response(body))

    async def _get(self, request: web.Request) -> web.Response:
        order = self._find(request[_PARAMS])
        if order is None:
            return _error(400, -2013, "Order does not exist.")
        return web.json_response(order_json(order))

    async def _cancel(self, request: web.Request) -> web.Response:
        order = self._find(request[_PARAMS])
        fault = self.book.take_fault("cancel")
        refused = self._refusal(fault)
        if refused is not None:
            return refused
        if fault == "fill_first" and order is not None and order.open:
            self.book.fill(order, order.qty - order.filled_qty, order.limit_price or 100.0)
        if order is None or not self.book.cancel(order):
            return _error(400, -2011, "Unknown order sent.")
        return await self._reply(fault, web.json_response(order_json(order)))

    async def _open_orders(self, request: web.Request) -> web.Response:
        symbol = request[_PARAMS].get("symbol")
        orders = [o for o in self.book.open_orders() if symbol in (None, o.symbol)]
        return web.json_response([order_json(o) for o in orders])

    async def _trades(self, request: web.Request) -> web.Response:
        symbol = request[_PARAMS].get("symbol")
        result = []
        for fill in self.book.fills:
            order = fill.order
            if order.symbol != symbol:
                continue
            base, quote = SYMBOLS[symbol]
            buyer = order.side == "buy"
            result.append(
                {
                    "symbol": symbol,
                    "id": fill.number,
                    "orderId": order.number,
                    "orderListId": -1,
                    "price": _s(fill.price),
                    "qty": _s(fill.qty),
                    "quoteQty": _s(fill.qty * fill.price),
                    # a buy pays commission in the base asset, a sell in the quote asset
                    "commission": _s(fill.fee / fill.price if buyer else fill.fee),
                    "commissionAsset": base if buyer else quote,
                    "time": int(fill.at.timestamp() * 1000),
                    "isBuyer": buyer,
                    "isMaker": order.type == "limit",
                    "isBestMatch": True,
                }
            )
        return web.json_response(result)

    async def _account(self, request: web.Request) -> web.Response:
        balances = [{"asset": "USDT", "free": _s(1_000_000.0), "locked": _s(0.0)}]
        for symbol, qty in self.book.positions.items():
            balances.append(
                {"asset": SYMBOLS[symbol][0], "free": _s(max(qty, 0.0)), "locked": _s(0.0)}
            )
        return web.json_response(
            {
                "makerCommission": 10,
                "takerCommission": 10,
                "buyerCommission": 0,
                "sellerCommission": 0,
                "canTrade": True,
                "canWithdraw": True,
                "canDeposit": True,
                "updateTime": int(time.time() * 1000),
                "accountType": "SPOT",
                "balances": balances,
                "permissions": ["SPOT"],
            }
        )
