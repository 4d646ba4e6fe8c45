"""HTTP routes for deployments (a model version trading a paper account); each mirrors one
trainer DeploymentService RPC."""

from datetime import datetime
from typing import Annotated, Literal

import grpc
from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field
from trademaster.api.trainer.v1 import deployment_pb2 as pb
from trademaster.api.trainer.v1 import deployment_pb2_grpc

from tm_gateway.api_models import JobActionName, action_names
from tm_gateway.backends import Backends
from tm_gateway.convert import CallerDependency, CallerLike, time_of
from tm_gateway.http_errors import ApiError

TAG = "deployments"
DeploymentStateName = Literal["QUEUED", "RUNNING", "PAUSED", "CANCELLING", "CANCELLED", "FAILED"]
ModeName = Literal["paper", "live"]
_MODES = {"paper": pb.TRADING_MODE_PAPER, "live": pb.TRADING_MODE_LIVE}
_MODE_NAMES = {value: name for name, value in _MODES.items()}
_DECIMAL = r"^[0-9]+(\.[0-9]+)?$"


class LimitsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_position_quantity: str = Field("", pattern=f"({_DECIMAL})?", max_length=40)
    max_order_quantity: str = Field("", pattern=f"({_DECIMAL})?", max_length=40)
    capital_fraction: str = Field(
        "", pattern=f"({_DECIMAL})?", max_length=40, description="In (0, 1]; empty = 1."
    )


class DeploymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_id: str = Field(min_length=1, max_length=64)
    model_version: int = Field(ge=1, le=2**63 - 1)
    account_id: str = Field(min_length=1, max_length=64)
    instruments: list[str] = Field(min_length=1, max_length=16)
    bar_source: str = Field("", max_length=128, description="Redis bar stream; empty = default.")
    bar_interval_seconds: int = Field(60, ge=1, le=7 * 86_400)
    mode: ModeName = Field(
        "paper", description="live needs an approved live promotion of the version on the account."
    )
    limits: LimitsBody = Field(default_factory=LimitsBody)
    request_id: str = Field("", max_length=128, description="Idempotency key.")


class DeploymentOut(BaseModel):
    id: str
    owner_id: str
    model_id: str
    model_version: int
    account_id: str
    instruments: list[str]
    bar_source: str
    bar_interval_seconds: int
    mode: str
    limits: LimitsBody
    state: DeploymentStateName
    allowed_actions: list[JobActionName] = Field(
        description="Controls the service accepts now (pause/resume/cancel = stop)."
    )
    last_bar_time: datetime | None
    bars_processed: int
    orders_submitted: int
    model_uri: str
    failure_reason: str
    attempt: int
    registry_deployment_id: str
    created_at: datetime | None
    updated_at: datetime | None


class RollbackOut(BaseModel):
    stopped: DeploymentOut
    started: DeploymentOut


class DeploymentList(BaseModel):
    deployments: list[DeploymentOut]
    next_page_token: str


class EquitySampleOut(BaseModel):
    time: datetime | None = Field(description="Market time of the bar.")
    equity: str = Field(description="Account equity once the bar was processed (decimal).")
    bars_processed: int
    orders_submitted: int


class EquityOut(BaseModel):
    samples: list[EquitySampleOut] = Field(description="Oldest bar first.")
    next_page_token: str


class StopBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flatten: bool = Field(False, description="Close the positions through the risk service.")


def deployment_out(dep: pb.Deployment) -> DeploymentOut:
    limits = dep.limits
    return DeploymentOut(
        id=dep.deployment_id,
        owner_id=dep.owner_id,
        model_id=dep.model_id,
        model_version=dep.model_version,
        account_id=dep.account_id,
        instruments=list(dep.instruments),
        bar_source=dep.bar_source,
        bar_interval_seconds=dep.bar_interval_seconds,
        mode=_MODE_NAMES.get(dep.mode, ""),
        limits=LimitsBody(
            max_position_quantity=limits.max_position_quantity,
            max_order_quantity=limits.max_order_quantity,
            capital_fraction=limits.capital_fraction,
        ),
        state=pb.DeploymentState.Name(dep.state).removeprefix("DEPLOYMENT_STATE_"),  # type: ignore[arg-type]
        allowed_actions=action_names(dep.allowed_actions),
        last_bar_time=time_of(dep, "last_bar_time"),
        bars_processed=dep.bars_processed,
        orders_submitted=dep.orders_submitted,
        model_uri=dep.model_uri,
        failure_reason=dep.failure_reason,
        attempt=dep.attempt,
        registry_deployment_id=dep.registry_deployment_id,
        created_at=time_of(dep, "create_time"),
        updated_at=time_of(dep, "update_time"),
    )


