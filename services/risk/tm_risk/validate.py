"""Edge validation of risk requests: decimal strings, enums and ids, INVALID_ARGUMENT by field."""

from __future__ import annotations

import math
import uuid
from decimal import Decimal, InvalidOperation

from google.protobuf import json_format
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.risk.model import (
    BUY,
    DEFAULT_REFERENCE_AGE_NS,
    INF,
    SELL,
    InstrumentRules,
    Limits,
    OrderIntent,
)
from trademaster.service.errors import InvalidArgument
from trademaster.service.ids import parse_uuid

MAX_ID_LENGTH = 64
SIDES = {pb.ORDER_SIDE_BUY: "BUY", pb.ORDER_SIDE_SELL: "SELL"}
TYPES = {pb.ORDER_TYPE_MARKET: "MARKET", pb.ORDER_TYPE_LIMIT: "LIMIT"}
TIFS = {
    pb.TIME_IN_FORCE_UNSPECIFIED: "DAY",
    pb.TIME_IN_FORCE_DAY: "DAY",
    pb.TIME_IN_FORCE_GTC: "GTC",
    pb.TIME_IN_FORCE_IOC: "IOC",
    pb.TIME_IN_FORCE_FOK: "FOK",
}
SCOPES = {
    pb.SCOPE_GLOBAL: "GLOBAL",
    pb.SCOPE_ACCOUNT: "ACCOUNT",
    pb.SCOPE_DEPLOYMENT: "DEPLOYMENT",
    pb.SCOPE_INSTRUMENT: "INSTRUMENT",
}


def bad(field: str, message: str, reason: str = "INVALID_ARGUMENT") -> InvalidArgument:
    return InvalidArgument(f"{field} {message}", [(field, message)], reason=reason)


def decimal(
    text: str, field: str, *, required: bool = False, positive: bool = False
) -> Decimal | None:
    """A finite decimal string (>= 0; > 0 with ``positive``); None when empty and optional."""
    if not text:
        if required:
            raise bad(field, "is required")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise bad(field, f"must be a decimal string, was {text!r}") from None
    if not value.is_finite():
        raise bad(field, f"must be finite, was {text!r}")
    if value < 0 or (positive and value == 0):
        raise bad(field, f"must be {'> 0' if positive else '>= 0'}, was {text!r}")
    return value


def identifier(text: str, field: str) -> str:
    """A non-empty printable id without surrounding spaces, at most 64 characters."""
    if not text:
        raise bad(field, "is required")
    if len(text) > MAX_ID_LENGTH or text.strip() != text or not text.isprintable():
        raise bad(
            field,
            f"must be 1-{MAX_ID_LENGTH} printable characters without surrounding "
            f"spaces, was {text!r}",
        )
    return text


def request_id(text: str, field: str = "request_id") -> str:
    """A required idempotency key: 1-128 printable characters."""
    if not text:
        raise bad(field, "is required")
    if len(text) > 128 or not text.isprintable():
        raise bad(field, f"must be 1-128 printable characters, was {len(text)} characters")
    return text


def account_id(text: str, field: str = "account_id") -> uuid.UUID:
    if not text:
        raise bad(field, "is required")
    return parse_uuid(text, field)


def scope(value: int, scope_id: str, field: str = "scope") -> tuple[str, str]:
    """``(scope name, scope id)``; the id is checked per scope (UUID for accounts)."""
    name = SCOPES.get(value)  # type: ignore[call-overload]
    if name is None:
        raise bad(field, f"must be one of {sorted(SCOPES.values())}, was {value}")
    if name == "GLOBAL":
        if scope_id:
            raise bad("scope_id", f"must be empty for SCOPE_GLOBAL, was {scope_id!r}")
        return name, ""
    if name == "ACCOUNT":
        return name, str(account_id(scope_id, "scope_id"))
    return name, identifier(scope_id, "scope_id")


def order(order: pb.Order) -> tuple[OrderIntent, dict[str, object]]:
    """The engine's intent and the normalized stored fields of an order request."""
    coid = identifier(order.client_order_id, "order.client_order_id")
    identifier(order.instrument_id, "order.instrument_id")
    side = SIDES.get(order.side)  # type: ignore[call-overload]
    if side is None:
        raise bad("order.side", f"must be ORDER_SIDE_BUY or ORDER_SIDE_SELL, was {order.side}")
    kind = TYPES.get(order.order_type)  # type: ignore[call-overload]
    if kind is None:
        raise bad(
            "order.order_type",
            f"must be ORDER_TYPE_MARKET or ORDER_TYPE_LIMIT, was {order.order_type}",
        )
    tif = TIFS.get(order.time_in_force)  # type: ignore[call-overload]
    if tif is None:
        raise bad("order.time_in_force", f"is not a known time in force: {order.time_in_force}")
    quantity = decimal(order.quantity, "order.quantity", required=True, positive=True)
    assert quantity is not None
    limit = decimal(order.limit_price, "order.limit_price", positive=True)
    if kind == "LIMIT" and limit is None:
        raise bad("order.limit_price", "is required for ORDER_TYPE_LIMIT")
    if kind == "MARKET" and limit is not None:
        raise bad("order.limit_price", "must be empty for ORDER_TYPE_MARKET")
    if kind == "MARKET" and tif == "GTC":
        raise bad("order.time_in_force", "GTC is not accepted for market orders")
    if order.deployment_id:
        identifier(order.deployment_id, "order.deployment_id")
    if len(order.model_version) > 128:
        raise bad("order.model_version", "must be at most 128 characters")
    intent = OrderIntent(
        coid,
        order.instrument_id,
        BUY if side == "BUY" else SELL,
        float(quantity),
        None if limit is None else float(limit),
        order.reduce_only,
        order.deployment_id,
    )
    fields: dict[str, object] = {
        "client_order_id": coid,
        "instrument_id": order.instrument_id,
        "side": side,
        "order_type": kind,
        "quantity": quantity,
        "limit_price": limit,
        "time_in_force": tif,
        "reduce_only": order.reduce_only,
        "deployment_id": order.deployment_id,
        "model_version": order.model_version,
    }
    return intent, fields


