import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from trademaster.api.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TrainingJobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRAINING_JOB_STATE_UNSPECIFIED: _ClassVar[TrainingJobState]
    TRAINING_JOB_STATE_QUEUED: _ClassVar[TrainingJobState]
    TRAINING_JOB_STATE_RUNNING: _ClassVar[TrainingJobState]
    TRAINING_JOB_STATE_PAUSED: _ClassVar[TrainingJobState]
    TRAINING_JOB_STATE_SUCCEEDED: _ClassVar[TrainingJobState]
    TRAINING_JOB_STATE_FAILED: _ClassVar[TrainingJobState]
    TRAINING_JOB_STATE_CANCELLING: _ClassVar[TrainingJobState]
    TRAINING_JOB_STATE_CANCELLED: _ClassVar[TrainingJobState]
TRAINING_JOB_STATE_UNSPECIFIED: TrainingJobState
TRAINING_JOB_STATE_QUEUED: TrainingJobState
TRAINING_JOB_STATE_RUNNING: TrainingJobState
TRAINING_JOB_STATE_PAUSED: TrainingJobState
TRAINING_JOB_STATE_SUCCEEDED: TrainingJobState
TRAINING_JOB_STATE_FAILED: TrainingJobState
TRAINING_JOB_STATE_CANCELLING: TrainingJobState
TRAINING_JOB_STATE_CANCELLED: TrainingJobState

class TrainingJobProgress(_message.Message):
    __slots__ = ("step", "total_steps", "fraction", "episodic_return", "sps")
    STEP_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    EPISODIC_RETURN_FIELD_NUMBER: _ClassVar[int]
    SPS_FIELD_NUMBER: _ClassVar[int]
    step: int
    total_steps: int
    fraction: float
    episodic_return: float
    sps: float
    def __init__(self, step: _Optional[int] = ..., total_steps: _Optional[int] = ..., fraction: _Optional[float] = ..., episodic_return: _Optional[float] = ..., sps: _Optional[float] = ...) -> None: ...

class RunRecord(_message.Message):
    __slots__ = ("seed", "config_hash", "dataset_hash", "library_versions", "git_revision", "resource_usage")
    class LibraryVersionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class ResourceUsageEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    SEED_FIELD_NUMBER: _ClassVar[int]
    CONFIG_HASH_FIELD_NUMBER: _ClassVar[int]
    DATASET_HASH_FIELD_NUMBER: _ClassVar[int]
    LIBRARY_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    GIT_REVISION_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_USAGE_FIELD_NUMBER: _ClassVar[int]
    seed: int
    config_hash: str
    dataset_hash: str
    library_versions: _containers.ScalarMap[str, str]
    git_revision: str
    resource_usage: _containers.ScalarMap[str, float]
    def __init__(self, seed: _Optional[int] = ..., config_hash: _Optional[str] = ..., dataset_hash: _Optional[str] = ..., library_versions: _Optional[_Mapping[str, str]] = ..., git_revision: _Optional[str] = ..., resource_usage: _Optional[_Mapping[str, float]] = ...) -> None: ...

