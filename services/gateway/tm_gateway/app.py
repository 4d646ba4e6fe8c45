"""The HTTP API (FastAPI): auth, strategies, config schemas, datasets, probes and the UI."""

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import grpc
import jwt
from fastapi import APIRouter, Depends, FastAPI, Query, Response, status
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from google.protobuf import struct_pb2
from google.protobuf.field_mask_pb2 import FieldMask
from psycopg import Error as PsycopgError
from trademaster.api.strategy.v1 import strategy_pb2
from trademaster.service.auth import Principal, verify_token
from trademaster.service.errors import DomainError
from trademaster.service.structs import struct_to_dict

from tm_gateway import api_models as m
from tm_gateway.backends import Backends
from tm_gateway.error_handlers import (
    RequestIdMiddleware,
    error_response,
    install_error_handlers,
)
from tm_gateway.http_errors import ApiError, ErrorBody
from tm_gateway.identity import IdentityService
from tm_gateway.routes_backtests import backtests_router
from tm_gateway.routes_events import events_router
from tm_gateway.routes_jobs import jobs_router
from tm_gateway.routes_registry import registry_router
from tm_gateway.spa import SpaStaticFiles

_LOGGER = logging.getLogger(__name__)

_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        400: "Invalid request (see field_violations).",
        401: "Missing, invalid or expired token.",
        403: "The caller's roles do not allow this.",
        404: "Not found (or owned by someone else).",
        409: "Conflict: etag mismatch or name taken.",
        429: "Too many requests.",
        503: "A backend is unavailable.",
        504: "A backend did not answer in time.",
    }.items()
}
_FALLBACK_PAGE = """<!doctype html><html><head><title>TradeMaster</title></head>
<body><h1>TradeMaster Platform</h1><p>The UI is not built yet. See the
<a href="/docs">API documentation</a>.</p></body></html>"""


@dataclass(frozen=True)
class Caller:
    """The authenticated caller and the token to forward to backends."""

    principal: Principal
    token: str


def domain_to_api_error(error: DomainError) -> ApiError:
    return ApiError(error.code, error.message, error.reason, error.field_violations())


