"""JSON bodies of the model registry routes and their conversion from ModelRegistryService
messages (times as UTC datetimes, enums as short names)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from trademaster.api.strategy.v1 import model_registry_pb2 as pb

ModeName = Literal["paper", "live"]
EventKindName = Literal[
    "MODEL_CREATED",
    "VERSION_CREATED",
    "VERSION_DELETED",
    "TAG_SET",
    "TAG_REMOVED",
    "ALIAS_SET",
    "ALIAS_REMOVED",
    "DEPLOYMENT_STARTED",
    "DEPLOYMENT_ENDED",
]
MODES: dict[str, pb.DeploymentMode] = {
    "paper": pb.DEPLOYMENT_MODE_PAPER,
    "live": pb.DEPLOYMENT_MODE_LIVE,
}


def _time(stamp: Any) -> datetime | None:
    return stamp.ToDatetime(tzinfo=UTC) if stamp.seconds or stamp.nanos else None


class ModelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="Unique among your models.")
    description: str = Field(default="", max_length=2000)
    request_id: str = Field(default="", max_length=128, description="Idempotency key.")


class VersionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    training_job_id: str = Field(min_length=1, max_length=200, description="A SUCCEEDED job.")
    description: str = Field(default="", max_length=2000)
    tags: dict[str, str] = Field(default_factory=dict, max_length=50)


class TagsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    set: dict[str, str] = Field(default_factory=dict, max_length=50)
    remove: list[str] = Field(default_factory=list, max_length=50)


class AliasSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**63 - 1)


class DeploymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_id: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1, le=2**63 - 1)
    account_id: str = Field(min_length=1, max_length=128)
    mode: ModeName
    request_id: str = Field(default="", max_length=128, description="Idempotency key.")


class ModelOut(BaseModel):
    id: str
    owner_id: str
    name: str
    description: str
    latest_version: int
    aliases: dict[str, int]
    create_time: datetime | None
    update_time: datetime | None


class ModelList(BaseModel):
    models: list[ModelOut]
    next_page_token: str


class VersionBacktestOut(BaseModel):
    id: str
    state: str
    dataset_id: str
    summary_metrics: dict[str, float]
    create_time: datetime | None


class DeploymentOut(BaseModel):
    id: str
    owner_id: str
    model_id: str
    version: int
    account_id: str
    mode: ModeName
    start_time: datetime | None
    end_time: datetime | None


class DeploymentList(BaseModel):
    deployments: list[DeploymentOut]


class VersionOut(BaseModel):
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
    run_spec: dict[str, Any]
    run_record: dict[str, Any]
    metrics: dict[str, float]
    tags: dict[str, str]
    aliases: list[str]
    ever_deployed: bool = Field(description="True once deployed; such versions cannot be deleted.")
    create_time: datetime | None
    backtests: list[VersionBacktestOut] = Field(description="Filled on the detail route only.")
    deployments: list[DeploymentOut] = Field(description="Filled on the detail route only.")


class VersionList(BaseModel):
    versions: list[VersionOut]
    next_page_token: str


class EventOut(BaseModel):
    sequence: int
    kind: EventKindName
    model_id: str
    version: int
    alias: str
    tag_key: str
    tag_value: str
    deployment_id: str
    account_id: str
    actor: str
    time: datetime | None


class HistoryList(BaseModel):
    events: list[EventOut]
    next_page_token: str


class AliasOut(BaseModel):
    alias: str
    version: int | None = Field(description="null when the alias named no version then.")
    set_by: EventOut | None


class ComparedMetricOut(BaseModel):
    name: str
    values: list[float | None] = Field(description="Per version, in request order; null = none.")


class ComparedSettingOut(BaseModel):
    path: str
    values: list[Any] = Field(description="Per version (JSON values); null where absent.")


class CompareOut(BaseModel):
    versions: list[VersionOut]
    metrics: list[ComparedMetricOut]
    differing_settings: list[ComparedSettingOut]


def model_out(m: pb.RegisteredModel) -> ModelOut:
    return ModelOut(
        id=m.model_id,
        owner_id=m.owner_id,
        name=m.name,
        description=m.description,
        latest_version=m.latest_version,
        aliases=dict(m.aliases),
        create_time=_time(m.create_time),
        update_time=_time(m.update_time),
    )


def deployment_out(d: pb.ModelDeployment) -> DeploymentOut:
    mode: ModeName = "live" if d.mode == pb.DEPLOYMENT_MODE_LIVE else "paper"
    return DeploymentOut(
        id=d.deployment_id,
        owner_id=d.owner_id,
        model_id=d.model_id,
        version=d.version,
        account_id=d.account_id,
        mode=mode,
        start_time=_time(d.start_time),
        end_time=_time(d.end_time),
    )


def version_out(v: pb.ModelVersion) -> VersionOut:
    return VersionOut(
        model_id=v.model_id,
        version=v.version,
        owner_id=v.owner_id,
        description=v.description,
        training_job_id=v.training_job_id,
        strategy_id=v.strategy_id,
        strategy_version=v.strategy_version,
        dataset_id=v.dataset_id,
        dataset_content_hash=v.dataset_content_hash,
        model_uri=v.model_uri,
        run_spec=json.loads(v.run_spec_json or "{}"),
        run_record=json.loads(v.run_record_json or "{}"),
        metrics=dict(v.metrics),
        tags=dict(v.tags),
        aliases=list(v.aliases),
        ever_deployed=v.ever_deployed,
        create_time=_time(v.create_time),
        backtests=[
            VersionBacktestOut(
                id=b.backtest_id,
                state=b.state.removeprefix("BACKTEST_STATE_"),
                dataset_id=b.dataset_id,
                summary_metrics=dict(b.summary_metrics),
                create_time=_time(b.create_time),
            )
            for b in v.backtests
        ],
        deployments=[deployment_out(d) for d in v.deployments],
    )


def event_out(e: pb.ModelEvent) -> EventOut:
    kind: Any = pb.ModelEventKind.Name(e.kind).removeprefix("MODEL_EVENT_KIND_")
    return EventOut(
        sequence=e.sequence,
        kind=kind,
        model_id=e.model_id,
        version=e.version,
        alias=e.alias,
        tag_key=e.tag_key,
        tag_value=e.tag_value,
        deployment_id=e.deployment_id,
        account_id=e.account_id,
        actor=e.actor,
        time=_time(e.time),
    )


def compare_out(r: pb.CompareModelVersionsResponse) -> CompareOut:
    return CompareOut(
        versions=[version_out(v) for v in r.model_versions],
        metrics=[
            ComparedMetricOut(name=m.name, values=[None if math.isnan(x) else x for x in m.values])
            for m in r.metrics
        ],
        differing_settings=[
            ComparedSettingOut(path=s.path, values=[json.loads(x) if x else None for x in s.values])
            for s in r.differing_settings
        ],
    )
