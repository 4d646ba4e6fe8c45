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

class DeploymentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEPLOYMENT_STATE_UNSPECIFIED: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_QUEUED: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_RUNNING: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_PAUSED: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_CANCELLING: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_CANCELLED: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_FAILED: _ClassVar[DeploymentState]

class TradingMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRADING_MODE_UNSPECIFIED: _ClassVar[TradingMode]
    TRADING_MODE_PAPER: _ClassVar[TradingMode]
    TRADING_MODE_LIVE: _ClassVar[TradingMode]

class PromotionStage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROMOTION_STAGE_UNSPECIFIED: _ClassVar[PromotionStage]
    PROMOTION_STAGE_PAPER: _ClassVar[PromotionStage]
    PROMOTION_STAGE_LIVE: _ClassVar[PromotionStage]

class PromotionState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROMOTION_STATE_UNSPECIFIED: _ClassVar[PromotionState]
    PROMOTION_STATE_PENDING_APPROVAL: _ClassVar[PromotionState]
    PROMOTION_STATE_APPROVED: _ClassVar[PromotionState]
    PROMOTION_STATE_REJECTED: _ClassVar[PromotionState]
DEPLOYMENT_STATE_UNSPECIFIED: DeploymentState
DEPLOYMENT_STATE_QUEUED: DeploymentState
DEPLOYMENT_STATE_RUNNING: DeploymentState
DEPLOYMENT_STATE_PAUSED: DeploymentState
DEPLOYMENT_STATE_CANCELLING: DeploymentState
DEPLOYMENT_STATE_CANCELLED: DeploymentState
DEPLOYMENT_STATE_FAILED: DeploymentState
TRADING_MODE_UNSPECIFIED: TradingMode
TRADING_MODE_PAPER: TradingMode
TRADING_MODE_LIVE: TradingMode
PROMOTION_STAGE_UNSPECIFIED: PromotionStage
PROMOTION_STAGE_PAPER: PromotionStage
PROMOTION_STAGE_LIVE: PromotionStage
PROMOTION_STATE_UNSPECIFIED: PromotionState
PROMOTION_STATE_PENDING_APPROVAL: PromotionState
PROMOTION_STATE_APPROVED: PromotionState
PROMOTION_STATE_REJECTED: PromotionState

class DeploymentLimits(_message.Message):
    __slots__ = ("max_position_quantity", "max_order_quantity", "capital_fraction")
    MAX_POSITION_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    MAX_ORDER_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    CAPITAL_FRACTION_FIELD_NUMBER: _ClassVar[int]
    max_position_quantity: str
    max_order_quantity: str
    capital_fraction: str
    def __init__(self, max_position_quantity: _Optional[str] = ..., max_order_quantity: _Optional[str] = ..., capital_fraction: _Optional[str] = ...) -> None: ...

class Deployment(_message.Message):
    __slots__ = ("deployment_id", "owner_id", "model_id", "model_version", "account_id", "instruments", "bar_source", "bar_interval_seconds", "mode", "limits", "state", "allowed_actions", "last_bar_time", "bars_processed", "orders_submitted", "model_uri", "failure_reason", "attempt", "create_time", "update_time", "registry_deployment_id")
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENTS_FIELD_NUMBER: _ClassVar[int]
    BAR_SOURCE_FIELD_NUMBER: _ClassVar[int]
    BAR_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    LAST_BAR_TIME_FIELD_NUMBER: _ClassVar[int]
    BARS_PROCESSED_FIELD_NUMBER: _ClassVar[int]
    ORDERS_SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    MODEL_URI_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    REGISTRY_DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    owner_id: str
    model_id: str
    model_version: int
    account_id: str
    instruments: _containers.RepeatedScalarFieldContainer[str]
    bar_source: str
    bar_interval_seconds: int
    mode: TradingMode
    limits: DeploymentLimits
    state: DeploymentState
    allowed_actions: _containers.RepeatedScalarFieldContainer[_common_pb2.JobAction]
    last_bar_time: _timestamp_pb2.Timestamp
    bars_processed: int
    orders_submitted: int
    model_uri: str
    failure_reason: str
    attempt: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    registry_deployment_id: str
    def __init__(self, deployment_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., model_id: _Optional[str] = ..., model_version: _Optional[int] = ..., account_id: _Optional[str] = ..., instruments: _Optional[_Iterable[str]] = ..., bar_source: _Optional[str] = ..., bar_interval_seconds: _Optional[int] = ..., mode: _Optional[_Union[TradingMode, str]] = ..., limits: _Optional[_Union[DeploymentLimits, _Mapping]] = ..., state: _Optional[_Union[DeploymentState, str]] = ..., allowed_actions: _Optional[_Iterable[_Union[_common_pb2.JobAction, str]]] = ..., last_bar_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., bars_processed: _Optional[int] = ..., orders_submitted: _Optional[int] = ..., model_uri: _Optional[str] = ..., failure_reason: _Optional[str] = ..., attempt: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., registry_deployment_id: _Optional[str] = ...) -> None: ...

