"""HTTP bodies of the account, limit and instrument routes (pydantic, the OpenAPI source), their
proto conversions, and the field types and helpers every risk model shares.

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
ID_PATTERN = r"^[A-Za-z0-9._:/-]+$"
"""Instrument and client order ids: letters, digits and ``. _ : / -``, at most 128."""
Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=ID_PATTERN)]
PositionKey = Annotated[
    str, Field(min_length=1, max_length=128, pattern=r"^(\*|[A-Za-z0-9._:/-]+)$")
]
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
    max_position: dict[PositionKey, PositiveDecimal] = Field(
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
