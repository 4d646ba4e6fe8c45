"""HTTP bodies of the risk routes (pydantic, the OpenAPI source) and their proto conversions.

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
DecisionName = Literal["ALLOW", "DENY"]
WORKING_STATUSES: tuple[OrderStatusName, ...] = (
    "PENDING_NEW",
    "ACCEPTED",
    "PARTIALLY_FILLED",
    "PENDING_CANCEL",
)

PositiveDecimal = Annotated[
    Decimal,
    Field(
        gt=0,
        allow_inf_nan=False,
        max_digits=30,
        decimal_places=12,
        description="Decimal > 0; a JSON string (exact) or number.",
    ),
]
Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:/-]+$")]


def decimal_text(value: Decimal | None) -> str:
    """The proto form of an optional decimal: plain notation, empty for "not set"."""
    return "" if value is None else format(value.normalize(), "f")


def enum_name(enum: Any, value: int, prefix: str) -> str:
    """An enum value's name without its prefix; empty for the UNSPECIFIED value."""
    return "" if value == 0 else str(enum.Name(value)).removeprefix(prefix)


def enum_value(enum: Any, name: str, prefix: str) -> int:
    return int(enum.Value(prefix + name))


def _time(message: Any, field: str) -> datetime | None:
    return getattr(message, field).ToDatetime(tzinfo=UTC) if message.HasField(field) else None


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- accounts ---------------------------------------------------------------------------------


class AccountCreate(_Body):
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
    mode: Mode | Literal[""]
    base_currency: str
    broker: str
    initial_cash: str = Field(description="Decimal string.")
    cash: str = Field(description="Decimal string.")
    equity: str = Field(description="Cash plus positions at market; decimal string.")
    pnl: str = Field(description="equity - initial_cash; decimal string, empty if unknown.")
    trading_state: StateName | Literal[""]
    created_at: datetime | None
    events_topic: str = Field(description="Topic of this account on WS /api/v1/events.")


class AccountList(BaseModel):
    accounts: list[AccountOut]
    next_page_token: str


def account_topic(account_id: str) -> str:
    """Event topic of one account (the risk service publishes its events there)."""
    return f"risk_account/{account_id}"


def _pnl(equity: str, initial: str) -> str:
    if not equity or not initial:
        return ""
    return format((Decimal(equity) - Decimal(initial)).normalize(), "f")


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
        pnl=_pnl(a.equity, a.initial_cash),
        trading_state=enum_name(pb.TradingState, a.trading_state, "TRADING_STATE_"),  # type: ignore[arg-type]
        created_at=_time(a, "create_time"),
        events_topic=account_topic(a.account_id),
    )


# --- limits -----------------------------------------------------------------------------------


class LimitsBody(_Body):
    """The complete limits of an account; an omitted or null limit means "no limit"."""

    max_position: dict[str, PositiveDecimal] = Field(
        default_factory=dict,
        description='Largest absolute position per instrument; "*" for all others.',
    )
    max_notional: PositiveDecimal | None = None
    max_order_quantity: PositiveDecimal | None = None
    max_daily_loss: PositiveDecimal | None = None
    max_leverage: PositiveDecimal | None = None
    allowed_instruments: list[Identifier] = Field(
        default_factory=list, max_length=10_000, description="Empty allows every instrument."
    )


class LimitsOut(BaseModel):
    max_position: dict[str, str]
    max_notional: str
    max_order_quantity: str
    max_daily_loss: str
    max_leverage: str
    allowed_instruments: list[str]
    updated_at: datetime | None


def limits_message(body: LimitsBody) -> pb.RiskLimits:
    return pb.RiskLimits(
        max_position={k: decimal_text(v) for k, v in body.max_position.items()},
        max_notional=decimal_text(body.max_notional),
        max_order_quantity=decimal_text(body.max_order_quantity),
        max_daily_loss=decimal_text(body.max_daily_loss),
        max_leverage=decimal_text(body.max_leverage),
        allowed_instruments=body.allowed_instruments,
    )


def limits_out(limits: pb.RiskLimits) -> LimitsOut:
    return LimitsOut(
        max_position=dict(limits.max_position),
        max_notional=limits.max_notional,
        max_order_quantity=limits.max_order_quantity,
        max_daily_loss=limits.max_daily_loss,
        max_leverage=limits.max_leverage,
        allowed_instruments=list(limits.allowed_instruments),
        updated_at=_time(limits, "update_time"),
    )


