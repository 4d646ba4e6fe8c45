"""StrategyService: validate and authorize at the edge, then call the store and the catalog."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import grpc
from trademaster.api.strategy.v1 import strategy_pb2, strategy_pb2_grpc
from trademaster.config.strategy import (
    SUPPORTED_AGENTS_BY_TASK,
    config_json_schema,
    default_config,
)
from trademaster.service.auth import Principal, current_principal
from trademaster.service.authz import Action, Grant, Resource, authorize
from trademaster.service.dataset_gate import dataset_scope
from trademaster.service.enums import task_enum, task_name
from trademaster.service.errors import (
    Aborted,
    AlreadyExists,
    InvalidArgument,
    NotFound,
    raise_if_invalid,
)
from trademaster.service.ids import parse_uuid
from trademaster.service.structs import dict_to_struct, struct_to_dict, timestamp_of

from tm_strategy.bars import DEFAULT_MAX_POINTS, MAX_POINTS_LIMIT, BarsUnavailable
from tm_strategy.dataset_rpcs import DatasetRpcs
from tm_strategy.datasets import DatasetCatalog
from tm_strategy.share_rpcs import ShareRpcs
from tm_strategy.shares import ShareStore
from tm_strategy.store import (
    UPDATABLE_FIELDS,
    NameTaken,
    NewStrategy,
    StrategyRecord,
    VersionConflict,
)
from tm_strategy.uploads import UserDatasets
from tm_strategy.validation import (
    Violations,
    check_config,
    check_page_size,
    parse_etag,
    task_and_agent_violations,
    text_violations,
)

_LOGGER = logging.getLogger(__name__)


class StrategyRepository(Protocol):
    """What the servicer needs from storage (``StrategyStore`` or a fake in unit tests)."""

    async def create(self, new: NewStrategy) -> StrategyRecord: ...

    async def get(
        self,
        strategy_id: uuid.UUID,
        owner: str | None,
        version: int = 0,
        shared_with: str | None = None,
    ) -> StrategyRecord | None: ...

    async def list(
        self,
        owner: str,
        page_size: int,
        page_token: str = "",
        task: str = "",
        shared_with: str | None = None,
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


def strategy_message(record: StrategyRecord) -> strategy_pb2.Strategy:
    return strategy_pb2.Strategy(
        strategy_id=str(record.id),
        owner_id=record.owner,
        name=record.name,
        description=record.description,
        task=task_enum(record.task),
        agent=record.agent,
        dataset_id=record.dataset_id,
        config=dict_to_struct(record.config),
        version=record.version,
        etag=record.etag,
        create_time=timestamp_of(record.created_at),
        update_time=timestamp_of(record.updated_at),
    )


def _not_found(strategy_id: uuid.UUID) -> NotFound:
    return NotFound(f"strategy {strategy_id} not found", reason="STRATEGY_NOT_FOUND")


class StrategyServicer(DatasetRpcs, ShareRpcs, strategy_pb2_grpc.StrategyServiceServicer):
    """Owner-scoped strategy CRUD (plus read-only shares), config validation, dataset catalog."""

    def __init__(
        self,
        store: StrategyRepository,
        catalog: DatasetCatalog,
        principal: Callable[[], Principal] = current_principal,
        users: UserDatasets | None = None,
        shares: ShareStore | None = None,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._principal = principal
        self._users = users
        self._shares = shares

    def _require(self, resource: Resource, action: Action) -> Grant:
        return authorize(self._principal(), resource, action)

    async def _shared_copy(self, strategy_id: uuid.UUID, subject: str) -> StrategyRecord | None:
        return await self._store.get(strategy_id, subject, shared_with=subject)

    async def CreateStrategy(
        self, request: strategy_pb2.CreateStrategyRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.CreateStrategyResponse:
        principal = self._require(Resource.STRATEGY, Action.CREATE)
        s = request.strategy
        config = struct_to_dict(s.config)
        violations = text_violations(s.name, s.description)
        config_violations, normalized = check_config(s.task, s.agent, config)
        violations += config_violations + await self._dataset_violations(s.dataset_id)
        raise_if_invalid(violations, "strategy")
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
        record = await self._store.get(
            strategy_id, principal.owner_scope, request.version, shared_with=principal.subject
        )
        if record is None:
            raise _not_found(strategy_id)
        return strategy_pb2.GetStrategyResponse(strategy=strategy_message(record))

    async def ListStrategies(
        self, request: strategy_pb2.ListStrategiesRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.ListStrategiesResponse:
        principal = self._require(Resource.STRATEGY, Action.READ)
        page_size = check_page_size(request.page_size)
        task = "" if request.task == strategy_pb2.TASK_UNSPECIFIED else task_name(request.task)
        if request.shared_with_me:
            # Shared with the caller, from any owner (or the one named).
            owner, shared_with = request.owner_id, principal.subject
        else:
            owner, shared_with = request.owner_id or principal.subject, None
            if not principal.reaches(owner):
                # Other users' strategies are invisible, not forbidden: an empty page leaks nothing.
                return strategy_pb2.ListStrategiesResponse()
        records, next_token = await self._store.list(
            owner, page_size, request.page_token, task, shared_with=shared_with
        )
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
            raise await self.absent_for_writer(strategy_id, principal)
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
        violations = text_violations(merged["name"], merged["description"])
        config_violations, normalized = check_config(
            merged["task"], merged["agent"], merged["config"]
        )
        violations += config_violations
        if "dataset_id" in paths:
            violations += await self._dataset_violations(merged["dataset_id"])
        raise_if_invalid(violations, "strategy")
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
            raise await self.absent_for_writer(strategy_id, principal)
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
            valid=True, normalized_config=dict_to_struct(normalized)
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
        raise_if_invalid(task_and_agent_violations(request.task, request.agent), "request")
        name = task_name(request.task)
        return strategy_pb2.GetConfigSchemaResponse(
            json_schema=json.dumps(config_json_schema(name, request.agent)),
            schema_version=1,
            default_config=dict_to_struct(default_config(name, request.agent)),
        )

    async def ListDatasets(
        self, request: strategy_pb2.ListDatasetsRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.ListDatasetsResponse:
        page_size = check_page_size(request.page_size)
        task = "" if request.task == strategy_pb2.TASK_UNSPECIFIED else task_name(request.task)
        return await self.list_datasets(request, task, page_size)

    async def GetDataset(
        self, request: strategy_pb2.GetDatasetRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.GetDatasetResponse:
        return strategy_pb2.GetDatasetResponse(dataset=await self.get_dataset(request.dataset_id))

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
        if dataset_id and await self.dataset_known(dataset_id, dataset_scope(self._principal())):
            return []
        if dataset_id:
            return [("dataset_id", f"must name a dataset in the catalog, was {dataset_id!r}")]
        return []
