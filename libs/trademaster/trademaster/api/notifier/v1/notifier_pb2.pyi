import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from trademaster.api.notifier.v1 import alerts_pb2 as _alerts_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Event(_message.Message):
    __slots__ = ("event_id", "time", "topic", "owner_id", "type", "training_progress", "job_state_changed", "checkpoint_saved", "training_finished", "backtest_progress", "backtest_finished", "order_decided", "trading_state_changed", "heartbeat", "order_updated", "fill_received", "position_changed", "kill_switch_engaged", "kill_switch_completed", "deployment_progress")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TRAINING_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    JOB_STATE_CHANGED_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_SAVED_FIELD_NUMBER: _ClassVar[int]
    TRAINING_FINISHED_FIELD_NUMBER: _ClassVar[int]
    BACKTEST_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    BACKTEST_FINISHED_FIELD_NUMBER: _ClassVar[int]
    ORDER_DECIDED_FIELD_NUMBER: _ClassVar[int]
    TRADING_STATE_CHANGED_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    ORDER_UPDATED_FIELD_NUMBER: _ClassVar[int]
    FILL_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    POSITION_CHANGED_FIELD_NUMBER: _ClassVar[int]
    KILL_SWITCH_ENGAGED_FIELD_NUMBER: _ClassVar[int]
    KILL_SWITCH_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    time: _timestamp_pb2.Timestamp
    topic: str
    owner_id: str
    type: str
    training_progress: TrainingProgress
    job_state_changed: JobStateChanged
    checkpoint_saved: CheckpointSaved
    training_finished: TrainingFinished
    backtest_progress: BacktestProgress
    backtest_finished: BacktestFinished
    order_decided: OrderDecided
    trading_state_changed: TradingStateChanged
    heartbeat: Heartbeat
    order_updated: OrderUpdated
    fill_received: FillReceived
    position_changed: PositionChanged
    kill_switch_engaged: KillSwitchEngaged
    kill_switch_completed: KillSwitchCompleted
    deployment_progress: DeploymentProgress
    def __init__(self, event_id: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., topic: _Optional[str] = ..., owner_id: _Optional[str] = ..., type: _Optional[str] = ..., training_progress: _Optional[_Union[TrainingProgress, _Mapping]] = ..., job_state_changed: _Optional[_Union[JobStateChanged, _Mapping]] = ..., checkpoint_saved: _Optional[_Union[CheckpointSaved, _Mapping]] = ..., training_finished: _Optional[_Union[TrainingFinished, _Mapping]] = ..., backtest_progress: _Optional[_Union[BacktestProgress, _Mapping]] = ..., backtest_finished: _Optional[_Union[BacktestFinished, _Mapping]] = ..., order_decided: _Optional[_Union[OrderDecided, _Mapping]] = ..., trading_state_changed: _Optional[_Union[TradingStateChanged, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., order_updated: _Optional[_Union[OrderUpdated, _Mapping]] = ..., fill_received: _Optional[_Union[FillReceived, _Mapping]] = ..., position_changed: _Optional[_Union[PositionChanged, _Mapping]] = ..., kill_switch_engaged: _Optional[_Union[KillSwitchEngaged, _Mapping]] = ..., kill_switch_completed: _Optional[_Union[KillSwitchCompleted, _Mapping]] = ..., deployment_progress: _Optional[_Union[DeploymentProgress, _Mapping]] = ...) -> None: ...

class TrainingProgress(_message.Message):
    __slots__ = ("job_id", "step", "total_steps", "fraction", "metrics")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    step: int
    total_steps: int
    fraction: float
    metrics: _containers.ScalarMap[str, float]
    def __init__(self, job_id: _Optional[str] = ..., step: _Optional[int] = ..., total_steps: _Optional[int] = ..., fraction: _Optional[float] = ..., metrics: _Optional[_Mapping[str, float]] = ...) -> None: ...

class JobStateChanged(_message.Message):
    __slots__ = ("job_id", "job_kind", "old_state", "new_state", "reason")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_KIND_FIELD_NUMBER: _ClassVar[int]
    OLD_STATE_FIELD_NUMBER: _ClassVar[int]
    NEW_STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    job_kind: str
    old_state: str
    new_state: str
    reason: str
    def __init__(self, job_id: _Optional[str] = ..., job_kind: _Optional[str] = ..., old_state: _Optional[str] = ..., new_state: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CheckpointSaved(_message.Message):
    __slots__ = ("job_id", "step", "checkpoint_uri")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_URI_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    step: int
    checkpoint_uri: str
    def __init__(self, job_id: _Optional[str] = ..., step: _Optional[int] = ..., checkpoint_uri: _Optional[str] = ...) -> None: ...

class TrainingFinished(_message.Message):
    __slots__ = ("job_id", "state", "final_metrics", "model_uri", "failure_reason")
    class FinalMetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FINAL_METRICS_FIELD_NUMBER: _ClassVar[int]
    MODEL_URI_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    state: str
    final_metrics: _containers.ScalarMap[str, float]
    model_uri: str
    failure_reason: str
    def __init__(self, job_id: _Optional[str] = ..., state: _Optional[str] = ..., final_metrics: _Optional[_Mapping[str, float]] = ..., model_uri: _Optional[str] = ..., failure_reason: _Optional[str] = ...) -> None: ...

class BacktestProgress(_message.Message):
    __slots__ = ("backtest_id", "fraction", "current_time", "equity")
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    CURRENT_TIME_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    fraction: float
    current_time: _timestamp_pb2.Timestamp
    equity: str
    def __init__(self, backtest_id: _Optional[str] = ..., fraction: _Optional[float] = ..., current_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., equity: _Optional[str] = ...) -> None: ...

class BacktestFinished(_message.Message):
    __slots__ = ("backtest_id", "state", "metrics", "failure_reason")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    state: str
    metrics: _containers.ScalarMap[str, float]
    failure_reason: str
    def __init__(self, backtest_id: _Optional[str] = ..., state: _Optional[str] = ..., metrics: _Optional[_Mapping[str, float]] = ..., failure_reason: _Optional[str] = ...) -> None: ...

class OrderDecided(_message.Message):
    __slots__ = ("decision_id", "account_id", "client_order_id", "instrument_id", "side", "quantity", "decision", "violation_reasons", "dry_run")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    VIOLATION_REASONS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    account_id: str
    client_order_id: str
    instrument_id: str
    side: str
    quantity: str
    decision: str
    violation_reasons: _containers.RepeatedScalarFieldContainer[str]
    dry_run: bool
    def __init__(self, decision_id: _Optional[str] = ..., account_id: _Optional[str] = ..., client_order_id: _Optional[str] = ..., instrument_id: _Optional[str] = ..., side: _Optional[str] = ..., quantity: _Optional[str] = ..., decision: _Optional[str] = ..., violation_reasons: _Optional[_Iterable[str]] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class TradingStateChanged(_message.Message):
    __slots__ = ("account_id", "old_state", "new_state", "reason", "changed_by", "scope", "scope_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    OLD_STATE_FIELD_NUMBER: _ClassVar[int]
    NEW_STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CHANGED_BY_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    old_state: str
    new_state: str
    reason: str
    changed_by: str
    scope: str
    scope_id: str
    def __init__(self, account_id: _Optional[str] = ..., old_state: _Optional[str] = ..., new_state: _Optional[str] = ..., reason: _Optional[str] = ..., changed_by: _Optional[str] = ..., scope: _Optional[str] = ..., scope_id: _Optional[str] = ...) -> None: ...

class OrderUpdated(_message.Message):
    __slots__ = ("account_id", "client_order_id", "instrument_id", "status", "filled_quantity", "average_fill_price", "reason")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FILLED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_FILL_PRICE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    client_order_id: str
    instrument_id: str
    status: str
    filled_quantity: str
    average_fill_price: str
    reason: str
    def __init__(self, account_id: _Optional[str] = ..., client_order_id: _Optional[str] = ..., instrument_id: _Optional[str] = ..., status: _Optional[str] = ..., filled_quantity: _Optional[str] = ..., average_fill_price: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class FillReceived(_message.Message):
    __slots__ = ("account_id", "client_order_id", "fill_id", "instrument_id", "side", "quantity", "price", "fee")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    FILL_ID_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    client_order_id: str
    fill_id: str
    instrument_id: str
    side: str
    quantity: str
    price: str
    fee: str
    def __init__(self, account_id: _Optional[str] = ..., client_order_id: _Optional[str] = ..., fill_id: _Optional[str] = ..., instrument_id: _Optional[str] = ..., side: _Optional[str] = ..., quantity: _Optional[str] = ..., price: _Optional[str] = ..., fee: _Optional[str] = ...) -> None: ...

class PositionChanged(_message.Message):
    __slots__ = ("account_id", "instrument_id", "quantity", "average_price", "realized_pnl")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_PRICE_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    instrument_id: str
    quantity: str
    average_price: str
    realized_pnl: str
    def __init__(self, account_id: _Optional[str] = ..., instrument_id: _Optional[str] = ..., quantity: _Optional[str] = ..., average_price: _Optional[str] = ..., realized_pnl: _Optional[str] = ...) -> None: ...

class KillSwitchEngaged(_message.Message):
    __slots__ = ("kill_id", "scope", "scope_id", "reason", "actor", "flatten")
    KILL_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    FLATTEN_FIELD_NUMBER: _ClassVar[int]
    kill_id: str
    scope: str
    scope_id: str
    reason: str
    actor: str
    flatten: bool
    def __init__(self, kill_id: _Optional[str] = ..., scope: _Optional[str] = ..., scope_id: _Optional[str] = ..., reason: _Optional[str] = ..., actor: _Optional[str] = ..., flatten: _Optional[bool] = ...) -> None: ...

class KillSwitchCompleted(_message.Message):
    __slots__ = ("kill_id", "scope", "scope_id", "working_orders", "cancels_acknowledged", "cancels_failed", "flatten_orders_submitted", "flatten_orders_denied", "halt_ms", "cancel_ms", "total_ms")
    KILL_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_ID_FIELD_NUMBER: _ClassVar[int]
    WORKING_ORDERS_FIELD_NUMBER: _ClassVar[int]
    CANCELS_ACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    CANCELS_FAILED_FIELD_NUMBER: _ClassVar[int]
    FLATTEN_ORDERS_SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    FLATTEN_ORDERS_DENIED_FIELD_NUMBER: _ClassVar[int]
    HALT_MS_FIELD_NUMBER: _ClassVar[int]
    CANCEL_MS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_MS_FIELD_NUMBER: _ClassVar[int]
    kill_id: str
    scope: str
    scope_id: str
    working_orders: int
    cancels_acknowledged: int
    cancels_failed: int
    flatten_orders_submitted: int
    flatten_orders_denied: int
    halt_ms: float
    cancel_ms: float
    total_ms: float
    def __init__(self, kill_id: _Optional[str] = ..., scope: _Optional[str] = ..., scope_id: _Optional[str] = ..., working_orders: _Optional[int] = ..., cancels_acknowledged: _Optional[int] = ..., cancels_failed: _Optional[int] = ..., flatten_orders_submitted: _Optional[int] = ..., flatten_orders_denied: _Optional[int] = ..., halt_ms: _Optional[float] = ..., cancel_ms: _Optional[float] = ..., total_ms: _Optional[float] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("interval_seconds",)
    INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    interval_seconds: int
    def __init__(self, interval_seconds: _Optional[int] = ...) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ("topics", "after_event_id")
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    AFTER_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    topics: _containers.RepeatedScalarFieldContainer[str]
    after_event_id: str
    def __init__(self, topics: _Optional[_Iterable[str]] = ..., after_event_id: _Optional[str] = ...) -> None: ...

class SubscribeResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: Event
    def __init__(self, event: _Optional[_Union[Event, _Mapping]] = ...) -> None: ...

class DeploymentProgress(_message.Message):
    __slots__ = ("deployment_id", "bars_processed", "orders_submitted", "equity", "last_bar_time", "state")
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    BARS_PROCESSED_FIELD_NUMBER: _ClassVar[int]
    ORDERS_SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    LAST_BAR_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    bars_processed: int
    orders_submitted: int
    equity: str
    last_bar_time: _timestamp_pb2.Timestamp
    state: str
    def __init__(self, deployment_id: _Optional[str] = ..., bars_processed: _Optional[int] = ..., orders_submitted: _Optional[int] = ..., equity: _Optional[str] = ..., last_bar_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[str] = ...) -> None: ...

class PublishRequest(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: Event
    def __init__(self, event: _Optional[_Union[Event, _Mapping]] = ...) -> None: ...

class PublishResponse(_message.Message):
    __slots__ = ("event_id",)
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    def __init__(self, event_id: _Optional[str] = ...) -> None: ...