class CreateDeploymentRequest(_message.Message):
    __slots__ = ("deployment", "request_id")
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    request_id: str
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateDeploymentResponse(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ...) -> None: ...

class GetDeploymentRequest(_message.Message):
    __slots__ = ("deployment_id",)
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    def __init__(self, deployment_id: _Optional[str] = ...) -> None: ...

class GetDeploymentResponse(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ...) -> None: ...

class ListDeploymentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "account_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    account_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., account_id: _Optional[str] = ...) -> None: ...

class ListDeploymentsResponse(_message.Message):
    __slots__ = ("deployments", "next_page_token")
    DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    deployments: _containers.RepeatedCompositeFieldContainer[Deployment]
    next_page_token: str
    def __init__(self, deployments: _Optional[_Iterable[_Union[Deployment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetDeploymentEquityRequest(_message.Message):
    __slots__ = ("deployment_id", "page_size", "page_token")
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    page_size: int
    page_token: str
    def __init__(self, deployment_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class EquitySample(_message.Message):
    __slots__ = ("bar_time", "equity", "bars_processed", "orders_submitted")
    BAR_TIME_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    BARS_PROCESSED_FIELD_NUMBER: _ClassVar[int]
    ORDERS_SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    bar_time: _timestamp_pb2.Timestamp
    equity: str
    bars_processed: int
    orders_submitted: int
    def __init__(self, bar_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., equity: _Optional[str] = ..., bars_processed: _Optional[int] = ..., orders_submitted: _Optional[int] = ...) -> None: ...

class GetDeploymentEquityResponse(_message.Message):
    __slots__ = ("samples", "next_page_token")
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    samples: _containers.RepeatedCompositeFieldContainer[EquitySample]
    next_page_token: str
    def __init__(self, samples: _Optional[_Iterable[_Union[EquitySample, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PauseDeploymentRequest(_message.Message):
    __slots__ = ("deployment_id",)
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    def __init__(self, deployment_id: _Optional[str] = ...) -> None: ...

class PauseDeploymentResponse(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ...) -> None: ...

class ResumeDeploymentRequest(_message.Message):
    __slots__ = ("deployment_id",)
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    def __init__(self, deployment_id: _Optional[str] = ...) -> None: ...

class ResumeDeploymentResponse(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ...) -> None: ...

class StopDeploymentRequest(_message.Message):
    __slots__ = ("deployment_id", "flatten")
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    FLATTEN_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    flatten: bool
    def __init__(self, deployment_id: _Optional[str] = ..., flatten: _Optional[bool] = ...) -> None: ...

class StopDeploymentResponse(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ...) -> None: ...

class GateRuleResult(_message.Message):
    __slots__ = ("rule", "threshold", "actual", "passed", "detail")
    RULE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    ACTUAL_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    rule: str
    threshold: str
    actual: str
    passed: bool
    detail: str
    def __init__(self, rule: _Optional[str] = ..., threshold: _Optional[str] = ..., actual: _Optional[str] = ..., passed: _Optional[bool] = ..., detail: _Optional[str] = ...) -> None: ...

class PromotionPolicy(_message.Message):
    __slots__ = ("owner_id", "min_backtest_trades", "max_backtest_drawdown", "min_backtest_sharpe", "min_paper_bars", "max_breaker_trips", "max_tracking_error_bps", "updated_by", "update_time", "is_default")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    MIN_BACKTEST_TRADES_FIELD_NUMBER: _ClassVar[int]
    MAX_BACKTEST_DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    MIN_BACKTEST_SHARPE_FIELD_NUMBER: _ClassVar[int]
    MIN_PAPER_BARS_FIELD_NUMBER: _ClassVar[int]
    MAX_BREAKER_TRIPS_FIELD_NUMBER: _ClassVar[int]
    MAX_TRACKING_ERROR_BPS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    min_backtest_trades: int
    max_backtest_drawdown: float
    min_backtest_sharpe: float
    min_paper_bars: int
    max_breaker_trips: int
    max_tracking_error_bps: float
    updated_by: str
    update_time: _timestamp_pb2.Timestamp
    is_default: bool
    def __init__(self, owner_id: _Optional[str] = ..., min_backtest_trades: _Optional[int] = ..., max_backtest_drawdown: _Optional[float] = ..., min_backtest_sharpe: _Optional[float] = ..., min_paper_bars: _Optional[int] = ..., max_breaker_trips: _Optional[int] = ..., max_tracking_error_bps: _Optional[float] = ..., updated_by: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., is_default: _Optional[bool] = ...) -> None: ...

class Promotion(_message.Message):
    __slots__ = ("promotion_id", "owner_id", "model_id", "model_version", "account_id", "stage", "state", "rules", "passed", "requested_by", "decided_by", "decision_reason", "create_time", "decide_time")
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    DECISION_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DECIDE_TIME_FIELD_NUMBER: _ClassVar[int]
    promotion_id: str
    owner_id: str
    model_id: str
    model_version: int
    account_id: str
    stage: PromotionStage
    state: PromotionState
    rules: _containers.RepeatedCompositeFieldContainer[GateRuleResult]
    passed: bool
    requested_by: str
    decided_by: str
    decision_reason: str
    create_time: _timestamp_pb2.Timestamp
    decide_time: _timestamp_pb2.Timestamp
    def __init__(self, promotion_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., model_id: _Optional[str] = ..., model_version: _Optional[int] = ..., account_id: _Optional[str] = ..., stage: _Optional[_Union[PromotionStage, str]] = ..., state: _Optional[_Union[PromotionState, str]] = ..., rules: _Optional[_Iterable[_Union[GateRuleResult, _Mapping]]] = ..., passed: _Optional[bool] = ..., requested_by: _Optional[str] = ..., decided_by: _Optional[str] = ..., decision_reason: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decide_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EvaluatePromotionRequest(_message.Message):
    __slots__ = ("model_id", "model_version", "stage", "account_id")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    model_version: int
    stage: PromotionStage
    account_id: str
    def __init__(self, model_id: _Optional[str] = ..., model_version: _Optional[int] = ..., stage: _Optional[_Union[PromotionStage, str]] = ..., account_id: _Optional[str] = ...) -> None: ...

class EvaluatePromotionResponse(_message.Message):
    __slots__ = ("rules", "passed")
    RULES_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[GateRuleResult]
    passed: bool
    def __init__(self, rules: _Optional[_Iterable[_Union[GateRuleResult, _Mapping]]] = ..., passed: _Optional[bool] = ...) -> None: ...

class RequestPromotionRequest(_message.Message):
    __slots__ = ("model_id", "model_version", "stage", "account_id")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    model_version: int
    stage: PromotionStage
    account_id: str
    def __init__(self, model_id: _Optional[str] = ..., model_version: _Optional[int] = ..., stage: _Optional[_Union[PromotionStage, str]] = ..., account_id: _Optional[str] = ...) -> None: ...

class RequestPromotionResponse(_message.Message):
    __slots__ = ("promotion",)
    PROMOTION_FIELD_NUMBER: _ClassVar[int]
    promotion: Promotion
    def __init__(self, promotion: _Optional[_Union[Promotion, _Mapping]] = ...) -> None: ...

class ApprovePromotionRequest(_message.Message):
    __slots__ = ("promotion_id", "approve", "reason")
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    promotion_id: str
    approve: bool
    reason: str
    def __init__(self, promotion_id: _Optional[str] = ..., approve: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...

class ApprovePromotionResponse(_message.Message):
    __slots__ = ("promotion",)
    PROMOTION_FIELD_NUMBER: _ClassVar[int]
    promotion: Promotion
    def __init__(self, promotion: _Optional[_Union[Promotion, _Mapping]] = ...) -> None: ...

class ListPromotionsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "model_id", "state")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    model_id: str
    state: PromotionState
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., model_id: _Optional[str] = ..., state: _Optional[_Union[PromotionState, str]] = ...) -> None: ...

class ListPromotionsResponse(_message.Message):
    __slots__ = ("promotions", "next_page_token")
    PROMOTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    promotions: _containers.RepeatedCompositeFieldContainer[Promotion]
    next_page_token: str
    def __init__(self, promotions: _Optional[_Iterable[_Union[Promotion, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetPromotionPolicyRequest(_message.Message):
    __slots__ = ("owner_id",)
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    def __init__(self, owner_id: _Optional[str] = ...) -> None: ...

class GetPromotionPolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: PromotionPolicy
    def __init__(self, policy: _Optional[_Union[PromotionPolicy, _Mapping]] = ...) -> None: ...

class SetPromotionPolicyRequest(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: PromotionPolicy
    def __init__(self, policy: _Optional[_Union[PromotionPolicy, _Mapping]] = ...) -> None: ...

class SetPromotionPolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: PromotionPolicy
    def __init__(self, policy: _Optional[_Union[PromotionPolicy, _Mapping]] = ...) -> None: ...

class RollbackDeploymentRequest(_message.Message):
    __slots__ = ("account_id", "flatten")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    FLATTEN_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    flatten: bool
    def __init__(self, account_id: _Optional[str] = ..., flatten: _Optional[bool] = ...) -> None: ...

class RollbackDeploymentResponse(_message.Message):
    __slots__ = ("stopped", "started")
    STOPPED_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    stopped: Deployment
    started: Deployment
    def __init__(self, stopped: _Optional[_Union[Deployment, _Mapping]] = ..., started: _Optional[_Union[Deployment, _Mapping]] = ...) -> None: ...