class TrainingJob(_message.Message):
    __slots__ = ("job_id", "owner_id", "strategy_id", "strategy_version", "state", "failure_reason", "progress", "overrides", "requested_resources", "assigned_resources", "device", "final_metrics", "run_record", "checkpoint_uri", "model_uri", "create_time", "start_time", "end_time", "update_time", "allowed_actions", "run_spec_json", "queue_position", "wait_reason", "priority", "time_limit_seconds")
    class FinalMetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    FINAL_METRICS_FIELD_NUMBER: _ClassVar[int]
    RUN_RECORD_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_URI_FIELD_NUMBER: _ClassVar[int]
    MODEL_URI_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    RUN_SPEC_JSON_FIELD_NUMBER: _ClassVar[int]
    QUEUE_POSITION_FIELD_NUMBER: _ClassVar[int]
    WAIT_REASON_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    TIME_LIMIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    owner_id: str
    strategy_id: str
    strategy_version: int
    state: TrainingJobState
    failure_reason: str
    progress: TrainingJobProgress
    overrides: _struct_pb2.Struct
    requested_resources: _common_pb2.Resources
    assigned_resources: _common_pb2.Resources
    device: str
    final_metrics: _containers.ScalarMap[str, float]
    run_record: RunRecord
    checkpoint_uri: str
    model_uri: str
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    allowed_actions: _containers.RepeatedScalarFieldContainer[_common_pb2.JobAction]
    run_spec_json: str
    queue_position: int
    wait_reason: str
    priority: int
    time_limit_seconds: float
    def __init__(self, job_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., strategy_id: _Optional[str] = ..., strategy_version: _Optional[int] = ..., state: _Optional[_Union[TrainingJobState, str]] = ..., failure_reason: _Optional[str] = ..., progress: _Optional[_Union[TrainingJobProgress, _Mapping]] = ..., overrides: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., requested_resources: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., assigned_resources: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., device: _Optional[str] = ..., final_metrics: _Optional[_Mapping[str, float]] = ..., run_record: _Optional[_Union[RunRecord, _Mapping]] = ..., checkpoint_uri: _Optional[str] = ..., model_uri: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., allowed_actions: _Optional[_Iterable[_Union[_common_pb2.JobAction, str]]] = ..., run_spec_json: _Optional[str] = ..., queue_position: _Optional[int] = ..., wait_reason: _Optional[str] = ..., priority: _Optional[int] = ..., time_limit_seconds: _Optional[float] = ...) -> None: ...

class CreateTrainingJobRequest(_message.Message):
    __slots__ = ("strategy_id", "strategy_version", "overrides", "resources", "seed", "total_steps", "request_id", "priority", "time_limit_seconds")
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_VERSION_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    TIME_LIMIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    strategy_id: str
    strategy_version: int
    overrides: _struct_pb2.Struct
    resources: _common_pb2.Resources
    seed: int
    total_steps: int
    request_id: str
    priority: int
    time_limit_seconds: float
    def __init__(self, strategy_id: _Optional[str] = ..., strategy_version: _Optional[int] = ..., overrides: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., resources: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., seed: _Optional[int] = ..., total_steps: _Optional[int] = ..., request_id: _Optional[str] = ..., priority: _Optional[int] = ..., time_limit_seconds: _Optional[float] = ...) -> None: ...

class CreateTrainingJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: TrainingJob
    def __init__(self, job: _Optional[_Union[TrainingJob, _Mapping]] = ...) -> None: ...

class GetTrainingJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetTrainingJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: TrainingJob
    def __init__(self, job: _Optional[_Union[TrainingJob, _Mapping]] = ...) -> None: ...

class ListTrainingJobsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "states", "strategy_id", "owner_id", "shared_with_me")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    SHARED_WITH_ME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    states: _containers.RepeatedScalarFieldContainer[TrainingJobState]
    strategy_id: str
    owner_id: str
    shared_with_me: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., states: _Optional[_Iterable[_Union[TrainingJobState, str]]] = ..., strategy_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., shared_with_me: _Optional[bool] = ...) -> None: ...

class ListTrainingJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[TrainingJob]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[TrainingJob, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PauseTrainingJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class PauseTrainingJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: TrainingJob
    def __init__(self, job: _Optional[_Union[TrainingJob, _Mapping]] = ...) -> None: ...

class ResumeTrainingJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class ResumeTrainingJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: TrainingJob
    def __init__(self, job: _Optional[_Union[TrainingJob, _Mapping]] = ...) -> None: ...

class CancelTrainingJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelTrainingJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: TrainingJob
    def __init__(self, job: _Optional[_Union[TrainingJob, _Mapping]] = ...) -> None: ...

class ListJobMetricsRequest(_message.Message):
    __slots__ = ("job_id", "names", "start_step", "page_size", "page_token")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    START_STEP_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    names: _containers.RepeatedScalarFieldContainer[str]
    start_step: int
    page_size: int
    page_token: str
    def __init__(self, job_id: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ..., start_step: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListJobMetricsResponse(_message.Message):
    __slots__ = ("metrics", "next_page_token")
    METRICS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    metrics: _containers.RepeatedCompositeFieldContainer[_common_pb2.MetricPoint]
    next_page_token: str
    def __init__(self, metrics: _Optional[_Iterable[_Union[_common_pb2.MetricPoint, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetClusterStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetClusterStatusResponse(_message.Message):
    __slots__ = ("cpus_total", "cpus_available", "gpus_total", "gpus_available", "queued_jobs", "running_jobs", "cluster_reachable", "users")
    CPUS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    CPUS_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    GPUS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    GPUS_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    QUEUED_JOBS_FIELD_NUMBER: _ClassVar[int]
    RUNNING_JOBS_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_REACHABLE_FIELD_NUMBER: _ClassVar[int]
    USERS_FIELD_NUMBER: _ClassVar[int]
    cpus_total: float
    cpus_available: float
    gpus_total: float
    gpus_available: float
    queued_jobs: int
    running_jobs: int
    cluster_reachable: bool
    users: _containers.RepeatedCompositeFieldContainer[ClusterUserUsage]
    def __init__(self, cpus_total: _Optional[float] = ..., cpus_available: _Optional[float] = ..., gpus_total: _Optional[float] = ..., gpus_available: _Optional[float] = ..., queued_jobs: _Optional[int] = ..., running_jobs: _Optional[int] = ..., cluster_reachable: _Optional[bool] = ..., users: _Optional[_Iterable[_Union[ClusterUserUsage, _Mapping]]] = ...) -> None: ...

class ClusterUserUsage(_message.Message):
    __slots__ = ("owner_id", "running_jobs", "queued_jobs", "active_jobs", "cpus_in_use", "gpus_in_use")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    RUNNING_JOBS_FIELD_NUMBER: _ClassVar[int]
    QUEUED_JOBS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_JOBS_FIELD_NUMBER: _ClassVar[int]
    CPUS_IN_USE_FIELD_NUMBER: _ClassVar[int]
    GPUS_IN_USE_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    running_jobs: int
    queued_jobs: int
    active_jobs: int
    cpus_in_use: float
    gpus_in_use: float
    def __init__(self, owner_id: _Optional[str] = ..., running_jobs: _Optional[int] = ..., queued_jobs: _Optional[int] = ..., active_jobs: _Optional[int] = ..., cpus_in_use: _Optional[float] = ..., gpus_in_use: _Optional[float] = ...) -> None: ...

class ShareTrainingJobRequest(_message.Message):
    __slots__ = ("job_id", "user_id")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    user_id: str
    def __init__(self, job_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class ShareTrainingJobResponse(_message.Message):
    __slots__ = ("share",)
    SHARE_FIELD_NUMBER: _ClassVar[int]
    share: _common_pb2.ResourceShare
    def __init__(self, share: _Optional[_Union[_common_pb2.ResourceShare, _Mapping]] = ...) -> None: ...

class UnshareTrainingJobRequest(_message.Message):
    __slots__ = ("job_id", "user_id")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    user_id: str
    def __init__(self, job_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class UnshareTrainingJobResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTrainingJobSharesRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class ListTrainingJobSharesResponse(_message.Message):
    __slots__ = ("shares",)
    SHARES_FIELD_NUMBER: _ClassVar[int]
    shares: _containers.RepeatedCompositeFieldContainer[_common_pb2.ResourceShare]
    def __init__(self, shares: _Optional[_Iterable[_Union[_common_pb2.ResourceShare, _Mapping]]] = ...) -> None: ...