def _struct(data: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(data)
    return out


def _task_enum(task: str) -> strategy_pb2.Task:
    return strategy_pb2.Task.Value(f"TASK_{task.upper()}")


def _task_name(task: int) -> str:
    return strategy_pb2.Task.Name(task).removeprefix("TASK_").lower()


def _time(message: Any, field: str) -> datetime | None:
    return getattr(message, field).ToDatetime(tzinfo=UTC) if message.HasField(field) else None


def strategy_out(s: strategy_pb2.Strategy) -> m.StrategyOut:
    return m.StrategyOut(
        id=s.strategy_id,
        owner_id=s.owner_id,
        name=s.name,
        description=s.description,
        task=_task_name(s.task),  # type: ignore[arg-type]
        agent=s.agent,
        dataset_id=s.dataset_id,
        config=struct_to_dict(s.config),
        version=s.version,
        etag=s.etag,
        created_at=_time(s, "create_time"),  # type: ignore[arg-type]
        updated_at=_time(s, "update_time"),  # type: ignore[arg-type]
    )


def dataset_out(d: strategy_pb2.Dataset) -> m.DatasetOut:
    return m.DatasetOut(
        id=d.dataset_id,
        name=d.name,
        tasks=[_task_name(t) for t in d.tasks],  # type: ignore[misc]
        path=d.path,
        format=d.format,
        rows=d.rows,
        assets=list(d.assets),
        start_time=_time(d, "start_time"),
        end_time=_time(d, "end_time"),
        frequency=d.frequency,
        columns=list(d.columns),
        content_hash=d.content_hash,
        synthetic=d.synthetic,
        splits=[
            m.DatasetSplitOut(
                name=sp.name,
                start_time=_time(sp, "start_time"),
                end_time=_time(sp, "end_time"),
                rows=sp.rows,
            )
            for sp in d.splits
        ],
    )


def user_out(user: Any) -> m.UserOut:
    return m.UserOut(
        id=str(user.id), username=user.username, roles=user.roles, created_at=user.created_at
    )


def create_app(
    identity: IdentityService,
    backends: Backends,
    *,
    jwt_secret: str,
    jwt_issuer: str,
    static_dir: Path | None = None,
) -> FastAPI:
    """Build the HTTP app; ``identity`` and ``backends`` are opened and closed by the caller."""
    app = FastAPI(
        title="TradeMaster Platform API",
        version="1.0.0",
        description="Strategies, datasets, training jobs, identity and the event stream (WebSocket "
        "`/api/v1/events`, protocol under `GET /api/v1/events`). Every error has the "
        "`ErrorBody` shape.",
        responses=_ERROR_RESPONSES,
    )
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    app.add_exception_handler(
        DomainError,
        lambda request, exc: error_response(domain_to_api_error(exc), request),  # type: ignore[arg-type]
    )

    bearer = HTTPBearer(auto_error=False, description="JWT from POST /api/v1/auth/login.")

    async def caller(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Caller:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise ApiError(
                grpc.StatusCode.UNAUTHENTICATED,
                "missing 'Authorization: Bearer <token>' header",
                reason="TOKEN_MISSING",
            )
        principal = verify_token(jwt_secret, credentials.credentials, jwt_issuer)
        if principal.kind == "service":
            jti = _jti(credentials.credentials)
            if await identity.is_token_revoked(jti):
                raise ApiError(
                    grpc.StatusCode.UNAUTHENTICATED, "token revoked", reason="TOKEN_REVOKED"
                )
        return Caller(principal, credentials.credentials)

    CallerDep = Annotated[Caller, Depends(caller)]
    api = APIRouter(prefix="/api/v1")

    @api.post("/auth/login", response_model=m.LoginResponse, tags=["auth"])
    async def login(body: m.LoginRequest) -> m.LoginResponse:
        """Exchange username and password for a short-lived access token."""
        result = await identity.login(body.username, body.password)
        return m.LoginResponse(
            access_token=result.access_token,
            expires_at=result.expires_at,
            user=user_out(result.user),
        )

    @api.get("/auth/me", response_model=m.MeResponse, tags=["auth"])
    async def me(who: CallerDep) -> m.MeResponse:
        """Who the token belongs to."""
        p = who.principal
        username = None
        if p.kind == "user":
            username = (await identity.get_user(p.subject)).username
        return m.MeResponse(
            subject=p.subject,
            kind=p.kind,
            roles=sorted(r.value for r in p.roles),  # type: ignore[misc]
            username=username,
        )

    @api.get("/strategies", response_model=m.StrategyList, tags=["strategies"])
    async def list_strategies(
        who: CallerDep,
        page_size: Annotated[int, Query(ge=0, le=500)] = 0,
        page_token: str = "",
        task: m.TaskName | None = None,
    ) -> m.StrategyList:
        """The caller's strategies, newest first."""
        reply = await backends.call(
            backends.strategy.ListStrategies,
            strategy_pb2.ListStrategiesRequest(
                page_size=page_size,
                page_token=page_token,
                task=_task_enum(task) if task else strategy_pb2.TASK_UNSPECIFIED,
            ),
            who.token,
        )
        return m.StrategyList(
            strategies=[strategy_out(s) for s in reply.strategies],
            next_page_token=reply.next_page_token,
        )

    @api.post(
        "/strategies",
        response_model=m.StrategyOut,
        status_code=status.HTTP_201_CREATED,
        tags=["strategies"],
    )
    async def create_strategy(body: m.StrategyCreate, who: CallerDep) -> m.StrategyOut:
        """Create a strategy; the config is validated and stored with defaults filled in."""
        reply = await backends.call(
            backends.strategy.CreateStrategy,
            strategy_pb2.CreateStrategyRequest(
                strategy=strategy_pb2.Strategy(
                    name=body.name,
                    description=body.description,
                    task=_task_enum(body.task),
                    agent=body.agent,
                    dataset_id=body.dataset_id,
                    config=_struct(body.config),
                ),
                request_id=body.request_id,
            ),
            who.token,
        )
        return strategy_out(reply.strategy)

    @api.post("/strategies:validate", response_model=m.ValidateResponse, tags=["strategies"])
    async def validate_config(body: m.ValidateRequest, who: CallerDep) -> m.ValidateResponse:
        """Validate a config without storing it; lists every bad field."""
        reply = await backends.call(
            backends.strategy.ValidateConfig,
            strategy_pb2.ValidateConfigRequest(
                task=_task_enum(body.task),
                agent=body.agent,
                dataset_id=body.dataset_id,
                config=_struct(body.config),
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

    @api.get("/strategies/{strategy_id}", response_model=m.StrategyOut, tags=["strategies"])
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

    @api.patch("/strategies/{strategy_id}", response_model=m.StrategyOut, tags=["strategies"])
    async def update_strategy(
        strategy_id: str, body: m.StrategyPatch, who: CallerDep
    ) -> m.StrategyOut:
        """Update the fields present in the body; a stale etag answers 409."""
        paths = sorted(body.model_fields_set - {"etag"})
        if not paths:
            raise ApiError(
                grpc.StatusCode.INVALID_ARGUMENT,
                "body must set at least one field to update",
                reason="EMPTY_UPDATE",
            )
        strategy = strategy_pb2.Strategy(strategy_id=strategy_id, etag=body.etag)
        for path in paths:
            value = getattr(body, path)
            if value is None:
                raise ApiError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"{path} must not be null",
                    field_violations=[(path, "must not be null")],
                )
            if path == "config":
                strategy.config.CopyFrom(_struct(value))
            elif path == "task":
                strategy.task = _task_enum(value)
            else:
                setattr(strategy, path, value)
        reply = await backends.call(
            backends.strategy.UpdateStrategy,
            strategy_pb2.UpdateStrategyRequest(
                strategy=strategy, update_mask=FieldMask(paths=paths)
            ),
            who.token,
        )
        return strategy_out(reply.strategy)

    @api.delete(
        "/strategies/{strategy_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        response_class=Response,
        tags=["strategies"],
    )
    async def delete_strategy(strategy_id: str, who: CallerDep, etag: str = "") -> Response:
        """Delete a strategy; with ``etag`` only if it is still at that version."""
        await backends.call(
            backends.strategy.DeleteStrategy,
            strategy_pb2.DeleteStrategyRequest(strategy_id=strategy_id, etag=etag),
            who.token,
        )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @api.get("/config-schema", response_model=m.ConfigSchemaResponse, tags=["strategies"])
    async def config_schema(
        task: m.TaskName, agent: Annotated[str, Query(min_length=1)], who: CallerDep
    ) -> m.ConfigSchemaResponse:
        """JSON Schema and defaults of the config for a task and agent (for UI forms)."""
        reply = await backends.call(
            backends.strategy.GetConfigSchema,
            strategy_pb2.GetConfigSchemaRequest(task=_task_enum(task), agent=agent),
            who.token,
        )
        return m.ConfigSchemaResponse(
            json_schema=json.loads(reply.json_schema),
            schema_version=reply.schema_version,
            default_config=struct_to_dict(reply.default_config),
        )

    @api.get("/agents", response_model=m.AgentList, tags=["strategies"])
    async def list_agents(who: CallerDep, task: m.TaskName | None = None) -> m.AgentList:
        """Agents available, optionally only those supporting ``task``."""
        reply = await backends.call(
            backends.strategy.ListAgents,
            strategy_pb2.ListAgentsRequest(
                task=_task_enum(task) if task else strategy_pb2.TASK_UNSPECIFIED
            ),
            who.token,
        )
        return m.AgentList(
            agents=[
                m.AgentOut(
                    agent=a.agent,
                    tasks=[_task_name(t) for t in a.tasks],  # type: ignore[misc]
                    display_name=a.display_name,
                )
                for a in reply.agents
            ]
        )

    @api.get("/datasets", response_model=m.DatasetList, tags=["datasets"])
    async def list_datasets(
        who: CallerDep,
        page_size: Annotated[int, Query(ge=0, le=500)] = 0,
        page_token: str = "",
        task: m.TaskName | None = None,
    ) -> m.DatasetList:
        """Datasets in the catalog, sorted by id."""
        reply = await backends.call(
            backends.strategy.ListDatasets,
            strategy_pb2.ListDatasetsRequest(
                page_size=page_size,
                page_token=page_token,
                task=_task_enum(task) if task else strategy_pb2.TASK_UNSPECIFIED,
            ),
            who.token,
        )
        return m.DatasetList(
            datasets=[dataset_out(d) for d in reply.datasets],
            next_page_token=reply.next_page_token,
        )

    @api.get("/datasets/{dataset_id}", response_model=m.DatasetOut, tags=["datasets"])
    async def get_dataset(dataset_id: str, who: CallerDep) -> m.DatasetOut:
        """One dataset of the catalog."""
        reply = await backends.call(
            backends.strategy.GetDataset,
            strategy_pb2.GetDatasetRequest(dataset_id=dataset_id),
            who.token,
        )
        return dataset_out(reply.dataset)

    @api.get("/datasets/{dataset_id}/ohlcv", response_model=m.OhlcvOut, tags=["datasets"])
    async def dataset_ohlcv(
        dataset_id: str,
        tic: Annotated[str, Query(min_length=1)],
        who: CallerDep,
        start: datetime | None = None,
        end: datetime | None = None,
        max_points: Annotated[int, Query(ge=0, le=10_000)] = 0,
    ) -> m.OhlcvOut:
        """One asset's OHLCV bars between inclusive ``start`` and ``end``, merged to at most
        ``max_points`` bars (0 = server default)."""
        request = strategy_pb2.GetDatasetBarsRequest(
            dataset_id=dataset_id, tic=tic, max_points=max_points
        )
        if start is not None:
            request.start_time.FromDatetime(start)
        if end is not None:
            request.end_time.FromDatetime(end)
        reply = await backends.call(backends.strategy.GetDatasetBars, request, who.token)
        bars = reply.bars
        return m.OhlcvOut(
            dataset_id=dataset_id,
            tic=tic,
            time=[b.time.ToDatetime(tzinfo=UTC) for b in bars],
            open=[b.open for b in bars],
            high=[b.high for b in bars],
            low=[b.low for b in bars],
            close=[b.close for b in bars],
            volume=[b.volume for b in bars] if reply.has_volume else None,
            total_rows=reply.total_rows,
            bucket_rows=reply.bucket_rows,
        )

    api.include_router(jobs_router(backends, caller))
    api.include_router(events_router(backends, caller))
    api.include_router(backtests_router(backends, caller))
    api.include_router(registry_router(backends, caller))
    app.include_router(api)

    @app.get("/healthz", response_model=m.HealthResponse, tags=["probes"])
    async def healthz() -> m.HealthResponse:
        """The process is up."""
        return m.HealthResponse(status="ok")

    @app.get("/readyz", response_model=m.ReadyResponse, tags=["probes"])
    async def readyz() -> m.ReadyResponse:
        """Every backend SERVING on gRPC health and the identity database answering."""
        checks = await backends.health()
        try:
            await identity.store.ping()
            checks["database"] = "ok"
        except (PsycopgError, OSError) as error:
            checks["database"] = f"error: {type(error).__name__}"
        failing = {k: v for k, v in checks.items() if v not in ("SERVING", "ok")}
        if failing:
            raise ApiError(
                grpc.StatusCode.UNAVAILABLE,
                "not ready: " + ", ".join(f"{k}={v}" for k, v in sorted(failing.items())),
                reason="NOT_READY",
                field_violations=sorted(failing.items()),
            )
        return m.ReadyResponse(status="ready", checks=checks)

    if static_dir is not None and static_dir.is_dir():
        app.mount("/", SpaStaticFiles(directory=static_dir, html=True), name="ui")
    else:

        @app.get("/", response_class=HTMLResponse, include_in_schema=False)
        async def index() -> str:
            return _FALLBACK_PAGE

    return app


def _jti(token: str) -> str:
    """The ``jti`` of a token whose signature was already verified."""
    return str(jwt.decode(token, options={"verify_signature": False}).get("jti", ""))
