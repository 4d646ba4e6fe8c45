import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AccountMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACCOUNT_MODE_UNSPECIFIED: _ClassVar[AccountMode]
    ACCOUNT_MODE_PAPER: _ClassVar[AccountMode]
    ACCOUNT_MODE_LIVE: _ClassVar[AccountMode]

class TradingState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRADING_STATE_UNSPECIFIED: _ClassVar[TradingState]
    TRADING_STATE_ACTIVE: _ClassVar[TradingState]
    TRADING_STATE_REDUCING: _ClassVar[TradingState]
    TRADING_STATE_HALTED: _ClassVar[TradingState]

class Scope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCOPE_UNSPECIFIED: _ClassVar[Scope]
    SCOPE_GLOBAL: _ClassVar[Scope]
    SCOPE_ACCOUNT: _ClassVar[Scope]
    SCOPE_DEPLOYMENT: _ClassVar[Scope]
    SCOPE_INSTRUMENT: _ClassVar[Scope]

class OrderSide(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_SIDE_UNSPECIFIED: _ClassVar[OrderSide]
    ORDER_SIDE_BUY: _ClassVar[OrderSide]
    ORDER_SIDE_SELL: _ClassVar[OrderSide]

class OrderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_TYPE_UNSPECIFIED: _ClassVar[OrderType]
    ORDER_TYPE_MARKET: _ClassVar[OrderType]
    ORDER_TYPE_LIMIT: _ClassVar[OrderType]

class TimeInForce(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIME_IN_FORCE_UNSPECIFIED: _ClassVar[TimeInForce]
    TIME_IN_FORCE_DAY: _ClassVar[TimeInForce]
    TIME_IN_FORCE_GTC: _ClassVar[TimeInForce]
    TIME_IN_FORCE_IOC: _ClassVar[TimeInForce]
    TIME_IN_FORCE_FOK: _ClassVar[TimeInForce]

class OrderStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATUS_UNSPECIFIED: _ClassVar[OrderStatus]
    ORDER_STATUS_DENIED: _ClassVar[OrderStatus]
    ORDER_STATUS_PENDING_NEW: _ClassVar[OrderStatus]
    ORDER_STATUS_ACCEPTED: _ClassVar[OrderStatus]
    ORDER_STATUS_PARTIALLY_FILLED: _ClassVar[OrderStatus]
    ORDER_STATUS_FILLED: _ClassVar[OrderStatus]
    ORDER_STATUS_PENDING_CANCEL: _ClassVar[OrderStatus]
    ORDER_STATUS_CANCELLED: _ClassVar[OrderStatus]
    ORDER_STATUS_REJECTED: _ClassVar[OrderStatus]
    ORDER_STATUS_EXPIRED: _ClassVar[OrderStatus]

class Decision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_UNSPECIFIED: _ClassVar[Decision]
    DECISION_ALLOW: _ClassVar[Decision]
    DECISION_DENY: _ClassVar[Decision]
ACCOUNT_MODE_UNSPECIFIED: AccountMode
ACCOUNT_MODE_PAPER: AccountMode
ACCOUNT_MODE_LIVE: AccountMode
TRADING_STATE_UNSPECIFIED: TradingState
TRADING_STATE_ACTIVE: TradingState
TRADING_STATE_REDUCING: TradingState
TRADING_STATE_HALTED: TradingState
SCOPE_UNSPECIFIED: Scope
SCOPE_GLOBAL: Scope
SCOPE_ACCOUNT: Scope
SCOPE_DEPLOYMENT: Scope
SCOPE_INSTRUMENT: Scope
ORDER_SIDE_UNSPECIFIED: OrderSide
ORDER_SIDE_BUY: OrderSide
ORDER_SIDE_SELL: OrderSide
ORDER_TYPE_UNSPECIFIED: OrderType
ORDER_TYPE_MARKET: OrderType
ORDER_TYPE_LIMIT: OrderType
TIME_IN_FORCE_UNSPECIFIED: TimeInForce
TIME_IN_FORCE_DAY: TimeInForce
TIME_IN_FORCE_GTC: TimeInForce
TIME_IN_FORCE_IOC: TimeInForce
TIME_IN_FORCE_FOK: TimeInForce
ORDER_STATUS_UNSPECIFIED: OrderStatus
ORDER_STATUS_DENIED: OrderStatus
ORDER_STATUS_PENDING_NEW: OrderStatus
ORDER_STATUS_ACCEPTED: OrderStatus
ORDER_STATUS_PARTIALLY_FILLED: OrderStatus
ORDER_STATUS_FILLED: OrderStatus
ORDER_STATUS_PENDING_CANCEL: OrderStatus
ORDER_STATUS_CANCELLED: OrderStatus
ORDER_STATUS_REJECTED: OrderStatus
ORDER_STATUS_EXPIRED: OrderStatus
DECISION_UNSPECIFIED: Decision
DECISION_ALLOW: Decision
DECISION_DENY: Decision

class Account(_message.Message):
    __slots__ = ("account_id", "owner_id", "name", "mode", "base_currency", "broker", "initial_cash", "cash", "equity", "trading_state", "create_time", "realized_pnl", "unrealized_pnl", "day_start_equity", "high_water_mark")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    BASE_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    BROKER_FIELD_NUMBER: _ClassVar[int]
    INITIAL_CASH_FIELD_NUMBER: _ClassVar[int]
    CASH_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    TRADING_STATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    DAY_START_EQUITY_FIELD_NUMBER: _ClassVar[int]
    HIGH_WATER_MARK_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    owner_id: str
    name: str
    mode: AccountMode
    base_currency: str
    broker: str
    initial_cash: str
    cash: str
    equity: str
    trading_state: TradingState
    create_time: _timestamp_pb2.Timestamp
    realized_pnl: str
    unrealized_pnl: str
    day_start_equity: str
    high_water_mark: str
    def __init__(self, account_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., name: _Optional[str] = ..., mode: _Optional[_Union[AccountMode, str]] = ..., base_currency: _Optional[str] = ..., broker: _Optional[str] = ..., initial_cash: _Optional[str] = ..., cash: _Optional[str] = ..., equity: _Optional[str] = ..., trading_state: _Optional[_Union[TradingState, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., realized_pnl: _Optional[str] = ..., unrealized_pnl: _Optional[str] = ..., day_start_equity: _Optional[str] = ..., high_water_mark: _Optional[str] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("client_order_id", "account_id", "instrument_id", "side", "order_type", "quantity", "limit_price", "time_in_force", "status", "filled_quantity", "average_fill_price", "decision_id", "broker_order_id", "create_time", "update_time", "reduce_only", "deployment_id", "model_version", "status_reason")
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FILLED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_FILL_PRICE_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    BROKER_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    REDUCE_ONLY_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    client_order_id: str
    account_id: str
    instrument_id: str
    side: OrderSide
    order_type: OrderType
    quantity: str
    limit_price: str
    time_in_force: TimeInForce
    status: OrderStatus
    filled_quantity: str
    average_fill_price: str
    decision_id: str
    broker_order_id: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    reduce_only: bool
    deployment_id: str
    model_version: str
    status_reason: str
    def __init__(self, client_order_id: _Optional[str] = ..., account_id: _Optional[str] = ..., instrument_id: _Optional[str] = ..., side: _Optional[_Union[OrderSide, str]] = ..., order_type: _Optional[_Union[OrderType, str]] = ..., quantity: _Optional[str] = ..., limit_price: _Optional[str] = ..., time_in_force: _Optional[_Union[TimeInForce, str]] = ..., status: _Optional[_Union[OrderStatus, str]] = ..., filled_quantity: _Optional[str] = ..., average_fill_price: _Optional[str] = ..., decision_id: _Optional[str] = ..., broker_order_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reduce_only: _Optional[bool] = ..., deployment_id: _Optional[str] = ..., model_version: _Optional[str] = ..., status_reason: _Optional[str] = ...) -> None: ...

class Fill(_message.Message):
    __slots__ = ("fill_id", "account_id", "client_order_id", "instrument_id", "side", "quantity", "price", "fee", "fill_time", "broker_fill_id")
    FILL_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    FILL_TIME_FIELD_NUMBER: _ClassVar[int]
    BROKER_FILL_ID_FIELD_NUMBER: _ClassVar[int]
    fill_id: str
    account_id: str
    client_order_id: str
    instrument_id: str
    side: OrderSide
    quantity: str
    price: str
    fee: str
    fill_time: _timestamp_pb2.Timestamp
    broker_fill_id: str
    def __init__(self, fill_id: _Optional[str] = ..., account_id: _Optional[str] = ..., client_order_id: _Optional[str] = ..., instrument_id: _Optional[str] = ..., side: _Optional[_Union[OrderSide, str]] = ..., quantity: _Optional[str] = ..., price: _Optional[str] = ..., fee: _Optional[str] = ..., fill_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., broker_fill_id: _Optional[str] = ...) -> None: ...

class Position(_message.Message):
    __slots__ = ("account_id", "instrument_id", "quantity", "average_price", "market_price", "market_value", "unrealized_pnl", "realized_pnl", "update_time", "working_buy_quantity", "working_sell_quantity")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_PRICE_FIELD_NUMBER: _ClassVar[int]
    MARKET_PRICE_FIELD_NUMBER: _ClassVar[int]
    MARKET_VALUE_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    WORKING_BUY_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    WORKING_SELL_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    instrument_id: str
    quantity: str
    average_price: str
    market_price: str
    market_value: str
    unrealized_pnl: str
    realized_pnl: str
    update_time: _timestamp_pb2.Timestamp
    working_buy_quantity: str
    working_sell_quantity: str
    def __init__(self, account_id: _Optional[str] = ..., instrument_id: _Optional[str] = ..., quantity: _Optional[str] = ..., average_price: _Optional[str] = ..., market_price: _Optional[str] = ..., market_value: _Optional[str] = ..., unrealized_pnl: _Optional[str] = ..., realized_pnl: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., working_buy_quantity: _Optional[str] = ..., working_sell_quantity: _Optional[str] = ...) -> None: ...

class Instrument(_message.Message):
    __slots__ = ("instrument_id", "tick_size", "lot_size", "min_quantity", "max_quantity", "min_notional", "disabled", "update_time")
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TICK_SIZE_FIELD_NUMBER: _ClassVar[int]
    LOT_SIZE_FIELD_NUMBER: _ClassVar[int]
    MIN_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    MAX_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    MIN_NOTIONAL_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    instrument_id: str
    tick_size: str
    lot_size: str
    min_quantity: str
    max_quantity: str
    min_notional: str
    disabled: bool
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, instrument_id: _Optional[str] = ..., tick_size: _Optional[str] = ..., lot_size: _Optional[str] = ..., min_quantity: _Optional[str] = ..., max_quantity: _Optional[str] = ..., min_notional: _Optional[str] = ..., disabled: _Optional[bool] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CheckResult(_message.Message):
    __slots__ = ("check", "passed", "reason", "value", "limit")
    CHECK_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    check: str
    passed: bool
    reason: str
    value: str
    limit: str
    def __init__(self, check: _Optional[str] = ..., passed: _Optional[bool] = ..., reason: _Optional[str] = ..., value: _Optional[str] = ..., limit: _Optional[str] = ...) -> None: ...

class Violation(_message.Message):
    __slots__ = ("reason", "message", "value", "limit")
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    reason: str
    message: str
    value: str
    limit: str
    def __init__(self, reason: _Optional[str] = ..., message: _Optional[str] = ..., value: _Optional[str] = ..., limit: _Optional[str] = ...) -> None: ...

class OrderDecision(_message.Message):
    __slots__ = ("decision_id", "decision", "violations", "trading_state", "decide_time", "order", "dry_run", "sequence", "actor", "reference_price", "reference_price_age", "position_before", "position_after", "gross_exposure_before", "gross_exposure_after", "check_latency", "checks", "limits_version", "prev_hash", "entry_hash")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    TRADING_STATE_FIELD_NUMBER: _ClassVar[int]
    DECIDE_TIME_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_PRICE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_PRICE_AGE_FIELD_NUMBER: _ClassVar[int]
    POSITION_BEFORE_FIELD_NUMBER: _ClassVar[int]
    POSITION_AFTER_FIELD_NUMBER: _ClassVar[int]
    GROSS_EXPOSURE_BEFORE_FIELD_NUMBER: _ClassVar[int]
    GROSS_EXPOSURE_AFTER_FIELD_NUMBER: _ClassVar[int]
    CHECK_LATENCY_FIELD_NUMBER: _ClassVar[int]
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    LIMITS_VERSION_FIELD_NUMBER: _ClassVar[int]
    PREV_HASH_FIELD_NUMBER: _ClassVar[int]
    ENTRY_HASH_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    decision: Decision
    violations: _containers.RepeatedCompositeFieldContainer[Violation]
    trading_state: TradingState
    decide_time: _timestamp_pb2.Timestamp
    order: Order
    dry_run: bool
    sequence: int
    actor: str
    reference_price: str
    reference_price_age: _duration_pb2.Duration
    position_before: str
    position_after: str
    gross_exposure_before: str
    gross_exposure_after: str
    check_latency: _duration_pb2.Duration
    checks: _containers.RepeatedCompositeFieldContainer[CheckResult]
    limits_version: int
    prev_hash: str
    entry_hash: str
    def __init__(self, decision_id: _Optional[str] = ..., decision: _Optional[_Union[Decision, str]] = ..., violations: _Optional[_Iterable[_Union[Violation, _Mapping]]] = ..., trading_state: _Optional[_Union[TradingState, str]] = ..., decide_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., order: _Optional[_Union[Order, _Mapping]] = ..., dry_run: _Optional[bool] = ..., sequence: _Optional[int] = ..., actor: _Optional[str] = ..., reference_price: _Optional[str] = ..., reference_price_age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., position_before: _Optional[str] = ..., position_after: _Optional[str] = ..., gross_exposure_before: _Optional[str] = ..., gross_exposure_after: _Optional[str] = ..., check_latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., checks: _Optional[_Iterable[_Union[CheckResult, _Mapping]]] = ..., limits_version: _Optional[int] = ..., prev_hash: _Optional[str] = ..., entry_hash: _Optional[str] = ...) -> None: ...

class RiskLimits(_message.Message):
    __slots__ = ("max_position", "max_gross_exposure", "max_order_quantity", "max_daily_loss", "max_leverage", "allowed_instruments", "update_time", "max_order_notional", "max_net_exposure", "price_collar_bps", "max_reference_age_ms", "max_orders_per_second", "order_burst", "max_deployment_orders_per_second", "max_working_orders", "duplicate_window_ms", "max_drawdown", "max_consecutive_denials", "max_consecutive_losses", "breaker_cooldown_seconds", "version", "updated_by")
    class MaxPositionEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MAX_POSITION_FIELD_NUMBER: _ClassVar[int]
    MAX_GROSS_EXPOSURE_FIELD_NUMBER: _ClassVar[int]
    MAX_ORDER_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    MAX_DAILY_LOSS_FIELD_NUMBER: _ClassVar[int]
    MAX_LEVERAGE_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_INSTRUMENTS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_ORDER_NOTIONAL_FIELD_NUMBER: _ClassVar[int]
    MAX_NET_EXPOSURE_FIELD_NUMBER: _ClassVar[int]
    PRICE_COLLAR_BPS_FIELD_NUMBER: _ClassVar[int]
    MAX_REFERENCE_AGE_MS_FIELD_NUMBER: _ClassVar[int]
    MAX_ORDERS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    ORDER_BURST_FIELD_NUMBER: _ClassVar[int]
    MAX_DEPLOYMENT_ORDERS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    MAX_WORKING_ORDERS_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_WINDOW_MS_FIELD_NUMBER: _ClassVar[int]
    MAX_DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    MAX_CONSECUTIVE_DENIALS_FIELD_NUMBER: _ClassVar[int]
    MAX_CONSECUTIVE_LOSSES_FIELD_NUMBER: _ClassVar[int]
    BREAKER_COOLDOWN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    max_position: _containers.ScalarMap[str, str]
    max_gross_exposure: str
    max_order_quantity: str
    max_daily_loss: str
    max_leverage: str
    allowed_instruments: _containers.RepeatedScalarFieldContainer[str]
    update_time: _timestamp_pb2.Timestamp
    max_order_notional: str
    max_net_exposure: str
    price_collar_bps: str
    max_reference_age_ms: int
    max_orders_per_second: str
    order_burst: int
    max_deployment_orders_per_second: str
    max_working_orders: int
    duplicate_window_ms: int
    max_drawdown: str
    max_consecutive_denials: int
    max_consecutive_losses: int
    breaker_cooldown_seconds: int
    version: int
    updated_by: str
    def __init__(self, max_position: _Optional[_Mapping[str, str]] = ..., max_gross_exposure: _Optional[str] = ..., max_order_quantity: _Optional[str] = ..., max_daily_loss: _Optional[str] = ..., max_leverage: _Optional[str] = ..., allowed_instruments: _Optional[_Iterable[str]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_order_notional: _Optional[str] = ..., max_net_exposure: _Optional[str] = ..., price_collar_bps: _Optional[str] = ..., max_reference_age_ms: _Optional[int] = ..., max_orders_per_second: _Optional[str] = ..., order_burst: _Optional[int] = ..., max_deployment_orders_per_second: _Optional[str] = ..., max_working_orders: _Optional[int] = ..., duplicate_window_ms: _Optional[int] = ..., max_drawdown: _Optional[str] = ..., max_consecutive_denials: _Optional[int] = ..., max_consecutive_losses: _Optional[int] = ..., breaker_cooldown_seconds: _Optional[int] = ..., version: _Optional[int] = ..., updated_by: _Optional[str] = ...) -> None: ...

class TradingStateRecord(_message.Message):
    __slots__ = ("scope", "scope_id", "trading_state", "previous_state", "reason", "updated_by", "update_time", "cooldown_until", "change_id")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_ID_FIELD_NUMBER: _ClassVar[int]
    TRADING_STATE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    COOLDOWN_UNTIL_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    scope: Scope
    scope_id: str
    trading_state: TradingState
    previous_state: TradingState
    reason: str
    updated_by: str
    update_time: _timestamp_pb2.Timestamp
    cooldown_until: _timestamp_pb2.Timestamp
    change_id: str
    def __init__(self, scope: _Optional[_Union[Scope, str]] = ..., scope_id: _Optional[str] = ..., trading_state: _Optional[_Union[TradingState, str]] = ..., previous_state: _Optional[_Union[TradingState, str]] = ..., reason: _Optional[str] = ..., updated_by: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cooldown_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., change_id: _Optional[str] = ...) -> None: ...

class CheckOrderRequest(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class CheckOrderResponse(_message.Message):
    __slots__ = ("decision",)
    DECISION_FIELD_NUMBER: _ClassVar[int]
    decision: OrderDecision
    def __init__(self, decision: _Optional[_Union[OrderDecision, _Mapping]] = ...) -> None: ...

class SubmitOrderRequest(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class SubmitOrderResponse(_message.Message):
    __slots__ = ("decision", "order", "replayed")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    decision: OrderDecision
    order: Order
    replayed: bool
    def __init__(self, decision: _Optional[_Union[OrderDecision, _Mapping]] = ..., order: _Optional[_Union[Order, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class CancelOrderRequest(_message.Message):
    __slots__ = ("account_id", "client_order_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    client_order_id: str
    def __init__(self, account_id: _Optional[str] = ..., client_order_id: _Optional[str] = ...) -> None: ...

class CancelOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class ModifyOrderRequest(_message.Message):
    __slots__ = ("account_id", "client_order_id", "quantity", "limit_price", "request_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    client_order_id: str
    quantity: str
    limit_price: str
    request_id: str
    def __init__(self, account_id: _Optional[str] = ..., client_order_id: _Optional[str] = ..., quantity: _Optional[str] = ..., limit_price: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ModifyOrderResponse(_message.Message):
    __slots__ = ("decision", "order", "replayed", "venue_reason")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    VENUE_REASON_FIELD_NUMBER: _ClassVar[int]
    decision: OrderDecision
    order: Order
    replayed: bool
    venue_reason: str
    def __init__(self, decision: _Optional[_Union[OrderDecision, _Mapping]] = ..., order: _Optional[_Union[Order, _Mapping]] = ..., replayed: _Optional[bool] = ..., venue_reason: _Optional[str] = ...) -> None: ...

class GetOrderRequest(_message.Message):
    __slots__ = ("account_id", "client_order_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    client_order_id: str
    def __init__(self, account_id: _Optional[str] = ..., client_order_id: _Optional[str] = ...) -> None: ...

class GetOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("account_id", "page_size", "page_token", "statuses", "instrument_id", "working_only")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    WORKING_ONLY_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    page_size: int
    page_token: str
    statuses: _containers.RepeatedScalarFieldContainer[OrderStatus]
    instrument_id: str
    working_only: bool
    def __init__(self, account_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[OrderStatus, str]]] = ..., instrument_id: _Optional[str] = ..., working_only: _Optional[bool] = ...) -> None: ...

class ListOrdersResponse(_message.Message):
    __slots__ = ("orders", "next_page_token")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    next_page_token: str
    def __init__(self, orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListFillsRequest(_message.Message):
    __slots__ = ("account_id", "page_size", "page_token", "client_order_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    page_size: int
    page_token: str
    client_order_id: str
    def __init__(self, account_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., client_order_id: _Optional[str] = ...) -> None: ...

class ListFillsResponse(_message.Message):
    __slots__ = ("fills", "next_page_token")
    FILLS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    fills: _containers.RepeatedCompositeFieldContainer[Fill]
    next_page_token: str
    def __init__(self, fills: _Optional[_Iterable[_Union[Fill, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListPositionsRequest(_message.Message):
    __slots__ = ("account_id", "page_size", "page_token")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    page_size: int
    page_token: str
    def __init__(self, account_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPositionsResponse(_message.Message):
    __slots__ = ("positions", "next_page_token")
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    positions: _containers.RepeatedCompositeFieldContainer[Position]
    next_page_token: str
    def __init__(self, positions: _Optional[_Iterable[_Union[Position, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetLimitsRequest(_message.Message):
    __slots__ = ("account_id",)
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    def __init__(self, account_id: _Optional[str] = ...) -> None: ...

class GetLimitsResponse(_message.Message):
    __slots__ = ("limits",)
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    limits: RiskLimits
    def __init__(self, limits: _Optional[_Union[RiskLimits, _Mapping]] = ...) -> None: ...

class SetLimitsRequest(_message.Message):
    __slots__ = ("account_id", "limits", "reason")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    limits: RiskLimits
    reason: str
    def __init__(self, account_id: _Optional[str] = ..., limits: _Optional[_Union[RiskLimits, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class SetLimitsResponse(_message.Message):
    __slots__ = ("limits",)
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    limits: RiskLimits
    def __init__(self, limits: _Optional[_Union[RiskLimits, _Mapping]] = ...) -> None: ...

class GetTradingStateRequest(_message.Message):
    __slots__ = ("scope", "scope_id")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_ID_FIELD_NUMBER: _ClassVar[int]
    scope: Scope
    scope_id: str
    def __init__(self, scope: _Optional[_Union[Scope, str]] = ..., scope_id: _Optional[str] = ...) -> None: ...

class GetTradingStateResponse(_message.Message):
    __slots__ = ("state",)
    STATE_FIELD_NUMBER: _ClassVar[int]
    state: TradingStateRecord
    def __init__(self, state: _Optional[_Union[TradingStateRecord, _Mapping]] = ...) -> None: ...

class SetTradingStateRequest(_message.Message):
    __slots__ = ("scope", "scope_id", "trading_state", "reason")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_ID_FIELD_NUMBER: _ClassVar[int]
    TRADING_STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    scope: Scope
    scope_id: str
    trading_state: TradingState
    reason: str
    def __init__(self, scope: _Optional[_Union[Scope, str]] = ..., scope_id: _Optional[str] = ..., trading_state: _Optional[_Union[TradingState, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class SetTradingStateResponse(_message.Message):
    __slots__ = ("state",)
    STATE_FIELD_NUMBER: _ClassVar[int]
    state: TradingStateRecord
    def __init__(self, state: _Optional[_Union[TradingStateRecord, _Mapping]] = ...) -> None: ...

class ListTradingStateChangesRequest(_message.Message):
    __slots__ = ("scope", "scope_id", "page_size", "page_token")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    scope: Scope
    scope_id: str
    page_size: int
    page_token: str
    def __init__(self, scope: _Optional[_Union[Scope, str]] = ..., scope_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTradingStateChangesResponse(_message.Message):
    __slots__ = ("changes", "next_page_token")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[TradingStateRecord]
    next_page_token: str
    def __init__(self, changes: _Optional[_Iterable[_Union[TradingStateRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class KillSwitchRequest(_message.Message):
    __slots__ = ("scope", "scope_id", "reason", "flatten")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FLATTEN_FIELD_NUMBER: _ClassVar[int]
    scope: Scope
    scope_id: str
    reason: str
    flatten: bool
    def __init__(self, scope: _Optional[_Union[Scope, str]] = ..., scope_id: _Optional[str] = ..., reason: _Optional[str] = ..., flatten: _Optional[bool] = ...) -> None: ...

class KillSwitchResponse(_message.Message):
    __slots__ = ("kill_id", "state", "working_orders", "cancels_acknowledged", "cancels_failed", "flatten_orders_submitted", "flatten_orders_denied", "halt_latency", "cancel_latency", "total_latency")
    KILL_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    WORKING_ORDERS_FIELD_NUMBER: _ClassVar[int]
    CANCELS_ACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    CANCELS_FAILED_FIELD_NUMBER: _ClassVar[int]
    FLATTEN_ORDERS_SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    FLATTEN_ORDERS_DENIED_FIELD_NUMBER: _ClassVar[int]
    HALT_LATENCY_FIELD_NUMBER: _ClassVar[int]
    CANCEL_LATENCY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_LATENCY_FIELD_NUMBER: _ClassVar[int]
    kill_id: str
    state: TradingStateRecord
    working_orders: int
    cancels_acknowledged: int
    cancels_failed: int
    flatten_orders_submitted: int
    flatten_orders_denied: int
    halt_latency: _duration_pb2.Duration
    cancel_latency: _duration_pb2.Duration
    total_latency: _duration_pb2.Duration
    def __init__(self, kill_id: _Optional[str] = ..., state: _Optional[_Union[TradingStateRecord, _Mapping]] = ..., working_orders: _Optional[int] = ..., cancels_acknowledged: _Optional[int] = ..., cancels_failed: _Optional[int] = ..., flatten_orders_submitted: _Optional[int] = ..., flatten_orders_denied: _Optional[int] = ..., halt_latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., cancel_latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., total_latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ListDecisionsRequest(_message.Message):
    __slots__ = ("account_id", "start_time", "end_time", "decision", "page_size", "page_token", "reason", "instrument_id", "client_order_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    decision: Decision
    page_size: int
    page_token: str
    reason: str
    instrument_id: str
    client_order_id: str
    def __init__(self, account_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decision: _Optional[_Union[Decision, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., reason: _Optional[str] = ..., instrument_id: _Optional[str] = ..., client_order_id: _Optional[str] = ...) -> None: ...

class ListDecisionsResponse(_message.Message):
    __slots__ = ("decisions", "next_page_token")
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    decisions: _containers.RepeatedCompositeFieldContainer[OrderDecision]
    next_page_token: str
    def __init__(self, decisions: _Optional[_Iterable[_Union[OrderDecision, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetDecisionRequest(_message.Message):
    __slots__ = ("decision_id",)
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    def __init__(self, decision_id: _Optional[str] = ...) -> None: ...

class GetDecisionResponse(_message.Message):
    __slots__ = ("decision",)
    DECISION_FIELD_NUMBER: _ClassVar[int]
    decision: OrderDecision
    def __init__(self, decision: _Optional[_Union[OrderDecision, _Mapping]] = ...) -> None: ...

class VerifyAuditChainRequest(_message.Message):
    __slots__ = ("from_sequence", "to_sequence")
    FROM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TO_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    from_sequence: int
    to_sequence: int
    def __init__(self, from_sequence: _Optional[int] = ..., to_sequence: _Optional[int] = ...) -> None: ...

class VerifyAuditChainResponse(_message.Message):
    __slots__ = ("valid", "entries_checked", "first_bad_sequence", "problem", "last_hash")
    VALID_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_CHECKED_FIELD_NUMBER: _ClassVar[int]
    FIRST_BAD_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    LAST_HASH_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    entries_checked: int
    first_bad_sequence: int
    problem: str
    last_hash: str
    def __init__(self, valid: _Optional[bool] = ..., entries_checked: _Optional[int] = ..., first_bad_sequence: _Optional[int] = ..., problem: _Optional[str] = ..., last_hash: _Optional[str] = ...) -> None: ...

class PutInstrumentRequest(_message.Message):
    __slots__ = ("instrument",)
    INSTRUMENT_FIELD_NUMBER: _ClassVar[int]
    instrument: Instrument
    def __init__(self, instrument: _Optional[_Union[Instrument, _Mapping]] = ...) -> None: ...

class PutInstrumentResponse(_message.Message):
    __slots__ = ("instrument",)
    INSTRUMENT_FIELD_NUMBER: _ClassVar[int]
    instrument: Instrument
    def __init__(self, instrument: _Optional[_Union[Instrument, _Mapping]] = ...) -> None: ...

class ListInstrumentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListInstrumentsResponse(_message.Message):
    __slots__ = ("instruments", "next_page_token")
    INSTRUMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    instruments: _containers.RepeatedCompositeFieldContainer[Instrument]
    next_page_token: str
    def __init__(self, instruments: _Optional[_Iterable[_Union[Instrument, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateAccountRequest(_message.Message):
    __slots__ = ("account", "request_id")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    account: Account
    request_id: str
    def __init__(self, account: _Optional[_Union[Account, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: Account
    def __init__(self, account: _Optional[_Union[Account, _Mapping]] = ...) -> None: ...

class GetAccountRequest(_message.Message):
    __slots__ = ("account_id",)
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    def __init__(self, account_id: _Optional[str] = ...) -> None: ...

class GetAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: Account
    def __init__(self, account: _Optional[_Union[Account, _Mapping]] = ...) -> None: ...

class ListAccountsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "mode", "owner_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    mode: AccountMode
    owner_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., mode: _Optional[_Union[AccountMode, str]] = ..., owner_id: _Optional[str] = ...) -> None: ...

class ListAccountsResponse(_message.Message):
    __slots__ = ("accounts", "next_page_token")
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedCompositeFieldContainer[Account]
    next_page_token: str
    def __init__(self, accounts: _Optional[_Iterable[_Union[Account, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetComplianceReportRequest(_message.Message):
    __slots__ = ("account_id", "from_date", "to_date")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    from_date: str
    to_date: str
    def __init__(self, account_id: _Optional[str] = ..., from_date: _Optional[str] = ..., to_date: _Optional[str] = ...) -> None: ...

class ComplianceDecision(_message.Message):
    __slots__ = ("decision_id", "sequence", "decide_time", "client_order_id", "instrument_id", "side", "quantity", "limit_price", "decision", "reasons", "dry_run", "actor", "trading_state", "limits_version", "entry_hash")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DECIDE_TIME_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TRADING_STATE_FIELD_NUMBER: _ClassVar[int]
    LIMITS_VERSION_FIELD_NUMBER: _ClassVar[int]
    ENTRY_HASH_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    sequence: int
    decide_time: _timestamp_pb2.Timestamp
    client_order_id: str
    instrument_id: str
    side: OrderSide
    quantity: str
    limit_price: str
    decision: Decision
    reasons: _containers.RepeatedScalarFieldContainer[str]
    dry_run: bool
    actor: str
    trading_state: TradingState
    limits_version: int
    entry_hash: str
    def __init__(self, decision_id: _Optional[str] = ..., sequence: _Optional[int] = ..., decide_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., client_order_id: _Optional[str] = ..., instrument_id: _Optional[str] = ..., side: _Optional[_Union[OrderSide, str]] = ..., quantity: _Optional[str] = ..., limit_price: _Optional[str] = ..., decision: _Optional[_Union[Decision, str]] = ..., reasons: _Optional[_Iterable[str]] = ..., dry_run: _Optional[bool] = ..., actor: _Optional[str] = ..., trading_state: _Optional[_Union[TradingState, str]] = ..., limits_version: _Optional[int] = ..., entry_hash: _Optional[str] = ...) -> None: ...

class EndOfDayPosition(_message.Message):
    __slots__ = ("date", "instrument_id", "quantity", "average_price", "last_fill_price", "realized_pnl")
    DATE_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_PRICE_FIELD_NUMBER: _ClassVar[int]
    LAST_FILL_PRICE_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    date: str
    instrument_id: str
    quantity: str
    average_price: str
    last_fill_price: str
    realized_pnl: str
    def __init__(self, date: _Optional[str] = ..., instrument_id: _Optional[str] = ..., quantity: _Optional[str] = ..., average_price: _Optional[str] = ..., last_fill_price: _Optional[str] = ..., realized_pnl: _Optional[str] = ...) -> None: ...

class ComplianceDay(_message.Message):
    __slots__ = ("date", "orders", "decisions", "denied", "fills", "fees", "realized_pnl", "cash", "equity", "pnl")
    DATE_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    DENIED_FIELD_NUMBER: _ClassVar[int]
    FILLS_FIELD_NUMBER: _ClassVar[int]
    FEES_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    CASH_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    PNL_FIELD_NUMBER: _ClassVar[int]
    date: str
    orders: int
    decisions: int
    denied: int
    fills: int
    fees: str
    realized_pnl: str
    cash: str
    equity: str
    pnl: str
    def __init__(self, date: _Optional[str] = ..., orders: _Optional[int] = ..., decisions: _Optional[int] = ..., denied: _Optional[int] = ..., fills: _Optional[int] = ..., fees: _Optional[str] = ..., realized_pnl: _Optional[str] = ..., cash: _Optional[str] = ..., equity: _Optional[str] = ..., pnl: _Optional[str] = ...) -> None: ...

class KillSwitchEvent(_message.Message):
    __slots__ = ("kill_id", "sequence", "event_time", "scope", "scope_id", "reason", "actor", "flatten", "working_orders", "cancels_acknowledged", "cancels_failed")
    KILL_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    FLATTEN_FIELD_NUMBER: _ClassVar[int]
    WORKING_ORDERS_FIELD_NUMBER: _ClassVar[int]
    CANCELS_ACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    CANCELS_FAILED_FIELD_NUMBER: _ClassVar[int]
    kill_id: str
    sequence: int
    event_time: _timestamp_pb2.Timestamp
    scope: Scope
    scope_id: str
    reason: str
    actor: str
    flatten: bool
    working_orders: int
    cancels_acknowledged: int
    cancels_failed: int
    def __init__(self, kill_id: _Optional[str] = ..., sequence: _Optional[int] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scope: _Optional[_Union[Scope, str]] = ..., scope_id: _Optional[str] = ..., reason: _Optional[str] = ..., actor: _Optional[str] = ..., flatten: _Optional[bool] = ..., working_orders: _Optional[int] = ..., cancels_acknowledged: _Optional[int] = ..., cancels_failed: _Optional[int] = ...) -> None: ...

class ReasonCount(_message.Message):
    __slots__ = ("reason", "count")
    REASON_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    reason: str
    count: int
    def __init__(self, reason: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class ComplianceTotals(_message.Message):
    __slots__ = ("orders", "decisions", "allowed", "denied", "dry_runs", "fills", "fees", "realized_pnl", "pnl", "state_changes", "kill_switch_events", "denials_by_reason")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    DENIED_FIELD_NUMBER: _ClassVar[int]
    DRY_RUNS_FIELD_NUMBER: _ClassVar[int]
    FILLS_FIELD_NUMBER: _ClassVar[int]
    FEES_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    PNL_FIELD_NUMBER: _ClassVar[int]
    STATE_CHANGES_FIELD_NUMBER: _ClassVar[int]
    KILL_SWITCH_EVENTS_FIELD_NUMBER: _ClassVar[int]
    DENIALS_BY_REASON_FIELD_NUMBER: _ClassVar[int]
    orders: int
    decisions: int
    allowed: int
    denied: int
    dry_runs: int
    fills: int
    fees: str
    realized_pnl: str
    pnl: str
    state_changes: int
    kill_switch_events: int
    denials_by_reason: _containers.RepeatedCompositeFieldContainer[ReasonCount]
    def __init__(self, orders: _Optional[int] = ..., decisions: _Optional[int] = ..., allowed: _Optional[int] = ..., denied: _Optional[int] = ..., dry_runs: _Optional[int] = ..., fills: _Optional[int] = ..., fees: _Optional[str] = ..., realized_pnl: _Optional[str] = ..., pnl: _Optional[str] = ..., state_changes: _Optional[int] = ..., kill_switch_events: _Optional[int] = ..., denials_by_reason: _Optional[_Iterable[_Union[ReasonCount, _Mapping]]] = ...) -> None: ...

class ChainVerification(_message.Message):
    __slots__ = ("valid", "from_sequence", "to_sequence", "entries_checked", "first_bad_sequence", "problem", "last_hash")
    VALID_FIELD_NUMBER: _ClassVar[int]
    FROM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TO_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_CHECKED_FIELD_NUMBER: _ClassVar[int]
    FIRST_BAD_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    LAST_HASH_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    from_sequence: int
    to_sequence: int
    entries_checked: int
    first_bad_sequence: int
    problem: str
    last_hash: str
    def __init__(self, valid: _Optional[bool] = ..., from_sequence: _Optional[int] = ..., to_sequence: _Optional[int] = ..., entries_checked: _Optional[int] = ..., first_bad_sequence: _Optional[int] = ..., problem: _Optional[str] = ..., last_hash: _Optional[str] = ...) -> None: ...

class GetComplianceReportResponse(_message.Message):
    __slots__ = ("account_id", "owner_id", "account_name", "mode", "base_currency", "from_date", "to_date", "totals", "orders", "decisions", "fills", "days", "positions", "state_changes", "kill_switch_events", "chain", "promotion_approvals_note")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_NAME_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    BASE_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    FILLS_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    STATE_CHANGES_FIELD_NUMBER: _ClassVar[int]
    KILL_SWITCH_EVENTS_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_APPROVALS_NOTE_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    owner_id: str
    account_name: str
    mode: AccountMode
    base_currency: str
    from_date: str
    to_date: str
    totals: ComplianceTotals
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    decisions: _containers.RepeatedCompositeFieldContainer[ComplianceDecision]
    fills: _containers.RepeatedCompositeFieldContainer[Fill]
    days: _containers.RepeatedCompositeFieldContainer[ComplianceDay]
    positions: _containers.RepeatedCompositeFieldContainer[EndOfDayPosition]
    state_changes: _containers.RepeatedCompositeFieldContainer[TradingStateRecord]
    kill_switch_events: _containers.RepeatedCompositeFieldContainer[KillSwitchEvent]
    chain: ChainVerification
    promotion_approvals_note: str
    def __init__(self, account_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., account_name: _Optional[str] = ..., mode: _Optional[_Union[AccountMode, str]] = ..., base_currency: _Optional[str] = ..., from_date: _Optional[str] = ..., to_date: _Optional[str] = ..., totals: _Optional[_Union[ComplianceTotals, _Mapping]] = ..., orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ..., decisions: _Optional[_Iterable[_Union[ComplianceDecision, _Mapping]]] = ..., fills: _Optional[_Iterable[_Union[Fill, _Mapping]]] = ..., days: _Optional[_Iterable[_Union[ComplianceDay, _Mapping]]] = ..., positions: _Optional[_Iterable[_Union[EndOfDayPosition, _Mapping]]] = ..., state_changes: _Optional[_Iterable[_Union[TradingStateRecord, _Mapping]]] = ..., kill_switch_events: _Optional[_Iterable[_Union[KillSwitchEvent, _Mapping]]] = ..., chain: _Optional[_Union[ChainVerification, _Mapping]] = ..., promotion_approvals_note: _Optional[str] = ...) -> None: ...

class ReportHeartbeatRequest(_message.Message):
    __slots__ = ("account_id", "deployment_id", "timeout_seconds", "stopping")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STOPPING_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    deployment_id: str
    timeout_seconds: int
    stopping: bool
    def __init__(self, account_id: _Optional[str] = ..., deployment_id: _Optional[str] = ..., timeout_seconds: _Optional[int] = ..., stopping: _Optional[bool] = ...) -> None: ...

class ReportHeartbeatResponse(_message.Message):
    __slots__ = ("deadline", "trading_state")
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    TRADING_STATE_FIELD_NUMBER: _ClassVar[int]
    deadline: _timestamp_pb2.Timestamp
    trading_state: TradingState
    def __init__(self, deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trading_state: _Optional[_Union[TradingState, str]] = ...) -> None: ...
