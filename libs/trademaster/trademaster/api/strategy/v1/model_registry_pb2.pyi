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

class DeploymentMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEPLOYMENT_MODE_UNSPECIFIED: _ClassVar[DeploymentMode]
    DEPLOYMENT_MODE_PAPER: _ClassVar[DeploymentMode]
    DEPLOYMENT_MODE_LIVE: _ClassVar[DeploymentMode]

class ModelEventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODEL_EVENT_KIND_UNSPECIFIED: _ClassVar[ModelEventKind]
    MODEL_EVENT_KIND_MODEL_CREATED: _ClassVar[ModelEventKind]
    MODEL_EVENT_KIND_VERSION_CREATED: _ClassVar[ModelEventKind]
    MODEL_EVENT_KIND_VERSION_DELETED: _ClassVar[ModelEventKind]
    MODEL_EVENT_KIND_TAG_SET: _ClassVar[ModelEventKind]
    MODEL_EVENT_KIND_TAG_REMOVED: _ClassVar[ModelEventKind]
    MODEL_EVENT_KIND_ALIAS_SET: _ClassVar[ModelEventKind]
    MODEL_EVENT_KIND_ALIAS_REMOVED: _ClassVar[ModelEventKind]
    MODEL_EVENT_KIND_DEPLOYMENT_STARTED: _ClassVar[ModelEventKind]
    MODEL_EVENT_KIND_DEPLOYMENT_ENDED: _ClassVar[ModelEventKind]
DEPLOYMENT_MODE_UNSPECIFIED: DeploymentMode
DEPLOYMENT_MODE_PAPER: DeploymentMode
DEPLOYMENT_MODE_LIVE: DeploymentMode
MODEL_EVENT_KIND_UNSPECIFIED: ModelEventKind
MODEL_EVENT_KIND_MODEL_CREATED: ModelEventKind
MODEL_EVENT_KIND_VERSION_CREATED: ModelEventKind
MODEL_EVENT_KIND_VERSION_DELETED: ModelEventKind
MODEL_EVENT_KIND_TAG_SET: ModelEventKind
MODEL_EVENT_KIND_TAG_REMOVED: ModelEventKind
MODEL_EVENT_KIND_ALIAS_SET: ModelEventKind
MODEL_EVENT_KIND_ALIAS_REMOVED: ModelEventKind
MODEL_EVENT_KIND_DEPLOYMENT_STARTED: ModelEventKind
MODEL_EVENT_KIND_DEPLOYMENT_ENDED: ModelEventKind

