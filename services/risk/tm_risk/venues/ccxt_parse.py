"""CCXT unified payloads (orders, trades, balances) → the adapter's normalized types.

CCXT normalizes an exchange's order to ``status`` open | closed | canceled | expired | rejected;
for Binance the raw status is kept in ``info.status`` and read first, so PENDING_CANCEL and
EXPIRED_IN_MATCH are not folded into something coarser.
"""

from __future__ import annotations

from typing import Any

from tm_risk.venues.adapter import Execution, OrderReport

BINANCE_STATUS = {
    "PENDING_NEW": "PENDING_NEW",
    "NEW": "ACCEPTED",
    "PARTIALLY_FILLED": "PARTIALLY_FILLED",
    "FILLED": "FILLED",
    "PENDING_CANCEL": "PENDING_CANCEL",
    "CANCELED": "CANCELLED",
    "REJECTED": "REJECTED",
    "EXPIRED": "EXPIRED",
    "EXPIRED_IN_MATCH": "EXPIRED",  # self-trade prevention expired it
}
UNIFIED_STATUS = {
    "open": "ACCEPTED",
    "closed": "FILLED",
    "canceled": "CANCELLED",
    "expired": "EXPIRED",
    "rejected": "REJECTED",
}
OPEN = frozenset({"PENDING_NEW", "ACCEPTED", "PARTIALLY_FILLED", "PENDING_CANCEL"})


def symbol(instrument_id: str) -> str:
    """CCXT's unified symbol of an instrument id: ``BTC-USDT`` and ``BTC/USDT`` are ``BTC/USDT``."""
    return instrument_id.replace("-", "/").upper()


def _num(value: Any) -> float:
    return 0.0 if value is None else float(value)


def status(order: dict[str, Any]) -> str:
    raw = (order.get("info") or {}).get("status")
    mapped = BINANCE_STATUS.get(str(raw)) or UNIFIED_STATUS.get(str(order.get("status")), "")
    if not mapped:
        raise ValueError(f"unknown order status {raw or order.get('status')!r}")
    if mapped == "ACCEPTED" and _num(order.get("filled")) > 0:
        return "PARTIALLY_FILLED"
    return mapped


def report(account_id: str, order: dict[str, Any]) -> OrderReport:
    mapped = status(order)
    filled = _num(order.get("filled"))
    remaining = _num(order.get("remaining")) if mapped in OPEN else 0.0
    return OrderReport(
        account_id,
        str(order.get("clientOrderId") or ""),
        mapped,
        filled,
        remaining,
        str(order["id"]),
    )


def execution(trade: dict[str, Any]) -> tuple[str, Execution]:
    """``(exchange order id, execution)`` of a unified trade, its fee in the quote currency.

    Binance charges a buy's commission in the base asset and a sell's in the quote; a fee in a
    third asset (BNB discount) cannot be valued here and raises rather than be booked as zero.
    """
    fee = trade.get("fee") or {}
    cost, currency = _num(fee.get("cost")), fee.get("currency")
    price = _num(trade["price"])
    base, _, quote = str(trade["symbol"]).partition("/")
    if cost and currency == base:
        cost *= price
    elif cost and currency != quote:
        raise ValueError(f"fee in {currency!r} cannot be valued in {quote!r}")
    return str(trade["order"]), Execution(
        str(trade["id"]), _num(trade["amount"]), price, cost, int(trade["timestamp"]) * 1_000_000
    )