def deployments_router(backends: Backends, caller: CallerDependency) -> APIRouter:
    """Routes under ``/deployments``; ``caller`` is the app's auth dependency."""
    router = APIRouter(tags=[TAG])
    CallerDep = Annotated[CallerLike, Depends(caller)]

    def stub() -> deployment_pb2_grpc.DeploymentServiceStub:
        channel = backends.channel("trainer")
        if channel is None:
            raise ApiError(
                grpc.StatusCode.UNAVAILABLE,
                "the trainer service is not configured (set TM_GATEWAY_TRAINER_ADDR)",
                reason="BACKEND_NOT_CONFIGURED",
            )
        return deployment_pb2_grpc.DeploymentServiceStub(channel)

    @router.post("/deployments", response_model=DeploymentOut, status_code=status.HTTP_201_CREATED)
    async def create_deployment(body: DeploymentCreate, who: CallerDep) -> DeploymentOut:
        """Deploy a registered model version (its mode's promotion gate must pass); its runner
        starts on Ray."""
        request = pb.CreateDeploymentRequest(
            deployment=pb.Deployment(
                model_id=body.model_id,
                model_version=body.model_version,
                account_id=body.account_id,
                instruments=body.instruments,
                bar_source=body.bar_source,
                bar_interval_seconds=body.bar_interval_seconds,
                mode=_MODES[body.mode],
                limits=pb.DeploymentLimits(**body.limits.model_dump()),
            ),
            request_id=body.request_id,
        )
        reply = await backends.call(stub().CreateDeployment, request, who.token)
        return deployment_out(reply.deployment)

    @router.get("/deployments", response_model=DeploymentList)
    async def list_deployments(
        who: CallerDep,
        page_size: Annotated[int, Query(ge=0, le=200)] = 0,
        page_token: str = "",
        account_id: str = "",
    ) -> DeploymentList:
        """Deployments visible to the caller, newest first."""
        request = pb.ListDeploymentsRequest(
            page_size=page_size, page_token=page_token, account_id=account_id
        )
        reply = await backends.call(stub().ListDeployments, request, who.token)
        return DeploymentList(
            deployments=[deployment_out(d) for d in reply.deployments],
            next_page_token=reply.next_page_token,
        )

    @router.get("/deployments/{deployment_id}", response_model=DeploymentOut)
    async def get_deployment(deployment_id: str, who: CallerDep) -> DeploymentOut:
        """One deployment with its runner's progress."""
        request = pb.GetDeploymentRequest(deployment_id=deployment_id)
        reply = await backends.call(stub().GetDeployment, request, who.token)
        return deployment_out(reply.deployment)

    @router.get("/deployments/{deployment_id}/equity", response_model=EquityOut)
    async def get_deployment_equity(
        deployment_id: str,
        who: CallerDep,
        page_size: Annotated[int, Query(ge=0, le=10_000)] = 0,
        page_token: str = "",
    ) -> EquityOut:
        """The stored live equity of the deployment: one sample per processed bar."""
        request = pb.GetDeploymentEquityRequest(
            deployment_id=deployment_id, page_size=page_size, page_token=page_token
        )
        reply = await backends.call(stub().GetDeploymentEquity, request, who.token)
        return EquityOut(
            samples=[
                EquitySampleOut(
                    time=time_of(s, "bar_time"),
                    equity=s.equity,
                    bars_processed=s.bars_processed,
                    orders_submitted=s.orders_submitted,
                )
                for s in reply.samples
            ],
            next_page_token=reply.next_page_token,
        )

    @router.post("/deployments/{deployment_id}:pause", response_model=DeploymentOut)
    async def pause_deployment(deployment_id: str, who: CallerDep) -> DeploymentOut:
        """Stop placing orders (the runner keeps following bars)."""
        request = pb.PauseDeploymentRequest(deployment_id=deployment_id)
        reply = await backends.call(stub().PauseDeployment, request, who.token)
        return deployment_out(reply.deployment)

    @router.post("/deployments/{deployment_id}:resume", response_model=DeploymentOut)
    async def resume_deployment(deployment_id: str, who: CallerDep) -> DeploymentOut:
        """Place orders again from the next bar."""
        request = pb.ResumeDeploymentRequest(deployment_id=deployment_id)
        reply = await backends.call(stub().ResumeDeployment, request, who.token)
        return deployment_out(reply.deployment)

    @router.post("/deployments/{deployment_id}:stop", response_model=DeploymentOut)
    async def stop_deployment(
        deployment_id: str, who: CallerDep, body: StopBody | None = None
    ) -> DeploymentOut:
        """Stop the runner; with ``flatten`` its positions are closed through the risk path."""
        request = pb.StopDeploymentRequest(
            deployment_id=deployment_id, flatten=bool(body and body.flatten)
        )
        reply = await backends.call(stub().StopDeployment, request, who.token)
        return deployment_out(reply.deployment)

    @router.post("/accounts/{account_id}/deployments:rollback", response_model=RollbackOut)
    async def rollback_deployment(
        account_id: str, who: CallerDep, body: StopBody | None = None
    ) -> RollbackOut:
        """Stop the account's live deployment and deploy the version live before it."""
        request = pb.RollbackDeploymentRequest(
            account_id=account_id, flatten=bool(body and body.flatten)
        )
        reply = await backends.call(stub().RollbackDeployment, request, who.token)
        return RollbackOut(
            stopped=deployment_out(reply.stopped), started=deployment_out(reply.started)
        )

    return router