class RegisteredModel(_message.Message):
    __slots__ = ("model_id", "owner_id", "name", "description", "latest_version", "aliases", "create_time", "update_time")
    class AliasesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LATEST_VERSION_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    owner_id: str
    name: str
    description: str
    latest_version: int
    aliases: _containers.ScalarMap[str, int]
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, model_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., latest_version: _Optional[int] = ..., aliases: _Optional[_Mapping[str, int]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ModelVersionBacktest(_message.Message):
    __slots__ = ("backtest_id", "state", "dataset_id", "summary_metrics", "create_time", "date_range")
    class SummaryMetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_METRICS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DATE_RANGE_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    state: str
    dataset_id: str
    summary_metrics: _containers.ScalarMap[str, float]
    create_time: _timestamp_pb2.Timestamp
    date_range: _common_pb2.DateRange
    def __init__(self, backtest_id: _Optional[str] = ..., state: _Optional[str] = ..., dataset_id: _Optional[str] = ..., summary_metrics: _Optional[_Mapping[str, float]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., date_range: _Optional[_Union[_common_pb2.DateRange, _Mapping]] = ...) -> None: ...

class ModelDeployment(_message.Message):
    __slots__ = ("deployment_id", "owner_id", "model_id", "version", "account_id", "mode", "start_time", "end_time")
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    owner_id: str
    model_id: str
    version: int
    account_id: str
    mode: DeploymentMode
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, deployment_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., model_id: _Optional[str] = ..., version: _Optional[int] = ..., account_id: _Optional[str] = ..., mode: _Optional[_Union[DeploymentMode, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ModelVersion(_message.Message):
    __slots__ = ("model_id", "version", "owner_id", "description", "training_job_id", "strategy_id", "strategy_version", "dataset_id", "dataset_content_hash", "model_uri", "run_spec_json", "run_record_json", "metrics", "tags", "aliases", "create_time", "ever_deployed", "backtests", "deployments")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TRAINING_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_VERSION_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    MODEL_URI_FIELD_NUMBER: _ClassVar[int]
    RUN_SPEC_JSON_FIELD_NUMBER: _ClassVar[int]
    RUN_RECORD_JSON_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EVER_DEPLOYED_FIELD_NUMBER: _ClassVar[int]
    BACKTESTS_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    version: int
    owner_id: str
    description: str
    training_job_id: str
    strategy_id: str
    strategy_version: int
    dataset_id: str
    dataset_content_hash: str
    model_uri: str
    run_spec_json: str
    run_record_json: str
    metrics: _containers.ScalarMap[str, float]
    tags: _containers.ScalarMap[str, str]
    aliases: _containers.RepeatedScalarFieldContainer[str]
    create_time: _timestamp_pb2.Timestamp
    ever_deployed: bool
    backtests: _containers.RepeatedCompositeFieldContainer[ModelVersionBacktest]
    deployments: _containers.RepeatedCompositeFieldContainer[ModelDeployment]
    def __init__(self, model_id: _Optional[str] = ..., version: _Optional[int] = ..., owner_id: _Optional[str] = ..., description: _Optional[str] = ..., training_job_id: _Optional[str] = ..., strategy_id: _Optional[str] = ..., strategy_version: _Optional[int] = ..., dataset_id: _Optional[str] = ..., dataset_content_hash: _Optional[str] = ..., model_uri: _Optional[str] = ..., run_spec_json: _Optional[str] = ..., run_record_json: _Optional[str] = ..., metrics: _Optional[_Mapping[str, float]] = ..., tags: _Optional[_Mapping[str, str]] = ..., aliases: _Optional[_Iterable[str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ever_deployed: _Optional[bool] = ..., backtests: _Optional[_Iterable[_Union[ModelVersionBacktest, _Mapping]]] = ..., deployments: _Optional[_Iterable[_Union[ModelDeployment, _Mapping]]] = ...) -> None: ...

class ModelEvent(_message.Message):
    __slots__ = ("sequence", "kind", "model_id", "version", "alias", "tag_key", "tag_value", "deployment_id", "account_id", "actor", "time")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    TAG_KEY_FIELD_NUMBER: _ClassVar[int]
    TAG_VALUE_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    kind: ModelEventKind
    model_id: str
    version: int
    alias: str
    tag_key: str
    tag_value: str
    deployment_id: str
    account_id: str
    actor: str
    time: _timestamp_pb2.Timestamp
    def __init__(self, sequence: _Optional[int] = ..., kind: _Optional[_Union[ModelEventKind, str]] = ..., model_id: _Optional[str] = ..., version: _Optional[int] = ..., alias: _Optional[str] = ..., tag_key: _Optional[str] = ..., tag_value: _Optional[str] = ..., deployment_id: _Optional[str] = ..., account_id: _Optional[str] = ..., actor: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateRegisteredModelRequest(_message.Message):
    __slots__ = ("name", "description", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateRegisteredModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: RegisteredModel
    def __init__(self, model: _Optional[_Union[RegisteredModel, _Mapping]] = ...) -> None: ...

class GetRegisteredModelRequest(_message.Message):
    __slots__ = ("model_id",)
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    def __init__(self, model_id: _Optional[str] = ...) -> None: ...

class GetRegisteredModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: RegisteredModel
    def __init__(self, model: _Optional[_Union[RegisteredModel, _Mapping]] = ...) -> None: ...

class ListRegisteredModelsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "owner_id", "shared_with_me")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    SHARED_WITH_ME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    owner_id: str
    shared_with_me: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., owner_id: _Optional[str] = ..., shared_with_me: _Optional[bool] = ...) -> None: ...

class ListRegisteredModelsResponse(_message.Message):
    __slots__ = ("models", "next_page_token")
    MODELS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[RegisteredModel]
    next_page_token: str
    def __init__(self, models: _Optional[_Iterable[_Union[RegisteredModel, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateModelVersionRequest(_message.Message):
    __slots__ = ("model_id", "training_job_id", "description", "tags")
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    TRAINING_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    training_job_id: str
    description: str
    tags: _containers.ScalarMap[str, str]
    def __init__(self, model_id: _Optional[str] = ..., training_job_id: _Optional[str] = ..., description: _Optional[str] = ..., tags: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateModelVersionResponse(_message.Message):
    __slots__ = ("model_version",)
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    model_version: ModelVersion
    def __init__(self, model_version: _Optional[_Union[ModelVersion, _Mapping]] = ...) -> None: ...

class GetModelVersionRequest(_message.Message):
    __slots__ = ("model_id", "version")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    version: int
    def __init__(self, model_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class GetModelVersionResponse(_message.Message):
    __slots__ = ("model_version",)
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    model_version: ModelVersion
    def __init__(self, model_version: _Optional[_Union[ModelVersion, _Mapping]] = ...) -> None: ...

class ListModelVersionsRequest(_message.Message):
    __slots__ = ("model_id", "page_size", "page_token", "training_job_id", "strategy_id", "dataset_id")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TRAINING_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    page_size: int
    page_token: str
    training_job_id: str
    strategy_id: str
    dataset_id: str
    def __init__(self, model_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., training_job_id: _Optional[str] = ..., strategy_id: _Optional[str] = ..., dataset_id: _Optional[str] = ...) -> None: ...

class ListModelVersionsResponse(_message.Message):
    __slots__ = ("model_versions", "next_page_token")
    MODEL_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    model_versions: _containers.RepeatedCompositeFieldContainer[ModelVersion]
    next_page_token: str
    def __init__(self, model_versions: _Optional[_Iterable[_Union[ModelVersion, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateModelVersionTagsRequest(_message.Message):
    __slots__ = ("model_id", "version", "set_tags", "remove_tag_keys")
    class SetTagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SET_TAGS_FIELD_NUMBER: _ClassVar[int]
    REMOVE_TAG_KEYS_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    version: int
    set_tags: _containers.ScalarMap[str, str]
    remove_tag_keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, model_id: _Optional[str] = ..., version: _Optional[int] = ..., set_tags: _Optional[_Mapping[str, str]] = ..., remove_tag_keys: _Optional[_Iterable[str]] = ...) -> None: ...

class UpdateModelVersionTagsResponse(_message.Message):
    __slots__ = ("model_version",)
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    model_version: ModelVersion
    def __init__(self, model_version: _Optional[_Union[ModelVersion, _Mapping]] = ...) -> None: ...

class SetModelAliasRequest(_message.Message):
    __slots__ = ("model_id", "alias", "version")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    alias: str
    version: int
    def __init__(self, model_id: _Optional[str] = ..., alias: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class SetModelAliasResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: RegisteredModel
    def __init__(self, model: _Optional[_Union[RegisteredModel, _Mapping]] = ...) -> None: ...

class DeleteModelAliasRequest(_message.Message):
    __slots__ = ("model_id", "alias")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    alias: str
    def __init__(self, model_id: _Optional[str] = ..., alias: _Optional[str] = ...) -> None: ...

class DeleteModelAliasResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: RegisteredModel
    def __init__(self, model: _Optional[_Union[RegisteredModel, _Mapping]] = ...) -> None: ...

class ResolveModelAliasRequest(_message.Message):
    __slots__ = ("model_id", "alias", "as_of")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    alias: str
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, model_id: _Optional[str] = ..., alias: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ResolveModelAliasResponse(_message.Message):
    __slots__ = ("version", "set_by")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SET_BY_FIELD_NUMBER: _ClassVar[int]
    version: int
    set_by: ModelEvent
    def __init__(self, version: _Optional[int] = ..., set_by: _Optional[_Union[ModelEvent, _Mapping]] = ...) -> None: ...

class DeleteModelVersionRequest(_message.Message):
    __slots__ = ("model_id", "version")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    version: int
    def __init__(self, model_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class DeleteModelVersionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CompareModelVersionsRequest(_message.Message):
    __slots__ = ("model_id", "versions")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    versions: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, model_id: _Optional[str] = ..., versions: _Optional[_Iterable[int]] = ...) -> None: ...

class ComparedMetric(_message.Message):
    __slots__ = ("name", "values")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    name: str
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, name: _Optional[str] = ..., values: _Optional[_Iterable[float]] = ...) -> None: ...

class ComparedSetting(_message.Message):
    __slots__ = ("path", "values")
    PATH_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    path: str
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, path: _Optional[str] = ..., values: _Optional[_Iterable[str]] = ...) -> None: ...

class CompareModelVersionsResponse(_message.Message):
    __slots__ = ("model_versions", "metrics", "differing_settings")
    MODEL_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    DIFFERING_SETTINGS_FIELD_NUMBER: _ClassVar[int]
    model_versions: _containers.RepeatedCompositeFieldContainer[ModelVersion]
    metrics: _containers.RepeatedCompositeFieldContainer[ComparedMetric]
    differing_settings: _containers.RepeatedCompositeFieldContainer[ComparedSetting]
    def __init__(self, model_versions: _Optional[_Iterable[_Union[ModelVersion, _Mapping]]] = ..., metrics: _Optional[_Iterable[_Union[ComparedMetric, _Mapping]]] = ..., differing_settings: _Optional[_Iterable[_Union[ComparedSetting, _Mapping]]] = ...) -> None: ...

class ListModelHistoryRequest(_message.Message):
    __slots__ = ("model_id", "page_size", "page_token")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    page_size: int
    page_token: str
    def __init__(self, model_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListModelHistoryResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[ModelEvent]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[ModelEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RecordModelDeploymentRequest(_message.Message):
    __slots__ = ("model_id", "version", "account_id", "mode", "request_id")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    version: int
    account_id: str
    mode: DeploymentMode
    request_id: str
    def __init__(self, model_id: _Optional[str] = ..., version: _Optional[int] = ..., account_id: _Optional[str] = ..., mode: _Optional[_Union[DeploymentMode, str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordModelDeploymentResponse(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: ModelDeployment
    def __init__(self, deployment: _Optional[_Union[ModelDeployment, _Mapping]] = ...) -> None: ...

class EndModelDeploymentRequest(_message.Message):
    __slots__ = ("deployment_id",)
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    def __init__(self, deployment_id: _Optional[str] = ...) -> None: ...

class EndModelDeploymentResponse(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: ModelDeployment
    def __init__(self, deployment: _Optional[_Union[ModelDeployment, _Mapping]] = ...) -> None: ...

class ListDeployedModelVersionsRequest(_message.Message):
    __slots__ = ("account_id", "as_of")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, account_id: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListDeployedModelVersionsResponse(_message.Message):
    __slots__ = ("deployments",)
    DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    deployments: _containers.RepeatedCompositeFieldContainer[ModelDeployment]
    def __init__(self, deployments: _Optional[_Iterable[_Union[ModelDeployment, _Mapping]]] = ...) -> None: ...

class ShareModelRequest(_message.Message):
    __slots__ = ("model_id", "user_id")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    user_id: str
    def __init__(self, model_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class ShareModelResponse(_message.Message):
    __slots__ = ("share",)
    SHARE_FIELD_NUMBER: _ClassVar[int]
    share: _common_pb2.ResourceShare
    def __init__(self, share: _Optional[_Union[_common_pb2.ResourceShare, _Mapping]] = ...) -> None: ...

class UnshareModelRequest(_message.Message):
    __slots__ = ("model_id", "user_id")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    user_id: str
    def __init__(self, model_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class UnshareModelResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListModelSharesRequest(_message.Message):
    __slots__ = ("model_id",)
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    def __init__(self, model_id: _Optional[str] = ...) -> None: ...

class ListModelSharesResponse(_message.Message):
    __slots__ = ("shares",)
    SHARES_FIELD_NUMBER: _ClassVar[int]
    shares: _containers.RepeatedCompositeFieldContainer[_common_pb2.ResourceShare]
    def __init__(self, shares: _Optional[_Iterable[_Union[_common_pb2.ResourceShare, _Mapping]]] = ...) -> None: ...
