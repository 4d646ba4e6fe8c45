"""HTTP request/response bodies (pydantic), the source of the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TaskName = Literal[
    "algorithmic_trading", "portfolio_management", "order_execution", "high_frequency_trading"
]
RoleName = Literal["viewer", "researcher", "trader", "risk_officer", "admin"]
JobActionName = Literal["pause", "resume", "cancel"]


def action_names(values: Any) -> list[JobActionName]:
    """``common.v1.JobAction`` values of a job message as the lower-case names routes return."""
    from trademaster.api.common.v1 import common_pb2

    return [
        common_pb2.JobAction.Name(v).removeprefix("JOB_ACTION_").lower()  # type: ignore[misc]
        for v in values
    ]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(_Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    id: str = Field(description="User id (also the `sub` of the user's tokens).")
    username: str
    roles: list[RoleName]
    created_at: datetime


class LoginResponse(BaseModel):
    access_token: str = Field(description="JWT to send as `Authorization: Bearer <token>`.")
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    user: UserOut


class MeResponse(BaseModel):
    subject: str = Field(description="User id, or `service:<name>` for service tokens.")
    kind: Literal["user", "service"]
    roles: list[RoleName]
    username: str | None = Field(default=None, description="Set for users.")


class StrategyOut(BaseModel):
    id: str
    owner_id: str
    name: str
    description: str
    task: TaskName
    agent: str
    dataset_id: str
    config: dict[str, Any] = Field(description="Normalized config (defaults filled in).")
    version: int
    etag: str = Field(description="Send back in PATCH/DELETE to guard against lost updates.")
    created_at: datetime
    updated_at: datetime


class StrategyCreate(_Body):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    task: TaskName
    agent: str = Field(min_length=1, max_length=32, examples=["dqn"])
    dataset_id: str = Field(default="", max_length=200)
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="Partial config; omitted fields take defaults (see /api/v1/config-schema).",
    )
    request_id: str = Field(
        default="", max_length=128, description="Idempotency key: a retry returns the first result."
    )


class StrategyPatch(_Body):
    """Only the fields present are updated."""

    etag: str = Field(default="", description="Current etag; empty updates unconditionally.")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    task: TaskName | None = None
    agent: str | None = Field(default=None, min_length=1, max_length=32)
    dataset_id: str | None = Field(default=None, max_length=200)
    config: dict[str, Any] | None = None


class StrategyList(BaseModel):
    strategies: list[StrategyOut]
    next_page_token: str = Field(description="Pass as page_token for the next page; empty at end.")


class ValidateRequest(_Body):
    task: TaskName
    agent: str = Field(min_length=1, max_length=32)
    dataset_id: str = ""
    config: dict[str, Any] = Field(default_factory=dict)


class FieldViolationOut(BaseModel):
    field: str
    description: str


class ValidateResponse(BaseModel):
    valid: bool
    violations: list[FieldViolationOut]
    normalized_config: dict[str, Any] | None = Field(description="Set only when valid.")


class ConfigSchemaResponse(BaseModel):
    json_schema: dict[str, Any] = Field(description="JSON Schema of the config.")
    schema_version: int
    default_config: dict[str, Any]


class AgentOut(BaseModel):
    agent: str
    tasks: list[TaskName]
    display_name: str


class AgentList(BaseModel):
    agents: list[AgentOut]


class DatasetSplitOut(BaseModel):
    name: str
    start_time: datetime | None
    end_time: datetime | None
    rows: int


class DatasetQualityOut(BaseModel):
    """Quality summary; ``status`` is empty until the report was computed."""

    status: str = Field("", description="clean, warnings or blocked (blocked: no jobs).")
    errors: int = 0
    warnings: int = 0
    error_codes: list[str] = []
    report_path: str = Field("", description="The full report: GET this path.")


class DatasetOut(BaseModel):
    id: str
    name: str
    tasks: list[TaskName]
    path: str
    format: str
    rows: int
    assets: list[str]
    start_time: datetime | None
    end_time: datetime | None
    frequency: str
    columns: list[str]
    content_hash: str
    synthetic: bool
    owner_id: str = Field("", description="Empty for platform datasets.")
    version: str = Field("original", description="original, uploaded, labelled or repaired.")
    parent_dataset_id: str = ""
    segment_count: int = Field(0, description="Market-dynamics segment files folded in.")
    size_bytes: int = 0
    repairs: list[str] = []
    quality: DatasetQualityOut = DatasetQualityOut()
    splits: list[DatasetSplitOut]


class DatasetList(BaseModel):
    datasets: list[DatasetOut]
    next_page_token: str


class OhlcvOut(BaseModel):
    """One asset's price bars, column by column (compact for charts)."""

    dataset_id: str
    tic: str
    time: list[datetime] = Field(description="Time of the first row merged into each bar.")
    open: list[float]
    high: list[float]
    low: list[float]
    close: list[float]
    volume: list[float] | None = Field(description="Null when the dataset has no volume.")
    total_rows: int = Field(description="Rows of the asset in the range, before merging.")
    bucket_rows: int = Field(description="Rows merged into each bar; 1 means none.")


class HealthResponse(BaseModel):
    status: Literal["ok"]


class ReadyResponse(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, str] = Field(description="Per dependency: SERVING/ok, or what failed.")
