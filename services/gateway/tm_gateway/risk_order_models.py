"""HTTP bodies of the order, fill and position routes and their proto conversions (decimal
strings kept exact, enums as names without prefix)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from trademaster.api.risk.v1 import risk_pb2 as pb

from tm_gateway.convert import enum_name, enum_value, time_of
from tm_gateway.risk_models import (
    Body,
    Identifier,
    OrderStatusName,
    OrderTypeName,
    PositiveDecimal,
    Side,
    TifName,
    Unset,
    decimal_text,
)

# --- orders, fills, positions -----------------------------------------------------------------


class OrderCreate(Body):
    client_order_id: Identifier = Field(
        description="Your id for the order, unique per account; a retry returns the first one."
    )
    instrument_id: Identifier
    side: Side
    order_type: OrderTypeName = "MARKET"
    quantity: PositiveDecimal
    limit_price: PositiveDecimal | None = Field(default=None, description="Required for LIMIT.")
    time_in_force: TifName = "DAY"
    reduce_only: bool = Field(
        default=False, description="May only shrink the position; the only orders HALTED allows."
    )


class OrderModify(Body):
    request_id: str = Field(
        min_length=1,
        max_length=128,
        description="Your id for this modification, unique per account; a retry returns the "
        "first result.",
    )
    quantity: PositiveDecimal | None = Field(
        default=None, description="New total quantity (filled part included); null keeps it."
    )
    limit_price: PositiveDecimal | None = Field(
        default=None, description="New limit price of a LIMIT order; null keeps it."
    )


class OrderOut(BaseModel):
    client_order_id: str
    account_id: str
    instrument_id: str
    side: Side | Unset
    order_type: OrderTypeName | Unset
    quantity: str
    limit_price: str
    time_in_force: TifName | Unset
    reduce_only: bool
    status: OrderStatusName | Unset
    status_reason: str
    filled_quantity: str
    average_fill_price: str
    decision_id: str
    broker_order_id: str
    deployment_id: str
    model_version: str
    created_at: datetime | None
    updated_at: datetime | None


class OrderList(BaseModel):
    orders: list[OrderOut]
    next_page_token: str


class FillOut(BaseModel):
    fill_id: str
    account_id: str
    client_order_id: str
    instrument_id: str
    side: Side | Unset
    quantity: str
    price: str = Field(description="Including slippage; decimal string.")
    fee: str
    broker_fill_id: str
    time: datetime | None


class FillList(BaseModel):
    fills: list[FillOut]
    next_page_token: str


class PositionOut(BaseModel):
    account_id: str
    instrument_id: str
    quantity: str = Field(description="Signed, negative for short; decimal string.")
    average_price: str
    market_price: str = Field(description="Empty when no price was seen yet.")
    market_value: str
    unrealized_pnl: str
    realized_pnl: str
    working_buy_quantity: str
    working_sell_quantity: str
    updated_at: datetime | None


class PositionList(BaseModel):
    positions: list[PositionOut]
    next_page_token: str


def order_message(account_id: str, body: OrderCreate) -> pb.Order:
    return pb.Order(
        client_order_id=body.client_order_id,
        account_id=account_id,
        instrument_id=body.instrument_id,
        side=enum_value(pb.OrderSide, body.side, "ORDER_SIDE_"),
        order_type=enum_value(pb.OrderType, body.order_type, "ORDER_TYPE_"),
        quantity=decimal_text(body.quantity),
        limit_price=decimal_text(body.limit_price),
        time_in_force=enum_value(pb.TimeInForce, body.time_in_force, "TIME_IN_FORCE_"),
        reduce_only=body.reduce_only,
    )


def modify_message(
    account_id: str, client_order_id: str, body: OrderModify
) -> pb.ModifyOrderRequest:
    return pb.ModifyOrderRequest(
        account_id=account_id,
        client_order_id=client_order_id,
        quantity=decimal_text(body.quantity),
        limit_price=decimal_text(body.limit_price),
        request_id=body.request_id,
    )


def order_out(o: pb.Order) -> OrderOut:
    return OrderOut(
        client_order_id=o.client_order_id,
        account_id=o.account_id,
        instrument_id=o.instrument_id,
        side=enum_name(pb.OrderSide, o.side, "ORDER_SIDE_"),  # type: ignore[arg-type]
        order_type=enum_name(pb.OrderType, o.order_type, "ORDER_TYPE_"),  # type: ignore[arg-type]
        quantity=o.quantity,
        limit_price=o.limit_price,
        time_in_force=enum_name(pb.TimeInForce, o.time_in_force, "TIME_IN_FORCE_"),  # type: ignore[arg-type]
        reduce_only=o.reduce_only,
        status=enum_name(pb.OrderStatus, o.status, "ORDER_STATUS_"),  # type: ignore[arg-type]
        status_reason=o.status_reason,
        filled_quantity=o.filled_quantity,
        average_fill_price=o.average_fill_price,
        decision_id=o.decision_id,
        broker_order_id=o.broker_order_id,
        deployment_id=o.deployment_id,
        model_version=o.model_version,
        created_at=time_of(o, "create_time"),
        updated_at=time_of(o, "update_time"),
    )


def fill_out(f: pb.Fill) -> FillOut:
    return FillOut(
        fill_id=f.fill_id,
        account_id=f.account_id,
        client_order_id=f.client_order_id,
        instrument_id=f.instrument_id,
        side=enum_name(pb.OrderSide, f.side, "ORDER_SIDE_"),  # type: ignore[arg-type]
        quantity=f.quantity,
        price=f.price,
        fee=f.fee,
        broker_fill_id=f.broker_fill_id,
        time=time_of(f, "fill_time"),
    )


def position_out(p: pb.Position) -> PositionOut:
    return PositionOut(
        account_id=p.account_id,
        instrument_id=p.instrument_id,
        quantity=p.quantity,
        average_price=p.average_price,
        market_price=p.market_price,
        market_value=p.market_value,
        unrealized_pnl=p.unrealized_pnl,
        realized_pnl=p.realized_pnl,
        working_buy_quantity=p.working_buy_quantity,
        working_sell_quantity=p.working_sell_quantity,
        updated_at=time_of(p, "update_time"),
    )
