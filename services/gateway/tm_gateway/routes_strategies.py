"""HTTP routes for strategies, config schemas and agents; each mirrors one StrategyService RPC."""

import json
from typing import Annotated, Any

import grpc
from fastapi import APIRouter, Depends, Query, Response, status
from google.protobuf.field_mask_pb2 import FieldMask
from trademaster.api.strategy.v1 import strategy_pb2
from trademaster.service.structs import dict_to_struct, struct_to_dict

from tm_gateway import api_models as m
from tm_gateway.backends import Backends
from tm_gateway.convert import (
    CallerDependency,
    CallerLike,
    task_enum,
    task_name,
    time_of,
)
from tm_gateway.http_errors import ApiError

TAG = "strategies"


def strategy_out(s: strategy_pb2.Strategy) -> m.StrategyOut:
    return m.StrategyOut(
        id=s.strategy_id,
        owner_id=s.owner_id,
        name=s.name,
        description=s.description,
        task=task_name(s.task),  # type: ignore[arg-type]
        agent=s.agent,
        dataset_id=s.dataset_id,
        config=struct_to_dict(s.config),
        version=s.version,
        etag=s.etag,
        created_at=time_of(s, "create_time"),  # type: ignore[arg-type]
        updated_at=time_of(s, "update_time"),  # type: ignore[arg-type]
    )


def patched_strategy(
    strategy_id: str, body: m.StrategyPatch
) -> tuple[strategy_pb2.Strategy, list[str]]:
    """The fields a PATCH body sets, as a Strategy plus its update mask paths."""
    paths = sorted(body.model_fields_set - {"etag"})
    if not paths:
        raise ApiError(
            grpc.StatusCode.INVALID_ARGUMENT,
            "body must set at least one field to update",
            reason="EMPTY_UPDATE",
        )
    strategy = strategy_pb2.Strategy(strategy_id=strategy_id, etag=body.etag)
    for path in paths:
        value: Any = getattr(body, path)
        if value is None:
            raise ApiError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"{path} must not be null",
                field_violations=[(path, "must not be null")],
            )
        if path == "config":
            strategy.config.CopyFrom(dict_to_struct(value))
        elif path == "task":
            strategy.task = task_enum(value)
        else:
            setattr(strategy, path, value)
    return strategy, paths


