"""Rows of the model registry as frozen records, and the errors its stores raise."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    """History entry kinds; stored as text, mirrored by the proto's ``ModelEventKind``."""

    MODEL_CREATED = "model_created"
    VERSION_CREATED = "version_created"
    VERSION_DELETED = "version_deleted"
    TAG_SET = "tag_set"
    TAG_REMOVED = "tag_removed"
    ALIAS_SET = "alias_set"
    ALIAS_REMOVED = "alias_removed"
    DEPLOYMENT_STARTED = "deployment_started"
    DEPLOYMENT_ENDED = "deployment_ended"


class ModelNameTaken(Exception):
    """The owner already has a registered model with this name."""


class TooManyTags(Exception):
    """A tag change would leave a version with more tags than allowed."""


class VersionProtected(Exception):
    """A version cannot be deleted: it is or was deployed, or an alias names it."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ModelRecord:
    """A registered model with its current aliases (alias → version)."""

    id: uuid.UUID
    owner: str
    name: str
    description: str
    latest_version: int
    created_at: datetime
    updated_at: datetime
    aliases: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class NewVersion:
    """What a version copies from its SUCCEEDED training job."""

    training_job_id: str
    model_uri: str
    strategy_id: str = ""
    strategy_version: int = 0
    dataset_id: str = ""
    dataset_content_hash: str = ""
    run_spec: dict[str, Any] = field(default_factory=dict)
    run_record: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VersionRecord:
    """One stored model version; ``aliases`` are the model's aliases naming it now."""

    model_id: uuid.UUID
    version: int
    owner: str
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
    ever_deployed: bool
    created_at: datetime
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeploymentRecord:
    """A record that a version trades (``ended_at`` None) or traded on an account."""

    id: uuid.UUID
    owner: str
    model_id: uuid.UUID
    version: int
    account_id: str
    mode: str
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class HistoryRecord:
    """One append-only history row."""

    seq: int
    model_id: uuid.UUID
    version: int
    kind: EventKind
    alias: str
    tag_key: str
    tag_value: str
    deployment_id: uuid.UUID | None
    account_id: str
    actor: str
    at: datetime
