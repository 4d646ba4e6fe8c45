"""StrategyService: validate and authorize at the edge, then call the store and the catalog."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import grpc
from google.protobuf import struct_pb2, timestamp_pb2
from trademaster.api.strategy.v1 import strategy_pb2, strategy_pb2_grpc
from trademaster.config.strategy import (
    SUPPORTED_AGENTS_BY_TASK,
    config_json_schema,
    default_config,
    parse_strategy_config,
    validate_strategy_config,
)
from trademaster.service.auth import Principal, current_principal
from trademaster.service.authz import Action, Grant, Resource, authorize
from trademaster.service.errors import (
    Aborted,
    AlreadyExists,
    InvalidArgument,
    NotFound,
)
from trademaster.service.ids import parse_uuid
from trademaster.service.structs import struct_to_dict

from tm_strategy.bars import DEFAULT_MAX_POINTS, MAX_POINTS_LIMIT, BarsUnavailable
from tm_strategy.datasets import DatasetCatalog
from tm_strategy.store import (
    UPDATABLE_FIELDS,
    NameTaken,
    NewStrategy,
    StrategyRecord,
    VersionConflict,
)

_LOGGER = logging.getLogger(__name__)

MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 2000
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
Violations = list[tuple[str, str]]


class StrategyRepository(Protocol):
    """What the servicer needs from storage (``StrategyStore`` or a fake in unit tests)."""

    async def create(self, new: NewStrategy) -> StrategyRecord: ...

    async def get(
        self, strategy_id: uuid.UUID, owner: str | None, version: int = 0
    ) -> StrategyRecord | None: ...

    async def list(
        self, owner: str, page_size: int, page_token: str = "", task: str = ""
    ) -> tuple[list[StrategyRecord], str]: ...

    async def update(
        self,
        strategy_id: uuid.UUID,
        owner: str | None,
        changes: dict[str, Any],
        expected_version: int | None = None,
    ) -> StrategyRecord | None: ...

    async def delete(
        self, strategy_id: uuid.UUID, owner: str | None, expected_version: int | None = None
    ) -> bool: ...


def task_name(task: int) -> str:
    """``TASK_PORTFOLIO_MANAGEMENT`` → ``portfolio_management`` (the library's task names)."""
    return strategy_pb2.Task.Name(task).removeprefix("TASK_").lower()


def task_enum(name: str) -> strategy_pb2.Task:
    return strategy_pb2.Task.Value(f"TASK_{name.upper()}")


def _timestamp(value: Any) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _struct(data: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(data)
    return out


def strategy_message(record: StrategyRecord) -> strategy_pb2.Strategy:
    return strategy_pb2.Strategy(
        strategy_id=str(record.id),
        owner_id=record.owner,
        name=record.name,
        description=record.description,
        task=task_enum(record.task),
        agent=record.agent,
        dataset_id=record.dataset_id,
        config=_struct(record.config),
        version=record.version,
        etag=record.etag,
        create_time=_timestamp(record.created_at),
        update_time=_timestamp(record.updated_at),
    )


def parse_etag(etag: str) -> int | None:
    """``'"3"'`` → 3; empty → None (unconditional)."""
    if not etag:
        return None
    text = etag.strip('"')
    if not text.isdigit():
        raise InvalidArgument(
            f"etag must be a value returned by the server, was {etag!r}",
            [("etag", f"must be a value returned by the server, was {etag!r}")],
            reason="INVALID_ETAG",
        )
    return int(text)


def _check_page_size(page_size: int) -> int:
    if page_size < 0:
        raise InvalidArgument(
            f"page_size must be >= 0, was {page_size}",
            [("page_size", f"must be >= 0, was {page_size}")],
        )
    return min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _task_and_agent_violations(task: int, agent: str) -> Violations:
    if task == strategy_pb2.TASK_UNSPECIFIED or task not in strategy_pb2.Task.values():
        return [("task", f"must be one of {sorted(SUPPORTED_AGENTS_BY_TASK)}, was {task}")]
    supported = SUPPORTED_AGENTS_BY_TASK.get(task_name(task), ())
    if agent not in supported:
        return [("agent", f"must be one of {list(supported)} for {task_name(task)}, was {agent!r}")]
    return []


def _text_violations(name: str, description: str) -> Violations:
    out: Violations = []
    if not name.strip():
        out.append(("name", "must not be empty"))
    elif len(name) > MAX_NAME_LENGTH:
        out.append(("name", f"must be at most {MAX_NAME_LENGTH} characters, was {len(name)}"))
    if len(description) > MAX_DESCRIPTION_LENGTH:
        out.append(
            (
                "description",
                f"must be at most {MAX_DESCRIPTION_LENGTH} characters, was {len(description)}",
            )
        )
    return out


def check_config(task: int, agent: str, config: dict[str, Any]) -> tuple[Violations, dict]:
    """Violations (paths prefixed ``config.``) and, when there are none, the normalized config."""
    head = _task_and_agent_violations(task, agent)
    if head:
        return head, {}
    name = task_name(task)
    violations = [
        (f"config.{v.field}" if v.field else "config", v.description)
        for v in validate_strategy_config(name, agent, config)
    ]
    if violations:
        return violations, {}
    return [], parse_strategy_config(name, agent, config).model_dump(mode="json")


def _raise_if(violations: Violations, what: str) -> None:
    if violations:
        fields = ", ".join(field for field, _ in violations)
        raise InvalidArgument(
            f"{what} is invalid: {fields}", violations, reason="INVALID_" + what.upper()
        )


def _not_found(strategy_id: uuid.UUID) -> NotFound:
    return NotFound(f"strategy {strategy_id} not found", reason="STRATEGY_NOT_FOUND")


class StrategyServicer(strategy_pb2_grpc.StrategyServiceServicer):
    """Owner-scoped strategy CRUD, config validation and the dataset catalog."""

    def __init__(
        self,
        store: StrategyRepository,
        catalog: DatasetCatalog,
        principal: Callable[[], Principal] = current_principal,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._principal = principal

    def _require(self, resource: Resource, action: Action) -> Grant:
        return authorize(self._principal(), resource, action)

    async def CreateStrategy(
        self, request: strategy_pb2.CreateStrategyRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.CreateStrategyResponse:
        principal = self._require(Resource.STRATEGY, Action.CREATE)
        s = request.strategy
        config = struct_to_dict(s.config)
        violations = _text_violations(s.name, s.description)
        config_violations, normalized = check_config(s.task, s.agent, config)
        violations += config_violations + await self._dataset_violations(s.dataset_id)
        _raise_if(violations, "strategy")
        try:
            record = await self._store.create(
                NewStrategy(
                    owner=principal.subject,
                    name=s.name.strip(),
                    description=s.description,
                    task=task_name(s.task),
                    agent=s.agent,
                    dataset_id=s.dataset_id,
                    config=normalized,
                    request_id=request.request_id,
                )
            )
        except NameTaken as exc:
            raise AlreadyExists(str(exc), reason="STRATEGY_NAME_TAKEN") from exc
        return strategy_pb2.CreateStrategyResponse(strategy=strategy_message(record))

    async def GetStrategy(
        self, request: strategy_pb2.GetStrategyRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.GetStrategyResponse:
        principal = self._require(Resource.STRATEGY, Action.READ)
        strategy_id = parse_uuid(request.strategy_id, "strategy_id")
        if request.version < 0:
            raise InvalidArgument(
                f"version must be >= 0, was {request.version}",
                [("version", f"must be >= 0, was {request.version}")],
            )
        record = await self._store.get(strategy_id, principal.owner_scope, request.version)
        if record is None:
            raise _not_found(strategy_id)
        return strategy_pb2.GetStrategyResponse(strategy=strategy_message(record))

    async def ListStrategies(
        self, request: strategy_pb2.ListStrategiesRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.ListStrategiesResponse:
        principal = self._require(Resource.STRATEGY, Action.READ)
        page_size = _check_page_size(request.page_size)
        owner = request.owner_id or principal.subject
        if not principal.reaches(owner):
            # Other users' strategies are invisible, not forbidden: an empty page leaks nothing.
            return strategy_pb2.ListStrategiesResponse()
        task = "" if request.task == strategy_pb2.TASK_UNSPECIFIED else task_name(request.task)
        records, next_token = await self._store.list(owner, page_size, request.page_token, task)
        return strategy_pb2.ListStrategiesResponse(
            strategies=[strategy_message(r) for r in records], next_page_token=next_token
        )

    async def UpdateStrategy(
        self, request: strategy_pb2.UpdateStrategyRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.UpdateStrategyResponse:
        principal = self._require(Resource.STRATEGY, Action.UPDATE)
        s = request.strategy
        strategy_id = parse_uuid(s.strategy_id, "strategy.strategy_id")
        expected = parse_etag(s.etag)
        paths = list(request.update_mask.paths) or sorted(UPDATABLE_FIELDS)
        unknown = [p for p in paths if p not in UPDATABLE_FIELDS]
        if unknown:
            raise InvalidArgument(
                f"update_mask names fields that cannot be updated: {unknown}",
                [
                    ("update_mask", f"{p!r} is not one of {sorted(UPDATABLE_FIELDS)}")
                    for p in unknown
                ],
            )
        scope = principal.owner_scope
        current = await self._store.get(strategy_id, scope)
        if current is None:
            raise _not_found(strategy_id)
        incoming = {
            "name": s.name.strip(),
            "description": s.description,
            "task": s.task,
            "agent": s.agent,
            "dataset_id": s.dataset_id,
            "config": struct_to_dict(s.config),
        }
        merged = {
            "name": current.name,
            "description": current.description,
            "task": task_enum(current.task),
            "agent": current.agent,
            "dataset_id": current.dataset_id,
            "config": current.config,
        } | {p: incoming[p] for p in paths}
        violations = _text_violations(merged["name"], merged["description"])
        config_violations, normalized = check_config(
            merged["task"], merged["agent"], merged["config"]
        )
        violations += config_violations
        if "dataset_id" in paths:
            violations += await self._dataset_violations(merged["dataset_id"])
        _raise_if(violations, "strategy")
        changes = {p: merged[p] for p in paths}
        if "task" in changes:
            changes["task"] = task_name(changes["task"])
        if {"task", "agent", "config"} & set(paths):
            changes["config"] = normalized
        try:
            record = await self._store.update(strategy_id, scope, changes, expected)
        except VersionConflict as exc:
            raise Aborted(str(exc), reason="ETAG_MISMATCH") from exc
        except NameTaken as exc:
            raise AlreadyExists(str(exc), reason="STRATEGY_NAME_TAKEN") from exc
        if record is None:
            raise _not_found(strategy_id)
        return strategy_pb2.UpdateStrategyResponse(strategy=strategy_message(record))

    async def DeleteStrategy(
        self, request: strategy_pb2.DeleteStrategyRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.DeleteStrategyResponse:
        principal = self._require(Resource.STRATEGY, Action.DELETE)
        strategy_id = parse_uuid(request.strategy_id, "strategy_id")
        expected = parse_etag(request.etag)
        try:
            deleted = await self._store.delete(strategy_id, principal.owner_scope, expected)
        except VersionConflict as exc:
            raise Aborted(str(exc), reason="ETAG_MISMATCH") from exc
        if not deleted:
            raise _not_found(strategy_id)
        return strategy_pb2.DeleteStrategyResponse()

    async def ValidateConfig(
        self, request: strategy_pb2.ValidateConfigRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.ValidateConfigResponse:
        self._require(Resource.CATALOG, Action.READ)
        config = struct_to_dict(request.config)
        violations, normalized = check_config(request.task, request.agent, config)
        if request.dataset_id:
            violations += await self._dataset_violations(request.dataset_id)
        if violations:
            return strategy_pb2.ValidateConfigResponse(
                valid=False,
                violations=[
                    strategy_pb2.FieldViolation(field=f, description=d) for f, d in violations
                ],
            )
        return strategy_pb2.ValidateConfigResponse(
            valid=True, normalized_config=_struct(normalized)
        )

    async def ListAgents(
        self, request: strategy_pb2.ListAgentsRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.ListAgentsResponse:
        self._require(Resource.CATALOG, Action.READ)
        tasks_by_agent: dict[str, list[strategy_pb2.Task]] = {}
        for name, agents in SUPPORTED_AGENTS_BY_TASK.items():
            for agent in agents:
                tasks_by_agent.setdefault(agent, []).append(task_enum(name))
        wanted = request.task
        return strategy_pb2.ListAgentsResponse(
            agents=[
                strategy_pb2.AgentInfo(agent=agent, tasks=sorted(tasks), display_name=agent.upper())
                for agent, tasks in sorted(tasks_by_agent.items())
                if wanted == strategy_pb2.TASK_UNSPECIFIED or wanted in tasks
            ]
        )

    async def GetConfigSchema(
        self, request: strategy_pb2.GetConfigSchemaRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.GetConfigSchemaResponse:
        self._require(Resource.CATALOG, Action.READ)
        _raise_if(_task_and_agent_violations(request.task, request.agent), "request")
        name = task_name(request.task)
        return strategy_pb2.GetConfigSchemaResponse(
            json_schema=json.dumps(config_json_schema(name, request.agent)),
            schema_version=1,
            default_config=_struct(default_config(name, request.agent)),
        )

    async def ListDatasets(
        self, request: strategy_pb2.ListDatasetsRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.ListDatasetsResponse:
        self._require(Resource.DATASET, Action.READ)
        page_size = _check_page_size(request.page_size)
        task = "" if request.task == strategy_pb2.TASK_UNSPECIFIED else task_name(request.task)
        try:
            datasets, next_token = await asyncio.to_thread(
                self._catalog.page, page_size, request.page_token, task
            )
        except ValueError as exc:
            raise InvalidArgument(
                str(exc), [("page_token", str(exc))], reason="INVALID_PAGE_TOKEN"
            ) from exc
        return strategy_pb2.ListDatasetsResponse(datasets=datasets, next_page_token=next_token)

    async def GetDataset(
        self, request: strategy_pb2.GetDatasetRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.GetDatasetResponse:
        self._require(Resource.DATASET, Action.READ)
        dataset = await asyncio.to_thread(self._catalog.get, request.dataset_id)
        if dataset is None:
            raise NotFound(f"dataset {request.dataset_id!r} not found", reason="DATASET_NOT_FOUND")
        return strategy_pb2.GetDatasetResponse(dataset=dataset)

    async def GetDatasetBars(
        self, request: strategy_pb2.GetDatasetBarsRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.GetDatasetBarsResponse:
        self._require(Resource.DATASET, Action.READ)
        max_points = request.max_points or DEFAULT_MAX_POINTS
        if not 1 <= max_points <= MAX_POINTS_LIMIT:
            message = f"max_points must be in [0, {MAX_POINTS_LIMIT}], was {request.max_points}"
            raise InvalidArgument(message, [("max_points", message)])
        start = request.start_time.ToDatetime() if request.HasField("start_time") else None
        end = request.end_time.ToDatetime() if request.HasField("end_time") else None
        try:
            bars = await asyncio.to_thread(
                self._catalog.bars, request.dataset_id, request.tic, start, end, max_points
            )
        except KeyError as exc:
            raise NotFound(
                f"dataset {request.dataset_id!r} not found", reason="DATASET_NOT_FOUND"
            ) from exc
        except BarsUnavailable as exc:
            raise InvalidArgument(
                str(exc), [(exc.field, str(exc))], reason="BARS_UNAVAILABLE"
            ) from exc
        volume = bars.volume if bars.volume is not None else [0.0] * len(bars.time)
        reply = strategy_pb2.GetDatasetBarsResponse(
            total_rows=bars.total_rows,
            bucket_rows=bars.bucket_rows,
            has_volume=bars.volume is not None,
        )
        for time, o, h, low, c, v in zip(
            bars.time, bars.open, bars.high, bars.low, bars.close, volume, strict=True
        ):
            bar = reply.bars.add(open=o, high=h, low=low, close=c, volume=v)
            bar.time.FromDatetime(time.to_pydatetime())
        return reply

    async def _dataset_violations(self, dataset_id: str) -> Violations:
        if dataset_id and await asyncio.to_thread(self._catalog.get, dataset_id) is None:
            return [("dataset_id", f"must name a dataset in the catalog, was {dataset_id!r}")]
        return []