def strategies_router(backends: Backends, caller: CallerDependency) -> APIRouter:
    """Strategy CRUD and validation; config schemas and agents live in :func:`catalog_router`."""
    router = APIRouter(tags=[TAG])
    CallerDep = Annotated[CallerLike, Depends(caller)]

    @router.get("/strategies", response_model=m.StrategyList)
    async def list_strategies(
        who: CallerDep,
        page_size: Annotated[int, Query(ge=0, le=500)] = 0,
        page_token: str = "",
        task: m.TaskName | None = None,
        shared_with_me: Annotated[
            bool, Query(description="Strategies others shared with the caller (read-only).")
        ] = False,
    ) -> m.StrategyList:
        """The caller's strategies (or those shared with the caller), newest first."""
        reply = await backends.call(
            backends.strategy.ListStrategies,
            strategy_pb2.ListStrategiesRequest(
                page_size=page_size,
                page_token=page_token,
                task=task_enum(task),
                shared_with_me=shared_with_me,
            ),
            who.token,
        )
        return m.StrategyList(
            strategies=[strategy_out(s) for s in reply.strategies],
            next_page_token=reply.next_page_token,
        )

    @router.post("/strategies", response_model=m.StrategyOut, status_code=status.HTTP_201_CREATED)
    async def create_strategy(body: m.StrategyCreate, who: CallerDep) -> m.StrategyOut:
        """Create a strategy; the config is validated and stored with defaults filled in."""
        reply = await backends.call(
            backends.strategy.CreateStrategy,
            strategy_pb2.CreateStrategyRequest(
                strategy=strategy_pb2.Strategy(
                    name=body.name,
                    description=body.description,
                    task=task_enum(body.task),
                    agent=body.agent,
                    dataset_id=body.dataset_id,
                    config=dict_to_struct(body.config),
                ),
                request_id=body.request_id,
            ),
            who.token,
        )
        return strategy_out(reply.strategy)

    @router.post("/strategies:validate", response_model=m.ValidateResponse)
    async def validate_config(body: m.ValidateRequest, who: CallerDep) -> m.ValidateResponse:
        """Validate a config without storing it; lists every bad field."""
        reply = await backends.call(
            backends.strategy.ValidateConfig,
            strategy_pb2.ValidateConfigRequest(
                task=task_enum(body.task),
                agent=body.agent,
                dataset_id=body.dataset_id,
                config=dict_to_struct(body.config),
            ),
            who.token,
        )
        return m.ValidateResponse(
            valid=reply.valid,
            violations=[
                m.FieldViolationOut(field=v.field, description=v.description)
                for v in reply.violations
            ],
            normalized_config=struct_to_dict(reply.normalized_config) if reply.valid else None,
        )

    @router.get("/strategies/{strategy_id}", response_model=m.StrategyOut)
    async def get_strategy(
        strategy_id: str, who: CallerDep, version: Annotated[int, Query(ge=0)] = 0
    ) -> m.StrategyOut:
        """One strategy, at its latest version or at ``version``."""
        reply = await backends.call(
            backends.strategy.GetStrategy,
            strategy_pb2.GetStrategyRequest(strategy_id=strategy_id, version=version),
            who.token,
        )
        return strategy_out(reply.strategy)

    @router.patch("/strategies/{strategy_id}", response_model=m.StrategyOut)
    async def update_strategy(
        strategy_id: str, body: m.StrategyPatch, who: CallerDep
    ) -> m.StrategyOut:
        """Update the fields present in the body; a stale etag answers 409."""
        strategy, paths = patched_strategy(strategy_id, body)
        reply = await backends.call(
            backends.strategy.UpdateStrategy,
            strategy_pb2.UpdateStrategyRequest(
                strategy=strategy, update_mask=FieldMask(paths=paths)
            ),
            who.token,
        )
        return strategy_out(reply.strategy)

    @router.delete(
        "/strategies/{strategy_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        response_class=Response,
    )
    async def delete_strategy(strategy_id: str, who: CallerDep, etag: str = "") -> Response:
        """Delete a strategy; with ``etag`` only if it is still at that version."""
        await backends.call(
            backends.strategy.DeleteStrategy,
            strategy_pb2.DeleteStrategyRequest(strategy_id=strategy_id, etag=etag),
            who.token,
        )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    router.include_router(catalog_router(backends, caller))
    return router


def catalog_router(backends: Backends, caller: CallerDependency) -> APIRouter:
    """What strategies can be built from: config schemas (UI forms) and the agents."""
    router = APIRouter(tags=[TAG])
    CallerDep = Annotated[CallerLike, Depends(caller)]

    @router.get("/config-schema", response_model=m.ConfigSchemaResponse)
    async def config_schema(
        task: m.TaskName, agent: Annotated[str, Query(min_length=1)], who: CallerDep
    ) -> m.ConfigSchemaResponse:
        """JSON Schema and defaults of the config for a task and agent (for UI forms)."""
        reply = await backends.call(
            backends.strategy.GetConfigSchema,
            strategy_pb2.GetConfigSchemaRequest(task=task_enum(task), agent=agent),
            who.token,
        )
        return m.ConfigSchemaResponse(
            json_schema=json.loads(reply.json_schema),
            schema_version=reply.schema_version,
            default_config=struct_to_dict(reply.default_config),
        )

    @router.get("/agents", response_model=m.AgentList)
    async def list_agents(who: CallerDep, task: m.TaskName | None = None) -> m.AgentList:
        """Agents available, optionally only those supporting ``task``."""
        reply = await backends.call(
            backends.strategy.ListAgents,
            strategy_pb2.ListAgentsRequest(task=task_enum(task)),
            who.token,
        )
        return m.AgentList(
            agents=[
                m.AgentOut(
                    agent=a.agent,
                    tasks=[task_name(t) for t in a.tasks],  # type: ignore[misc]
                    display_name=a.display_name,
                )
                for a in reply.agents
            ]
        )

    return router