# --- orders, fills, positions -----------------------------------------------------------------


class OrderCreate(_Body):
    client_order_id: Identifier = Field(
        description="Your id for the order, unique per account; a retry returns the first one."
    )
    instrument_id: Identifier
    side: Side
    order_type: OrderTypeName = "MARKET"
    quantity: PositiveDecimal
    limit_price: PositiveDecimal | None = Field(default=None, description="Required for LIMIT.")
    time_in_force: TifName = "DAY"


class OrderOut(BaseModel):
    client_order_id: str
    account_id: str
    instrument_id: str
    side: Side | Literal[""]
    order_type: OrderTypeName | Literal[""]
    quantity: str
    limit_price: str
    time_in_force: TifName | Literal[""]
    status: OrderStatusName | Literal[""]
    filled_quantity: str
    average_fill_price: str
    decision_id: str
    broker_order_id: str
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
    side: Side | Literal[""]
    quantity: str
    price: str
    fee: str
    time: datetime | None


class FillList(BaseModel):
    fills: list[FillOut]
    next_page_token: str


class PositionOut(BaseModel):
    account_id: str
    instrument_id: str
    quantity: str = Field(description="Signed, negative for short; decimal string.")
    average_price: str
    market_price: str
    market_value: str
    unrealized_pnl: str
    realized_pnl: str
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
        status=enum_name(pb.OrderStatus, o.status, "ORDER_STATUS_"),  # type: ignore[arg-type]
        filled_quantity=o.filled_quantity,
        average_fill_price=o.average_fill_price,
        decision_id=o.decision_id,
        broker_order_id=o.broker_order_id,
        created_at=_time(o, "create_time"),
        updated_at=_time(o, "update_time"),
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
        time=_time(f, "fill_time"),
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
        updated_at=_time(p, "update_time"),
    )


# --- decisions --------------------------------------------------------------------------------


class ViolationOut(BaseModel):
    reason: str = Field(examples=["MAX_POSITION_EXCEEDED"])
    message: str = Field(description="Names the value and the limit that decided.")


class DecisionOut(BaseModel):
    decision_id: str
    decision: DecisionName | Literal[""]
    violations: list[ViolationOut]
    trading_state: StateName | Literal[""]
    decided_at: datetime | None
    order: OrderOut | None
    dry_run: bool


class DecisionList(BaseModel):
    decisions: list[DecisionOut]
    next_page_token: str


class OrderResult(BaseModel):
    """A submitted order and its decision; a denial is data (the order is DENIED), not an
    error."""

    decision: DecisionOut
    order: OrderOut | None


def decision_out(d: pb.OrderDecision) -> DecisionOut:
    return DecisionOut(
        decision_id=d.decision_id,
        decision=enum_name(pb.Decision, d.decision, "DECISION_"),  # type: ignore[arg-type]
        violations=[ViolationOut(reason=v.reason, message=v.message) for v in d.violations],
        trading_state=enum_name(pb.TradingState, d.trading_state, "TRADING_STATE_"),  # type: ignore[arg-type]
        decided_at=_time(d, "decide_time"),
        order=order_out(d.order) if d.HasField("order") else None,
        dry_run=d.dry_run,
    )


# --- trading state and kill switch ------------------------------------------------------------


class TradingStateBody(_Body):
    trading_state: StateName
    reason: str = Field(default="", max_length=500, description="Required for REDUCING and HALTED.")


class TradingStateOut(BaseModel):
    account_id: str
    trading_state: StateName | Literal[""]
    reason: str
    updated_by: str
    updated_at: datetime | None


def state_out(s: pb.AccountTradingState) -> TradingStateOut:
    return TradingStateOut(
        account_id=s.account_id,
        trading_state=enum_name(pb.TradingState, s.trading_state, "TRADING_STATE_"),  # type: ignore[arg-type]
        reason=s.reason,
        updated_by=s.updated_by,
        updated_at=_time(s, "update_time"),
    )


class KillSwitchBody(_Body):
    """Exactly one scope: ``account_id`` or ``all_accounts``."""

    account_id: str | None = Field(default=None, min_length=1, max_length=128)
    all_accounts: bool = False
    reason: str = Field(min_length=1, max_length=500)
    cancel_open_orders: bool = Field(
        default=True, description="Also cancel every working order of the halted accounts."
    )


class KillSwitchOut(BaseModel):
    halted: list[TradingStateOut]
    cancelled_orders: int
