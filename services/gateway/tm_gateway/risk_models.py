"""HTTP bodies of the account, limit, order, fill, position and instrument routes (pydantic, the
OpenAPI source) and their proto conversions.

Money, prices and quantities travel as decimal strings both ways: inputs accept a JSON string or
number and are validated as finite decimals here; outputs are the risk service's strings
unchanged, so no value is ever rounded through a float.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from trademaster.api.risk.v1 import risk_pb2 as pb

Mode = Literal["PAPER", "LIVE"]
StateName = Literal["ACTIVE", "REDUCING", "HALTED"]
Side = Literal["BUY", "SELL"]
OrderTypeName = Literal["MARKET", "LIMIT"]
TifName = Literal["DAY", "GTC", "IOC", "FOK"]
OrderStatusName = Literal[
    "DENIED",
    "PENDING_NEW",
    "ACCEPTED",
    "PARTIALLY_FILLED",
    "FILLED",
    "PENDING_CANCEL",
    "CANCELLED",
    "REJECTED",
    "EXPIRED",
]
Unset = Literal[""]

Dec = Annotated[
    Decimal,
    Field(
        allow_inf_nan=False,
        max_digits=30,
        decimal_places=12,
        description="Decimal; a JSON string (exact) or number.",
    ),
]
PositiveDecimal = Annotated[Dec, Field(gt=0)]
Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:/*-]+$")]
Count = Annotated[int, Field(ge=0, le=2_000_000_000)]


def decimal_text(value: Decimal | None) -> str:
    """The proto form of an optional decimal: plain notation, empty for "not set"."""
    return "" if value is None else format(value.normalize(), "f")


def enum_name(enum: Any, value: int, prefix: str) -> str:
    """An enum value's name without its prefix; empty for the UNSPECIFIED value."""
    return "" if value == 0 else str(enum.Name(value)).removeprefix(prefix)


def enum_value(enum: Any, name: str, prefix: str) -> Any:
    """The number of ``prefix + name`` (typed Any: the stubs want each enum's own type)."""
    return enum.Value(prefix + name)


def time_of(message: Any, field: str) -> datetime | None:
    return getattr(message, field).ToDatetime(tzinfo=UTC) if message.HasField(field) else None


def difference(a: str, b: str) -> str:
    """``a - b`` of two decimal strings; empty when either is unknown."""
    if not a or not b:
        return ""
    return format((Decimal(a) - Decimal(b)).normalize(), "f")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- accounts ---------------------------------------------------------------------------------


class AccountCreate(Body):
    name: str = Field(min_length=1, max_length=100)
    mode: Mode = "PAPER"
    base_currency: str = Field(default="USD", min_length=1, max_length=16)
    broker: str = Field(default="paper", min_length=1, max_length=64)
    initial_cash: PositiveDecimal = Field(description="Starting cash of a paper account.")
    request_id: str = Field(
        default="", max_length=128, description="Idempotency key: a retry returns the first one."
    )


class AccountOut(BaseModel):
    id: str
    owner_id: str
    name: str
    mode: Mode | Unset
    base_currency: str
    broker: str
    initial_cash: str = Field(description="Decimal string.")
    cash: str = Field(description="Decimal string.")
    equity: str = Field(description="Cash plus positions at market; decimal string.")
    pnl: str = Field(description="equity - initial_cash; decimal string.")
    day_pnl: str = Field(description="equity - day_start_equity; decimal string.")
    realized_pnl: str = Field(description="Since creation, after fees; decimal string.")
    unrealized_pnl: str = Field(description="At the latest prices; decimal string.")
    day_start_equity: str
    high_water_mark: str = Field(description="Highest equity seen (drawdown breaker base).")
    trading_state: StateName | Unset
    created_at: datetime | None
    events_topic: str = Field(description="Topic of this account on WS /api/v1/events.")


class AccountList(BaseModel):
    accounts: list[AccountOut]
    next_page_token: str


def account_topic(account_id: str) -> str:
    """Event topic of one account (the risk service publishes its events there)."""
    return f"risk_account/{account_id}"


def account_out(a: pb.Account) -> AccountOut:
    return AccountOut(
        id=a.account_id,
        owner_id=a.owner_id,
        name=a.name,
        mode=enum_name(pb.AccountMode, a.mode, "ACCOUNT_MODE_"),  # type: ignore[arg-type]
        base_currency=a.base_currency,
        broker=a.broker,
        initial_cash=a.initial_cash,
        cash=a.cash,
        equity=a.equity,
        pnl=difference(a.equity, a.initial_cash),
        day_pnl=difference(a.equity, a.day_start_equity),
        realized_pnl=a.realized_pnl,
        unrealized_pnl=a.unrealized_pnl,
        day_start_equity=a.day_start_equity,
        high_water_mark=a.high_water_mark,
        trading_state=enum_name(pb.TradingState, a.trading_state, "TRADING_STATE_"),  # type: ignore[arg-type]
        created_at=time_of(a, "create_time"),
        events_topic=account_topic(a.account_id),
    )


# --- limits -----------------------------------------------------------------------------------

