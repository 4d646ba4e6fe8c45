import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from trademaster.api.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BacktestState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BACKTEST_STATE_UNSPECIFIED: _ClassVar[BacktestState]
    BACKTEST_STATE_QUEUED: _ClassVar[BacktestState]
    BACKTEST_STATE_RUNNING: _ClassVar[BacktestState]
    BACKTEST_STATE_SUCCEEDED: _ClassVar[BacktestState]
    BACKTEST_STATE_FAILED: _ClassVar[BacktestState]
    BACKTEST_STATE_CANCELLING: _ClassVar[BacktestState]
    BACKTEST_STATE_CANCELLED: _ClassVar[BacktestState]

class FillTiming(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FILL_TIMING_UNSPECIFIED: _ClassVar[FillTiming]
    FILL_TIMING_NEXT_OPEN: _ClassVar[FillTiming]
    FILL_TIMING_NEXT_CLOSE: _ClassVar[FillTiming]
    FILL_TIMING_SAME_CLOSE: _ClassVar[FillTiming]

class TradeSide(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRADE_SIDE_UNSPECIFIED: _ClassVar[TradeSide]
    TRADE_SIDE_BUY: _ClassVar[TradeSide]
    TRADE_SIDE_SELL: _ClassVar[TradeSide]

class TradeEffect(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRADE_EFFECT_UNSPECIFIED: _ClassVar[TradeEffect]
    TRADE_EFFECT_ENTRY: _ClassVar[TradeEffect]
    TRADE_EFFECT_EXIT: _ClassVar[TradeEffect]
BACKTEST_STATE_UNSPECIFIED: BacktestState
BACKTEST_STATE_QUEUED: BacktestState
BACKTEST_STATE_RUNNING: BacktestState
BACKTEST_STATE_SUCCEEDED: BacktestState
BACKTEST_STATE_FAILED: BacktestState
BACKTEST_STATE_CANCELLING: BacktestState
BACKTEST_STATE_CANCELLED: BacktestState
FILL_TIMING_UNSPECIFIED: FillTiming
FILL_TIMING_NEXT_OPEN: FillTiming
FILL_TIMING_NEXT_CLOSE: FillTiming
FILL_TIMING_SAME_CLOSE: FillTiming
TRADE_SIDE_UNSPECIFIED: TradeSide
TRADE_SIDE_BUY: TradeSide
TRADE_SIDE_SELL: TradeSide
TRADE_EFFECT_UNSPECIFIED: TradeEffect
TRADE_EFFECT_ENTRY: TradeEffect
TRADE_EFFECT_EXIT: TradeEffect

class SignalSeries(_message.Message):
    __slots__ = ("signals",)
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    signals: _containers.RepeatedCompositeFieldContainer[Signal]
    def __init__(self, signals: _Optional[_Iterable[_Union[Signal, _Mapping]]] = ...) -> None: ...

class Signal(_message.Message):
    __slots__ = ("time", "asset", "target_weight")
    TIME_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    TARGET_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    time: _timestamp_pb2.Timestamp
    asset: str
    target_weight: str
    def __init__(self, time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., asset: _Optional[str] = ..., target_weight: _Optional[str] = ...) -> None: ...

class FixedBpsSlippage(_message.Message):
    __slots__ = ("bps",)
    BPS_FIELD_NUMBER: _ClassVar[int]
    bps: str
    def __init__(self, bps: _Optional[str] = ...) -> None: ...

class VolumeShareSlippage(_message.Message):
    __slots__ = ("volume_limit", "price_impact")
    VOLUME_LIMIT_FIELD_NUMBER: _ClassVar[int]
    PRICE_IMPACT_FIELD_NUMBER: _ClassVar[int]
    volume_limit: str
    price_impact: str
    def __init__(self, volume_limit: _Optional[str] = ..., price_impact: _Optional[str] = ...) -> None: ...

class SqrtImpactSlippage(_message.Message):
    __slots__ = ("coefficient", "window")
    COEFFICIENT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    coefficient: str
    window: int
    def __init__(self, coefficient: _Optional[str] = ..., window: _Optional[int] = ...) -> None: ...

class SlippageModel(_message.Message):
    __slots__ = ("fixed_bps", "volume_share", "sqrt_impact")
    FIXED_BPS_FIELD_NUMBER: _ClassVar[int]
    VOLUME_SHARE_FIELD_NUMBER: _ClassVar[int]
    SQRT_IMPACT_FIELD_NUMBER: _ClassVar[int]
    fixed_bps: FixedBpsSlippage
    volume_share: VolumeShareSlippage
    sqrt_impact: SqrtImpactSlippage
    def __init__(self, fixed_bps: _Optional[_Union[FixedBpsSlippage, _Mapping]] = ..., volume_share: _Optional[_Union[VolumeShareSlippage, _Mapping]] = ..., sqrt_impact: _Optional[_Union[SqrtImpactSlippage, _Mapping]] = ...) -> None: ...

class BacktestSpec(_message.Message):
    __slots__ = ("training_job_id", "checkpoint_uri", "baseline", "signal_series", "dataset_id", "date_range", "initial_cash", "fee_rate", "fixed_fee", "slippage", "fill_timing", "benchmark")
    TRAINING_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_URI_FIELD_NUMBER: _ClassVar[int]
    BASELINE_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_SERIES_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_RANGE_FIELD_NUMBER: _ClassVar[int]
    INITIAL_CASH_FIELD_NUMBER: _ClassVar[int]
    FEE_RATE_FIELD_NUMBER: _ClassVar[int]
    FIXED_FEE_FIELD_NUMBER: _ClassVar[int]
    SLIPPAGE_FIELD_NUMBER: _ClassVar[int]
    FILL_TIMING_FIELD_NUMBER: _ClassVar[int]
    BENCHMARK_FIELD_NUMBER: _ClassVar[int]
    training_job_id: str
    checkpoint_uri: str
    baseline: str
    signal_series: SignalSeries
    dataset_id: str
    date_range: _common_pb2.DateRange
    initial_cash: str
    fee_rate: str
    fixed_fee: str
    slippage: SlippageModel
    fill_timing: FillTiming
    benchmark: str
    def __init__(self, training_job_id: _Optional[str] = ..., checkpoint_uri: _Optional[str] = ..., baseline: _Optional[str] = ..., signal_series: _Optional[_Union[SignalSeries, _Mapping]] = ..., dataset_id: _Optional[str] = ..., date_range: _Optional[_Union[_common_pb2.DateRange, _Mapping]] = ..., initial_cash: _Optional[str] = ..., fee_rate: _Optional[str] = ..., fixed_fee: _Optional[str] = ..., slippage: _Optional[_Union[SlippageModel, _Mapping]] = ..., fill_timing: _Optional[_Union[FillTiming, str]] = ..., benchmark: _Optional[str] = ...) -> None: ...

class Backtest(_message.Message):
    __slots__ = ("backtest_id", "owner_id", "spec", "state", "failure_reason", "progress", "summary_metrics", "create_time", "start_time", "end_time", "update_time", "allowed_actions", "resource_usage")
    class SummaryMetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class ResourceUsageEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_METRICS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_USAGE_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    owner_id: str
    spec: BacktestSpec
    state: BacktestState
    failure_reason: str
    progress: float
    summary_metrics: _containers.ScalarMap[str, float]
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    allowed_actions: _containers.RepeatedScalarFieldContainer[_common_pb2.JobAction]
    resource_usage: _containers.ScalarMap[str, float]
    def __init__(self, backtest_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., spec: _Optional[_Union[BacktestSpec, _Mapping]] = ..., state: _Optional[_Union[BacktestState, str]] = ..., failure_reason: _Optional[str] = ..., progress: _Optional[float] = ..., summary_metrics: _Optional[_Mapping[str, float]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., allowed_actions: _Optional[_Iterable[_Union[_common_pb2.JobAction, str]]] = ..., resource_usage: _Optional[_Mapping[str, float]] = ...) -> None: ...

class ResourceSample(_message.Message):
    __slots__ = ("t", "cpu_percent", "rss_mib", "gpu_util_percent", "gpu_memory_mib")
    T_FIELD_NUMBER: _ClassVar[int]
    CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    RSS_MIB_FIELD_NUMBER: _ClassVar[int]
    GPU_UTIL_PERCENT_FIELD_NUMBER: _ClassVar[int]
    GPU_MEMORY_MIB_FIELD_NUMBER: _ClassVar[int]
    t: float
    cpu_percent: float
    rss_mib: float
    gpu_util_percent: float
    gpu_memory_mib: float
    def __init__(self, t: _Optional[float] = ..., cpu_percent: _Optional[float] = ..., rss_mib: _Optional[float] = ..., gpu_util_percent: _Optional[float] = ..., gpu_memory_mib: _Optional[float] = ...) -> None: ...

class EquityPoint(_message.Message):
    __slots__ = ("time", "equity", "benchmark_equity", "drawdown", "regime")
    TIME_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    BENCHMARK_EQUITY_FIELD_NUMBER: _ClassVar[int]
    DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    REGIME_FIELD_NUMBER: _ClassVar[int]
    time: _timestamp_pb2.Timestamp
    equity: str
    benchmark_equity: str
    drawdown: float
    regime: str
    def __init__(self, time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., equity: _Optional[str] = ..., benchmark_equity: _Optional[str] = ..., drawdown: _Optional[float] = ..., regime: _Optional[str] = ...) -> None: ...

class Trade(_message.Message):
    __slots__ = ("time", "asset", "side", "quantity", "price", "fee", "slippage", "effect", "realized_pnl")
    TIME_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    SLIPPAGE_FIELD_NUMBER: _ClassVar[int]
    EFFECT_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    time: _timestamp_pb2.Timestamp
    asset: str
    side: TradeSide
    quantity: str
    price: str
    fee: str
    slippage: str
    effect: TradeEffect
    realized_pnl: str
    def __init__(self, time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., asset: _Optional[str] = ..., side: _Optional[_Union[TradeSide, str]] = ..., quantity: _Optional[str] = ..., price: _Optional[str] = ..., fee: _Optional[str] = ..., slippage: _Optional[str] = ..., effect: _Optional[_Union[TradeEffect, str]] = ..., realized_pnl: _Optional[str] = ...) -> None: ...

class RegimeBreakdown(_message.Message):
    __slots__ = ("regime", "bars", "metrics")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    REGIME_FIELD_NUMBER: _ClassVar[int]
    BARS_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    regime: str
    bars: int
    metrics: _containers.ScalarMap[str, float]
    def __init__(self, regime: _Optional[str] = ..., bars: _Optional[int] = ..., metrics: _Optional[_Mapping[str, float]] = ...) -> None: ...

class DynamicsPolicy(_message.Message):
    __slots__ = ("policy", "metrics")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    POLICY_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    policy: str
    metrics: _containers.ScalarMap[str, float]
    def __init__(self, policy: _Optional[str] = ..., metrics: _Optional[_Mapping[str, float]] = ...) -> None: ...

class DynamicsTest(_message.Message):
    __slots__ = ("label", "segments", "policies", "scores")
    class ScoresEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    LABEL_FIELD_NUMBER: _ClassVar[int]
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    POLICIES_FIELD_NUMBER: _ClassVar[int]
    SCORES_FIELD_NUMBER: _ClassVar[int]
    label: str
    segments: int
    policies: _containers.RepeatedCompositeFieldContainer[DynamicsPolicy]
    scores: _containers.ScalarMap[str, float]
    def __init__(self, label: _Optional[str] = ..., segments: _Optional[int] = ..., policies: _Optional[_Iterable[_Union[DynamicsPolicy, _Mapping]]] = ..., scores: _Optional[_Mapping[str, float]] = ...) -> None: ...

class CreateBacktestRequest(_message.Message):
    __slots__ = ("spec", "request_id")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    spec: BacktestSpec
    request_id: str
    def __init__(self, spec: _Optional[_Union[BacktestSpec, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateBacktestResponse(_message.Message):
    __slots__ = ("backtest",)
    BACKTEST_FIELD_NUMBER: _ClassVar[int]
    backtest: Backtest
    def __init__(self, backtest: _Optional[_Union[Backtest, _Mapping]] = ...) -> None: ...

class GetBacktestRequest(_message.Message):
    __slots__ = ("backtest_id",)
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    def __init__(self, backtest_id: _Optional[str] = ...) -> None: ...

class GetBacktestResponse(_message.Message):
    __slots__ = ("backtest",)
    BACKTEST_FIELD_NUMBER: _ClassVar[int]
    backtest: Backtest
    def __init__(self, backtest: _Optional[_Union[Backtest, _Mapping]] = ...) -> None: ...

class ListBacktestsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "states", "training_job_id", "owner_id", "shared_with_me")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    TRAINING_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    SHARED_WITH_ME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    states: _containers.RepeatedScalarFieldContainer[BacktestState]
    training_job_id: str
    owner_id: str
    shared_with_me: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., states: _Optional[_Iterable[_Union[BacktestState, str]]] = ..., training_job_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., shared_with_me: _Optional[bool] = ...) -> None: ...

class ListBacktestsResponse(_message.Message):
    __slots__ = ("backtests", "next_page_token")
    BACKTESTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    backtests: _containers.RepeatedCompositeFieldContainer[Backtest]
    next_page_token: str
    def __init__(self, backtests: _Optional[_Iterable[_Union[Backtest, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelBacktestRequest(_message.Message):
    __slots__ = ("backtest_id",)
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    def __init__(self, backtest_id: _Optional[str] = ...) -> None: ...

class CancelBacktestResponse(_message.Message):
    __slots__ = ("backtest",)
    BACKTEST_FIELD_NUMBER: _ClassVar[int]
    backtest: Backtest
    def __init__(self, backtest: _Optional[_Union[Backtest, _Mapping]] = ...) -> None: ...

class GetBacktestResultRequest(_message.Message):
    __slots__ = ("backtest_id", "max_equity_points", "trades_page_size", "trades_page_token")
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_EQUITY_POINTS_FIELD_NUMBER: _ClassVar[int]
    TRADES_PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    TRADES_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    max_equity_points: int
    trades_page_size: int
    trades_page_token: str
    def __init__(self, backtest_id: _Optional[str] = ..., max_equity_points: _Optional[int] = ..., trades_page_size: _Optional[int] = ..., trades_page_token: _Optional[str] = ...) -> None: ...

class GetBacktestResultResponse(_message.Message):
    __slots__ = ("backtest_id", "metrics", "equity_curve", "trades", "next_trades_page_token", "regimes", "artifacts", "dynamics_tests", "resource_history")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    EQUITY_CURVE_FIELD_NUMBER: _ClassVar[int]
    TRADES_FIELD_NUMBER: _ClassVar[int]
    NEXT_TRADES_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REGIMES_FIELD_NUMBER: _ClassVar[int]
    ARTIFACTS_FIELD_NUMBER: _ClassVar[int]
    DYNAMICS_TESTS_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_HISTORY_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    metrics: _containers.ScalarMap[str, float]
    equity_curve: _containers.RepeatedCompositeFieldContainer[EquityPoint]
    trades: _containers.RepeatedCompositeFieldContainer[Trade]
    next_trades_page_token: str
    regimes: _containers.RepeatedCompositeFieldContainer[RegimeBreakdown]
    artifacts: _containers.RepeatedCompositeFieldContainer[_common_pb2.Artifact]
    dynamics_tests: _containers.RepeatedCompositeFieldContainer[DynamicsTest]
    resource_history: _containers.RepeatedCompositeFieldContainer[ResourceSample]
    def __init__(self, backtest_id: _Optional[str] = ..., metrics: _Optional[_Mapping[str, float]] = ..., equity_curve: _Optional[_Iterable[_Union[EquityPoint, _Mapping]]] = ..., trades: _Optional[_Iterable[_Union[Trade, _Mapping]]] = ..., next_trades_page_token: _Optional[str] = ..., regimes: _Optional[_Iterable[_Union[RegimeBreakdown, _Mapping]]] = ..., artifacts: _Optional[_Iterable[_Union[_common_pb2.Artifact, _Mapping]]] = ..., dynamics_tests: _Optional[_Iterable[_Union[DynamicsTest, _Mapping]]] = ..., resource_history: _Optional[_Iterable[_Union[ResourceSample, _Mapping]]] = ...) -> None: ...

class GetBacktestArtifactRequest(_message.Message):
    __slots__ = ("backtest_id", "name")
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    name: str
    def __init__(self, backtest_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class GetBacktestArtifactResponse(_message.Message):
    __slots__ = ("data", "media_type", "size_bytes")
    DATA_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    media_type: str
    size_bytes: int
    def __init__(self, data: _Optional[bytes] = ..., media_type: _Optional[str] = ..., size_bytes: _Optional[int] = ...) -> None: ...

class ShareBacktestRequest(_message.Message):
    __slots__ = ("backtest_id", "user_id")
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    user_id: str
    def __init__(self, backtest_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class ShareBacktestResponse(_message.Message):
    __slots__ = ("share",)
    SHARE_FIELD_NUMBER: _ClassVar[int]
    share: _common_pb2.ResourceShare
    def __init__(self, share: _Optional[_Union[_common_pb2.ResourceShare, _Mapping]] = ...) -> None: ...

class UnshareBacktestRequest(_message.Message):
    __slots__ = ("backtest_id", "user_id")
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    user_id: str
    def __init__(self, backtest_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class UnshareBacktestResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListBacktestSharesRequest(_message.Message):
    __slots__ = ("backtest_id",)
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    def __init__(self, backtest_id: _Optional[str] = ...) -> None: ...

class ListBacktestSharesResponse(_message.Message):
    __slots__ = ("shares",)
    SHARES_FIELD_NUMBER: _ClassVar[int]
    shares: _containers.RepeatedCompositeFieldContainer[_common_pb2.ResourceShare]
    def __init__(self, shares: _Optional[_Iterable[_Union[_common_pb2.ResourceShare, _Mapping]]] = ...) -> None: ...
