import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Event(_message.Message):
    __slots__ = ("event_id", "time", "topic", "owner_id", "type", "training_progress", "job_state_changed", "checkpoint_saved", "training_finished", "backtest_progress", "backtest_finished", "order_decided", "trading_state_changed", "heartbeat")
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
    def __init__(self, event_id: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., topic: _Optional[str] = ..., owner_id: _Optional[str] = ..., type: _Optional[str] = ..., training_progress: _Optional[_Union[TrainingProgress, _Mapping]] = ..., job_state_changed: _Optional[_Union[JobStateChanged, _Mapping]] = ..., checkpoint_saved: _Optional[_Union[CheckpointSaved, _Mapping]] = ..., training_finished: _Optional[_Union[TrainingFinished, _Mapping]] = ..., backtest_progress: _Optional[_Union[BacktestProgress, _Mapping]] = ..., backtest_finished: _Optional[_Union[BacktestFinished, _Mapping]] = ..., order_decided: _Optional[_Union[OrderDecided, _Mapping]] = ..., trading_state_changed: _Optional[_Union[TradingStateChanged, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ...) -> None: ...

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
    __slots__ = ("account_id", "old_state", "new_state", "reason", "changed_by")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    OLD_STATE_FIELD_NUMBER: _ClassVar[int]
    NEW_STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CHANGED_BY_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    old_state: str
    new_state: str
    reason: str
    changed_by: str
    def __init__(self, account_id: _Optional[str] = ..., old_state: _Optional[str] = ..., new_state: _Optional[str] = ..., reason: _Optional[str] = ..., changed_by: _Optional[str] = ...) -> None: ...

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