def _float(text: str, field: str, default: float = INF) -> float:
    value = decimal(text, field)
    return default if value is None else float(value)


def limits(msg: pb.RiskLimits, version: int) -> tuple[dict[str, object], Limits]:
    """The stored JSON body and the engine's ``Limits`` of a SetLimits request."""
    caps = {}
    for iid, text in msg.max_position.items():
        identifier(iid, "limits.max_position")
        caps[iid] = _float(text, f"limits.max_position[{iid}]")
    for name in (
        "order_burst",
        "max_working_orders",
        "max_consecutive_denials",
        "max_consecutive_losses",
        "breaker_cooldown_seconds",
    ):
        if getattr(msg, name) < 0:
            raise bad(f"limits.{name}", f"must be >= 0, was {getattr(msg, name)}")
    for name in ("max_reference_age_ms", "duplicate_window_ms"):
        if getattr(msg, name) < 0:
            raise bad(f"limits.{name}", f"must be >= 0, was {getattr(msg, name)}")
    leverage = decimal(msg.max_leverage, "limits.max_leverage", positive=True)
    drawdown = _float(msg.max_drawdown, "limits.max_drawdown")
    if math.isfinite(drawdown) and drawdown >= 1:
        raise bad("limits.max_drawdown", f"must be a fraction < 1, was {msg.max_drawdown!r}")
    rate = _float(msg.max_orders_per_second, "limits.max_orders_per_second")
    dep_rate = _float(
        msg.max_deployment_orders_per_second, "limits.max_deployment_orders_per_second"
    )
    for name, value in (
        ("max_orders_per_second", rate),
        ("max_deployment_orders_per_second", dep_rate),
    ):
        if value == 0:
            raise bad(f"limits.{name}", "must be > 0 (empty means no limit)")
    for iid in msg.allowed_instruments:
        identifier(iid, "limits.allowed_instruments")
    engine = Limits(
        max_position=caps,
        max_gross_exposure=_float(msg.max_gross_exposure, "limits.max_gross_exposure"),
        max_net_exposure=_float(msg.max_net_exposure, "limits.max_net_exposure"),
        max_order_quantity=_float(msg.max_order_quantity, "limits.max_order_quantity"),
        max_order_notional=_float(msg.max_order_notional, "limits.max_order_notional"),
        max_leverage=None if leverage is None else float(leverage),
        allowed_instruments=frozenset(msg.allowed_instruments),
        price_collar_bps=_float(msg.price_collar_bps, "limits.price_collar_bps"),
        max_reference_age_ns=(msg.max_reference_age_ms * 1_000_000) or DEFAULT_REFERENCE_AGE_NS,
        max_orders_per_second=rate,
        order_burst=msg.order_burst,
        max_deployment_orders_per_second=dep_rate,
        max_working_orders=msg.max_working_orders,
        duplicate_window_ns=msg.duplicate_window_ms * 1_000_000,
        max_daily_loss=_float(msg.max_daily_loss, "limits.max_daily_loss"),
        max_drawdown=drawdown,
        max_consecutive_denials=msg.max_consecutive_denials,
        max_consecutive_losses=msg.max_consecutive_losses,
        breaker_cooldown_s=msg.breaker_cooldown_seconds,
        version=version,
    )
    body = json_format.MessageToDict(msg, preserving_proto_field_name=True)
    for key in ("update_time", "version", "updated_by"):
        body.pop(key, None)
    return body, engine


def instrument(msg: pb.Instrument) -> InstrumentRules:
    iid = identifier(msg.instrument_id, "instrument.instrument_id")
    tick = decimal(msg.tick_size, "instrument.tick_size", required=True, positive=True)
    lot = decimal(msg.lot_size, "instrument.lot_size", required=True, positive=True)
    assert tick is not None and lot is not None
    max_qty = decimal(msg.max_quantity, "instrument.max_quantity", positive=True)
    return InstrumentRules(
        iid,
        float(tick),
        float(lot),
        min_quantity=float(decimal(msg.min_quantity, "instrument.min_quantity") or 0),
        max_quantity=INF if max_qty is None else float(max_qty),
        min_notional=float(decimal(msg.min_notional, "instrument.min_notional") or 0),
        enabled=not msg.disabled,
    )
