"""Alpaca payloads → the adapter's normalized types (pure functions, tested on documented shapes).

Alpaca reports an order's lifecycle as ``OrderStatus`` (REST) and ``TradeEvent`` (the
``trade_updates`` stream). Every status maps to one of ours; the mapping is a table so a status
Alpaca adds later fails the test that walks the SDK's enum instead of passing silently.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from alpaca.common.exceptions import APIError
from alpaca.trading.enums import OrderStatus, TradeEvent
from alpaca.trading.models import Order, TradeUpdate

from tm_risk.venues.adapter import (
    Certainty,
    EventKind,
    Execution,
    OrderReport,
    Outcome,
    VenueEvent,
)

_LOGGER = logging.getLogger(__name__)

REPLACE_MARK = ".r"
"""A replaced order gets ``<our id>.r<n>``: Alpaca wants a fresh client_order_id per replacement
and the suffix lets any process (also after a restart) find our id again."""

WORKING = "working"
"""Statuses whose name on our side depends on the filled quantity (ACCEPTED / PARTIALLY_FILLED)."""

STATUS: dict[OrderStatus, str] = {
    OrderStatus.PENDING_NEW: "PENDING_NEW",
    OrderStatus.PENDING_REVIEW: "PENDING_NEW",  # under review, not yet routed
    OrderStatus.NEW: WORKING,
    OrderStatus.ACCEPTED: WORKING,
    OrderStatus.ACCEPTED_FOR_BIDDING: WORKING,
    OrderStatus.HELD: WORKING,  # waiting for a trigger, still working
    OrderStatus.STOPPED: WORKING,  # execution guaranteed, not yet filled
    OrderStatus.SUSPENDED: WORKING,  # open but not eligible for trading now
    OrderStatus.PENDING_REPLACE: WORKING,
    OrderStatus.DONE_FOR_DAY: WORKING,  # no more fills today; a GTC order trades tomorrow
    OrderStatus.CALCULATED: WORKING,  # done for the day, settlement pending; FILLED if complete
    OrderStatus.PARTIALLY_FILLED: WORKING,
    OrderStatus.FILLED: "FILLED",
    OrderStatus.PENDING_CANCEL: "PENDING_CANCEL",
    OrderStatus.CANCELED: "CANCELLED",
    OrderStatus.REPLACED: "REPLACED",  # superseded by the replacing order (same our id)
    OrderStatus.EXPIRED: "EXPIRED",
    OrderStatus.REJECTED: "REJECTED",
}

OPEN = frozenset({"PENDING_NEW", "ACCEPTED", "PARTIALLY_FILLED", "PENDING_CANCEL"})

EVENTS: dict[str, EventKind | None] = {
    TradeEvent.NEW: EventKind.ACCEPTED,
    TradeEvent.ACCEPTED: EventKind.ACCEPTED,
    TradeEvent.FILL: EventKind.FILLED,
    TradeEvent.PARTIAL_FILL: EventKind.FILLED,
    TradeEvent.CANCELED: EventKind.CANCELLED,
    TradeEvent.EXPIRED: EventKind.EXPIRED,
    TradeEvent.REJECTED: EventKind.REJECTED,
    # no state change of ours: the order stays what it was until a later event or report
    TradeEvent.PENDING_NEW: None,
    TradeEvent.PENDING_CANCEL: None,
    TradeEvent.PENDING_REPLACE: None,
    TradeEvent.REPLACED: None,
    TradeEvent.RESTATED: None,
    "done_for_day": None,
    "calculated": None,
    "suspended": None,
    "order_replace_rejected": None,
    "order_cancel_rejected": None,
    "stopped": None,
    "held": None,
}


def our_id(client_order_id: str) -> str:
    """Our client_order_id of an Alpaca order (strips the replacement suffix)."""
    head, mark, tail = client_order_id.rpartition(REPLACE_MARK)
    return head if mark and tail.isdigit() else client_order_id


def replacement_id(client_order_id: str) -> str:
    """The client_order_id for the next replacement of an Alpaca order."""
    head, mark, tail = client_order_id.rpartition(REPLACE_MARK)
    if mark and tail.isdigit():
        return f"{head}{REPLACE_MARK}{int(tail) + 1}"
    return f"{client_order_id}{REPLACE_MARK}1"


def _num(value: object) -> float:
    return 0.0 if value in (None, "") else float(str(value))


def status(order: Order) -> str:
    """Our status name of an Alpaca order."""
    mapped = STATUS[OrderStatus(order.status)]
    if mapped != WORKING:
        return mapped
    filled, quantity = _num(order.filled_qty), _num(order.qty)
    if order.status == OrderStatus.CALCULATED and quantity and filled >= quantity:
        return "FILLED"
    return "PARTIALLY_FILLED" if filled > 0 else "ACCEPTED"


def report(account_id: str, order: Order) -> OrderReport:
    filled = _num(order.filled_qty)
    mapped = status(order)
    open_quantity = max(_num(order.qty) - filled, 0.0) if mapped in OPEN else 0.0
    return OrderReport(
        account_id, our_id(order.client_order_id), mapped, filled, open_quantity, str(order.id)
    )


def _ns(at: datetime) -> int:
    return int(at.timestamp() * 1e9)


def event(account_id: str, update: TradeUpdate) -> VenueEvent | None:
    """The normalized event of one ``trade_updates`` message; None when ours does not change."""
    kind = EVENTS.get(
        str(update.event.value if isinstance(update.event, TradeEvent) else update.event)
    )
    if kind is None:
        return None
    order = update.order
    execution = None
    if kind is EventKind.FILLED:
        if update.execution_id is None or update.qty is None or update.price is None:
            return None  # a fill without its execution cannot be booked; reports catch it up
        # Alpaca charges no commission on stock trades; regulatory fees arrive as activities.
        execution = Execution(
            str(update.execution_id),
            float(update.qty),
            float(update.price),
            0.0,
            _ns(update.timestamp),
        )
    reason = f"alpaca: {update.event}" if kind in (EventKind.REJECTED, EventKind.EXPIRED) else ""
    return VenueEvent(
        kind, account_id, our_id(order.client_order_id), str(order.id), execution, reason
    )


def fill_activity(activity: dict[str, object]) -> tuple[str, Execution]:
    """A ``FILL`` account activity as ``(broker_order_id, execution)``.

    The activity id is ``<transaction time>::<execution id>``; its execution id part is what the
    stream reports as ``execution_id``, so a fill seen both ways is booked once.
    """
    raw_id = str(activity["id"])
    execution_id = raw_id.split("::", 1)[1] if "::" in raw_id else raw_id
    at = datetime.fromisoformat(str(activity["transaction_time"]).replace("Z", "+00:00"))
    return str(activity["order_id"]), Execution(
        execution_id, _num(activity["qty"]), _num(activity["price"]), 0.0, _ns(at)
    )


def position(item: dict[str, object]) -> tuple[str, float]:
    """``(symbol, signed quantity)`` of one ``/v2/positions`` entry."""
    quantity = _num(item["qty"])
    if item.get("side") == "short" and quantity > 0:
        quantity = -quantity
    return str(item["symbol"]), quantity


def error_code(text: str) -> tuple[int, str]:
    """``(code, message)`` of an Alpaca error body; (0, text) when it is not Alpaca's JSON."""
    try:
        body = json.loads(text)
        return int(body.get("code", 0)), str(body.get("message", text))
    except (ValueError, TypeError, AttributeError):
        return 0, text[:200]


def http_status(error: Exception) -> int | None:
    return error.status_code if isinstance(error, APIError) else None


def classify(error: Exception, what: str, *, ambiguous_4xx: bool = False) -> Outcome:
    """Definitive only when the venue said no; everything else stays in flight."""
    status = http_status(error)
    if isinstance(error, APIError) and status is not None and status < 500 and not ambiguous_4xx:
        reason = error_code(str(error))[1]
        if status == 429:
            reason = f"rate limited by the venue (HTTP 429): {reason}"
        return Outcome(False, Certainty.DEFINITIVE, reason=reason)
    detail = f"HTTP {status}" if status is not None else type(error).__name__
    if ambiguous_4xx and status is not None and status < 500:
        detail = f"HTTP {status}: {error_code(str(error))[1]}"
    _LOGGER.warning("alpaca.%s_ambiguous detail=%s", what, detail)
    return Outcome(False, Certainty.AMBIGUOUS, reason=f"{what}: {detail}")
