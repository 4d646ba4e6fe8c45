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