_DECIMAL_LIMITS = (
    "max_gross_exposure",
    "max_order_quantity",
    "max_daily_loss",
    "max_leverage",
    "max_order_notional",
    "max_net_exposure",
    "price_collar_bps",
    "max_orders_per_second",
    "max_deployment_orders_per_second",
    "max_drawdown",
)
_COUNT_LIMITS = (
    "max_reference_age_ms",
    "order_burst",
    "max_working_orders",
    "duplicate_window_ms",
    "max_consecutive_denials",
    "max_consecutive_losses",
    "breaker_cooldown_seconds",
)


class LimitsBody(Body):
    """The complete limits of an account; an omitted/null decimal or a 0 count means "none"
    (or the documented default)."""

    reason: str = Field(default="", max_length=500, description="Why; stored in the audit.")
    max_position: dict[Identifier, PositiveDecimal] = Field(
        default_factory=dict,
        description='Largest |position| (counting working orders) per instrument; "*" for others.',
    )
    max_gross_exposure: PositiveDecimal | None = None
    max_order_quantity: PositiveDecimal | None = None
    max_daily_loss: PositiveDecimal | None = None
    max_leverage: PositiveDecimal | None = Field(default=None, description="Null means 1.")
    max_order_notional: PositiveDecimal | None = None
    max_net_exposure: PositiveDecimal | None = None
    price_collar_bps: PositiveDecimal | None = None
    max_orders_per_second: PositiveDecimal | None = None
    max_deployment_orders_per_second: PositiveDecimal | None = None
    max_drawdown: PositiveDecimal | None = Field(default=None, description='Fraction, e.g. "0.1".')
    max_reference_age_ms: Count = Field(default=0, description="0 means 5000.")
    order_burst: Count = 0
    max_working_orders: Count = 0
    duplicate_window_ms: Count = Field(default=0, description="0 disables the check.")
    max_consecutive_denials: Count = 0
    max_consecutive_losses: Count = 0
    breaker_cooldown_seconds: Count = 0
    allowed_instruments: list[Identifier] = Field(
        default_factory=list, max_length=10_000, description="Empty allows every instrument."
    )


class LimitsOut(BaseModel):
    max_position: dict[str, str]
    max_gross_exposure: str
    max_order_quantity: str
    max_daily_loss: str
    max_leverage: str
    max_order_notional: str
    max_net_exposure: str
    price_collar_bps: str
    max_orders_per_second: str
    max_deployment_orders_per_second: str
    max_drawdown: str
    max_reference_age_ms: int
    order_burst: int
    max_working_orders: int
    duplicate_window_ms: int
    max_consecutive_denials: int
    max_consecutive_losses: int
    breaker_cooldown_seconds: int
    allowed_instruments: list[str]
    version: int
    updated_by: str
    updated_at: datetime | None


def limits_message(body: LimitsBody) -> pb.RiskLimits:
    limits = pb.RiskLimits(
        max_position={k: decimal_text(v) for k, v in body.max_position.items()},
        allowed_instruments=body.allowed_instruments,
    )
    for name in _DECIMAL_LIMITS:
        setattr(limits, name, decimal_text(getattr(body, name)))
    for name in _COUNT_LIMITS:
        setattr(limits, name, getattr(body, name))
    return limits


def limits_out(limits: pb.RiskLimits) -> LimitsOut:
    values: dict[str, Any] = {n: getattr(limits, n) for n in _DECIMAL_LIMITS + _COUNT_LIMITS}
    return LimitsOut(
        max_position=dict(limits.max_position),
        allowed_instruments=list(limits.allowed_instruments),
        version=limits.version,
        updated_by=limits.updated_by,
        updated_at=time_of(limits, "update_time"),
        **values,
    )


# --- instruments ------------------------------------------------------------------------------


class InstrumentBody(Body):
    tick_size: PositiveDecimal = Field(description="Limit prices must be multiples.")
    lot_size: PositiveDecimal = Field(description="Quantities must be multiples.")
    min_quantity: PositiveDecimal | None = Field(default=None, description="Null means lot_size.")
    max_quantity: PositiveDecimal | None = None
    min_notional: PositiveDecimal | None = None
    disabled: bool = Field(default=False, description="Kept but refusing every order.")


class InstrumentOut(BaseModel):
    instrument_id: str
    tick_size: str
    lot_size: str
    min_quantity: str
    max_quantity: str
    min_notional: str
    disabled: bool
    updated_at: datetime | None


class InstrumentList(BaseModel):
    instruments: list[InstrumentOut]
    next_page_token: str


def instrument_message(instrument_id: str, body: InstrumentBody) -> pb.Instrument:
    return pb.Instrument(
        instrument_id=instrument_id,
        tick_size=decimal_text(body.tick_size),
        lot_size=decimal_text(body.lot_size),
        min_quantity=decimal_text(body.min_quantity),
        max_quantity=decimal_text(body.max_quantity),
        min_notional=decimal_text(body.min_notional),
        disabled=body.disabled,
    )


def instrument_out(i: pb.Instrument) -> InstrumentOut:
    return InstrumentOut(
        instrument_id=i.instrument_id,
        tick_size=i.tick_size,
        lot_size=i.lot_size,
        min_quantity=i.min_quantity,
        max_quantity=i.max_quantity,
        min_notional=i.min_notional,
        disabled=i.disabled,
        updated_at=time_of(i, "update_time"),
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
