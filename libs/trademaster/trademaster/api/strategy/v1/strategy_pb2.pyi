import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Task(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_UNSPECIFIED: _ClassVar[Task]
    TASK_ALGORITHMIC_TRADING: _ClassVar[Task]
    TASK_PORTFOLIO_MANAGEMENT: _ClassVar[Task]
    TASK_ORDER_EXECUTION: _ClassVar[Task]
    TASK_HIGH_FREQUENCY_TRADING: _ClassVar[Task]
TASK_UNSPECIFIED: Task
TASK_ALGORITHMIC_TRADING: Task
TASK_PORTFOLIO_MANAGEMENT: Task
TASK_ORDER_EXECUTION: Task
TASK_HIGH_FREQUENCY_TRADING: Task

class Strategy(_message.Message):
    __slots__ = ("strategy_id", "owner_id", "name", "description", "task", "agent", "dataset_id", "config", "version", "etag", "create_time", "update_time")
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    strategy_id: str
    owner_id: str
    name: str
    description: str
    task: Task
    agent: str
    dataset_id: str
    config: _struct_pb2.Struct
    version: int
    etag: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, strategy_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., task: _Optional[_Union[Task, str]] = ..., agent: _Optional[str] = ..., dataset_id: _Optional[str] = ..., config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., version: _Optional[int] = ..., etag: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FieldViolation(_message.Message):
    __slots__ = ("field", "description")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    field: str
    description: str
    def __init__(self, field: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class AgentInfo(_message.Message):
    __slots__ = ("agent", "tasks", "display_name", "description")
    AGENT_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    agent: str
    tasks: _containers.RepeatedScalarFieldContainer[Task]
    display_name: str
    description: str
    def __init__(self, agent: _Optional[str] = ..., tasks: _Optional[_Iterable[_Union[Task, str]]] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class DatasetSplit(_message.Message):
    __slots__ = ("name", "start_time", "end_time", "rows")
    NAME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    name: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    rows: int
    def __init__(self, name: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rows: _Optional[int] = ...) -> None: ...

class Dataset(_message.Message):
    __slots__ = ("dataset_id", "name", "tasks", "path", "format", "rows", "assets", "start_time", "end_time", "frequency", "columns", "content_hash", "synthetic", "splits", "parent_dataset_id", "version", "segment_count", "owner_id", "quality", "repairs", "size_bytes", "uri", "kind")
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    ASSETS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    SYNTHETIC_FIELD_NUMBER: _ClassVar[int]
    SPLITS_FIELD_NUMBER: _ClassVar[int]
    PARENT_DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    REPAIRS_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    name: str
    tasks: _containers.RepeatedScalarFieldContainer[Task]
    path: str
    format: str
    rows: int
    assets: _containers.RepeatedScalarFieldContainer[str]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    frequency: str
    columns: _containers.RepeatedScalarFieldContainer[str]
    content_hash: str
    synthetic: bool
    splits: _containers.RepeatedCompositeFieldContainer[DatasetSplit]
    parent_dataset_id: str
    version: str
    segment_count: int
    owner_id: str
    quality: DatasetQuality
    repairs: _containers.RepeatedScalarFieldContainer[str]
    size_bytes: int
    uri: str
    kind: str
    def __init__(self, dataset_id: _Optional[str] = ..., name: _Optional[str] = ..., tasks: _Optional[_Iterable[_Union[Task, str]]] = ..., path: _Optional[str] = ..., format: _Optional[str] = ..., rows: _Optional[int] = ..., assets: _Optional[_Iterable[str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., frequency: _Optional[str] = ..., columns: _Optional[_Iterable[str]] = ..., content_hash: _Optional[str] = ..., synthetic: _Optional[bool] = ..., splits: _Optional[_Iterable[_Union[DatasetSplit, _Mapping]]] = ..., parent_dataset_id: _Optional[str] = ..., version: _Optional[str] = ..., segment_count: _Optional[int] = ..., owner_id: _Optional[str] = ..., quality: _Optional[_Union[DatasetQuality, _Mapping]] = ..., repairs: _Optional[_Iterable[str]] = ..., size_bytes: _Optional[int] = ..., uri: _Optional[str] = ..., kind: _Optional[str] = ...) -> None: ...

class DatasetQuality(_message.Message):
    __slots__ = ("status", "errors", "warnings", "error_codes", "report_path")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODES_FIELD_NUMBER: _ClassVar[int]
    REPORT_PATH_FIELD_NUMBER: _ClassVar[int]
    status: str
    errors: int
    warnings: int
    error_codes: _containers.RepeatedScalarFieldContainer[str]
    report_path: str
    def __init__(self, status: _Optional[str] = ..., errors: _Optional[int] = ..., warnings: _Optional[int] = ..., error_codes: _Optional[_Iterable[str]] = ..., report_path: _Optional[str] = ...) -> None: ...

class UploadDatasetRequest(_message.Message):
    __slots__ = ("metadata", "chunk")
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    metadata: UploadDatasetMetadata
    chunk: bytes
    def __init__(self, metadata: _Optional[_Union[UploadDatasetMetadata, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class UploadDatasetMetadata(_message.Message):
    __slots__ = ("name", "filename", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    filename: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., filename: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class UploadDatasetResponse(_message.Message):
    __slots__ = ("dataset",)
    DATASET_FIELD_NUMBER: _ClassVar[int]
    dataset: Dataset
    def __init__(self, dataset: _Optional[_Union[Dataset, _Mapping]] = ...) -> None: ...

class GetDatasetQualityRequest(_message.Message):
    __slots__ = ("dataset_id",)
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    def __init__(self, dataset_id: _Optional[str] = ...) -> None: ...

class GetDatasetQualityResponse(_message.Message):
    __slots__ = ("quality", "report_json")
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    REPORT_JSON_FIELD_NUMBER: _ClassVar[int]
    quality: DatasetQuality
    report_json: str
    def __init__(self, quality: _Optional[_Union[DatasetQuality, _Mapping]] = ..., report_json: _Optional[str] = ...) -> None: ...

class RepairDatasetRequest(_message.Message):
    __slots__ = ("dataset_id", "spec", "name", "request_id")
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    spec: _struct_pb2.Struct
    name: str
    request_id: str
    def __init__(self, dataset_id: _Optional[str] = ..., spec: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RepairDatasetResponse(_message.Message):
    __slots__ = ("dataset",)
    DATASET_FIELD_NUMBER: _ClassVar[int]
    dataset: Dataset
    def __init__(self, dataset: _Optional[_Union[Dataset, _Mapping]] = ...) -> None: ...

class LabelDatasetRequest(_message.Message):
    __slots__ = ("dataset_id", "params", "portfolio", "index_dataset_id", "name", "request_id")
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    PORTFOLIO_FIELD_NUMBER: _ClassVar[int]
    INDEX_DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    params: _struct_pb2.Struct
    portfolio: str
    index_dataset_id: str
    name: str
    request_id: str
    def __init__(self, dataset_id: _Optional[str] = ..., params: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., portfolio: _Optional[str] = ..., index_dataset_id: _Optional[str] = ..., name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class LabelDatasetResponse(_message.Message):
    __slots__ = ("dataset", "statistics_json")
    DATASET_FIELD_NUMBER: _ClassVar[int]
    STATISTICS_JSON_FIELD_NUMBER: _ClassVar[int]
    dataset: Dataset
    statistics_json: str
    def __init__(self, dataset: _Optional[_Union[Dataset, _Mapping]] = ..., statistics_json: _Optional[str] = ...) -> None: ...

class DeleteDatasetRequest(_message.Message):
    __slots__ = ("dataset_id",)
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    def __init__(self, dataset_id: _Optional[str] = ...) -> None: ...

class DeleteDatasetResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ExportDatasetRequest(_message.Message):
    __slots__ = ("dataset_id", "format")
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    format: str
    def __init__(self, dataset_id: _Optional[str] = ..., format: _Optional[str] = ...) -> None: ...

class ExportDatasetResponse(_message.Message):
    __slots__ = ("data", "media_type", "size_bytes", "filename")
    DATA_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    media_type: str
    size_bytes: int
    filename: str
    def __init__(self, data: _Optional[bytes] = ..., media_type: _Optional[str] = ..., size_bytes: _Optional[int] = ..., filename: _Optional[str] = ...) -> None: ...

class CreateStrategyRequest(_message.Message):
    __slots__ = ("strategy", "request_id")
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    strategy: Strategy
    request_id: str
    def __init__(self, strategy: _Optional[_Union[Strategy, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateStrategyResponse(_message.Message):
    __slots__ = ("strategy",)
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    strategy: Strategy
    def __init__(self, strategy: _Optional[_Union[Strategy, _Mapping]] = ...) -> None: ...

class GetStrategyRequest(_message.Message):
    __slots__ = ("strategy_id", "version")
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    strategy_id: str
    version: int
    def __init__(self, strategy_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class GetStrategyResponse(_message.Message):
    __slots__ = ("strategy",)
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    strategy: Strategy
    def __init__(self, strategy: _Optional[_Union[Strategy, _Mapping]] = ...) -> None: ...

class ListStrategiesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "task", "owner_id", "shared_with_me")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    SHARED_WITH_ME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    task: Task
    owner_id: str
    shared_with_me: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., task: _Optional[_Union[Task, str]] = ..., owner_id: _Optional[str] = ..., shared_with_me: _Optional[bool] = ...) -> None: ...

class ListStrategiesResponse(_message.Message):
    __slots__ = ("strategies", "next_page_token")
    STRATEGIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    strategies: _containers.RepeatedCompositeFieldContainer[Strategy]
    next_page_token: str
    def __init__(self, strategies: _Optional[_Iterable[_Union[Strategy, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateStrategyRequest(_message.Message):
    __slots__ = ("strategy", "update_mask")
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    strategy: Strategy
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, strategy: _Optional[_Union[Strategy, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateStrategyResponse(_message.Message):
    __slots__ = ("strategy",)
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    strategy: Strategy
    def __init__(self, strategy: _Optional[_Union[Strategy, _Mapping]] = ...) -> None: ...

class DeleteStrategyRequest(_message.Message):
    __slots__ = ("strategy_id", "etag")
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    strategy_id: str
    etag: str
    def __init__(self, strategy_id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class DeleteStrategyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ValidateConfigRequest(_message.Message):
    __slots__ = ("task", "agent", "dataset_id", "config")
    TASK_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    task: Task
    agent: str
    dataset_id: str
    config: _struct_pb2.Struct
    def __init__(self, task: _Optional[_Union[Task, str]] = ..., agent: _Optional[str] = ..., dataset_id: _Optional[str] = ..., config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ValidateConfigResponse(_message.Message):
    __slots__ = ("valid", "violations", "normalized_config")
    VALID_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_CONFIG_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    violations: _containers.RepeatedCompositeFieldContainer[FieldViolation]
    normalized_config: _struct_pb2.Struct
    def __init__(self, valid: _Optional[bool] = ..., violations: _Optional[_Iterable[_Union[FieldViolation, _Mapping]]] = ..., normalized_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ListAgentsRequest(_message.Message):
    __slots__ = ("task",)
    TASK_FIELD_NUMBER: _ClassVar[int]
    task: Task
    def __init__(self, task: _Optional[_Union[Task, str]] = ...) -> None: ...

class ListAgentsResponse(_message.Message):
    __slots__ = ("agents",)
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    agents: _containers.RepeatedCompositeFieldContainer[AgentInfo]
    def __init__(self, agents: _Optional[_Iterable[_Union[AgentInfo, _Mapping]]] = ...) -> None: ...

class GetConfigSchemaRequest(_message.Message):
    __slots__ = ("task", "agent")
    TASK_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    task: Task
    agent: str
    def __init__(self, task: _Optional[_Union[Task, str]] = ..., agent: _Optional[str] = ...) -> None: ...

class GetConfigSchemaResponse(_message.Message):
    __slots__ = ("json_schema", "schema_version", "default_config")
    JSON_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_CONFIG_FIELD_NUMBER: _ClassVar[int]
    json_schema: str
    schema_version: int
    default_config: _struct_pb2.Struct
    def __init__(self, json_schema: _Optional[str] = ..., schema_version: _Optional[int] = ..., default_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ListDatasetsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "task")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    task: Task
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., task: _Optional[_Union[Task, str]] = ...) -> None: ...

class ListDatasetsResponse(_message.Message):
    __slots__ = ("datasets", "next_page_token")
    DATASETS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    datasets: _containers.RepeatedCompositeFieldContainer[Dataset]
    next_page_token: str
    def __init__(self, datasets: _Optional[_Iterable[_Union[Dataset, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetDatasetRequest(_message.Message):
    __slots__ = ("dataset_id",)
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    def __init__(self, dataset_id: _Optional[str] = ...) -> None: ...

class GetDatasetResponse(_message.Message):
    __slots__ = ("dataset",)
    DATASET_FIELD_NUMBER: _ClassVar[int]
    dataset: Dataset
    def __init__(self, dataset: _Optional[_Union[Dataset, _Mapping]] = ...) -> None: ...

class GetDatasetBarsRequest(_message.Message):
    __slots__ = ("dataset_id", "tic", "start_time", "end_time", "max_points")
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    TIC_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_POINTS_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    tic: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    max_points: int
    def __init__(self, dataset_id: _Optional[str] = ..., tic: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_points: _Optional[int] = ...) -> None: ...

class PriceBar(_message.Message):
    __slots__ = ("time", "open", "high", "low", "close", "volume")
    TIME_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    time: _timestamp_pb2.Timestamp
    open: float
    high: float
    low: float
    close: float
    volume: float
    def __init__(self, time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., open: _Optional[float] = ..., high: _Optional[float] = ..., low: _Optional[float] = ..., close: _Optional[float] = ..., volume: _Optional[float] = ...) -> None: ...

class GetDatasetBarsResponse(_message.Message):
    __slots__ = ("bars", "total_rows", "bucket_rows", "has_volume")
    BARS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ROWS_FIELD_NUMBER: _ClassVar[int]
    BUCKET_ROWS_FIELD_NUMBER: _ClassVar[int]
    HAS_VOLUME_FIELD_NUMBER: _ClassVar[int]
    bars: _containers.RepeatedCompositeFieldContainer[PriceBar]
    total_rows: int
    bucket_rows: int
    has_volume: bool
    def __init__(self, bars: _Optional[_Iterable[_Union[PriceBar, _Mapping]]] = ..., total_rows: _Optional[int] = ..., bucket_rows: _Optional[int] = ..., has_volume: _Optional[bool] = ...) -> None: ...

class StrategyShare(_message.Message):
    __slots__ = ("strategy_id", "user_id", "create_time")
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    strategy_id: str
    user_id: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, strategy_id: _Optional[str] = ..., user_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ShareStrategyRequest(_message.Message):
    __slots__ = ("strategy_id", "user_id")
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    strategy_id: str
    user_id: str
    def __init__(self, strategy_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class ShareStrategyResponse(_message.Message):
    __slots__ = ("share",)
    SHARE_FIELD_NUMBER: _ClassVar[int]
    share: StrategyShare
    def __init__(self, share: _Optional[_Union[StrategyShare, _Mapping]] = ...) -> None: ...

class UnshareStrategyRequest(_message.Message):
    __slots__ = ("strategy_id", "user_id")
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    strategy_id: str
    user_id: str
    def __init__(self, strategy_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class UnshareStrategyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListStrategySharesRequest(_message.Message):
    __slots__ = ("strategy_id",)
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    strategy_id: str
    def __init__(self, strategy_id: _Optional[str] = ...) -> None: ...

class ListStrategySharesResponse(_message.Message):
    __slots__ = ("shares",)
    SHARES_FIELD_NUMBER: _ClassVar[int]
    shares: _containers.RepeatedCompositeFieldContainer[StrategyShare]
    def __init__(self, shares: _Optional[_Iterable[_Union[StrategyShare, _Mapping]]] = ...) -> None: ...
