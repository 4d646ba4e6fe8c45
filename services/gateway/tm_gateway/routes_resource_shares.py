"""HTTP routes that share a training job, backtest or registered model read-only with other
users: one set of three routes per resource, all built by :func:`resource_shares_router` from
the owning service's Share/Unshare/List…Shares RPCs (the strategy routes, older, live in
:mod:`tm_gateway.routes_shares` and answer the same shapes).

People share with a *username*; the gateway, which holds the users, turns it into the user id
the owning service stores, and names the users again when listing shares.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import grpc
from fastapi import APIRouter, Depends, Path, Response, status
from pydantic import BaseModel, Field
from trademaster.api.backtest.v1 import backtest_pb2, backtest_pb2_grpc
from trademaster.api.common.v1 import common_pb2
from trademaster.api.strategy.v1 import model_registry_pb2, model_registry_pb2_grpc
from trademaster.api.trainer.v1 import trainer_pb2, trainer_pb2_grpc

from tm_gateway.backends import Backends
from tm_gateway.convert import CallerDependency, CallerLike, time_of
from tm_gateway.http_errors import ApiError
from tm_gateway.identity import IdentityService
from tm_gateway.routes_shares import ShareCreate


class ResourceShareOut(BaseModel):
    resource_id: str = Field(json_schema_extra={"format": "uuid"})
    user_id: str = Field(json_schema_extra={"format": "uuid"})
    username: str = Field(description="Empty when the user no longer exists.")
    created_by: str = Field(description="Id of the user who shared it.")
    created_at: datetime


class ResourceShareList(BaseModel):
    shares: list[ResourceShareOut]


@dataclass(frozen=True)
class SharedResource:
    """One shareable resource: its REST collection, path parameter and the backend RPCs."""

    collection: str
    """``training-jobs`` → ``/training-jobs/{<param>}/shares``."""
    param: str
    noun: str
    tag: str
    backend: str
    stub: Callable[[grpc.aio.Channel], Any]
    share: Callable[[str, str], Any]
    """(resource id, user id) → the Share… request."""
    unshare: Callable[[str, str], Any]
    list: Callable[[str], Any]
    methods: tuple[str, str, str]
    """Stub attribute names of Share…, Unshare…, List…Shares."""


SHARED_RESOURCES = (
    SharedResource(
        "training-jobs", "job_id", "training job", "training jobs", "trainer",
        trainer_pb2_grpc.TrainerServiceStub,
        lambda r, u: trainer_pb2.ShareTrainingJobRequest(job_id=r, user_id=u),
        lambda r, u: trainer_pb2.UnshareTrainingJobRequest(job_id=r, user_id=u),
        lambda r: trainer_pb2.ListTrainingJobSharesRequest(job_id=r),
        ("ShareTrainingJob", "UnshareTrainingJob", "ListTrainingJobShares"),
    ),
    SharedResource(
        "backtests", "backtest_id", "backtest", "backtests", "backtest",
        backtest_pb2_grpc.BacktestServiceStub,
        lambda r, u: backtest_pb2.ShareBacktestRequest(backtest_id=r, user_id=u),
        lambda r, u: backtest_pb2.UnshareBacktestRequest(backtest_id=r, user_id=u),
        lambda r: backtest_pb2.ListBacktestSharesRequest(backtest_id=r),
        ("ShareBacktest", "UnshareBacktest", "ListBacktestShares"),
    ),
    SharedResource(
        "models", "model_id", "registered model", "model registry", "strategy",
        model_registry_pb2_grpc.ModelRegistryServiceStub,
        lambda r, u: model_registry_pb2.ShareModelRequest(model_id=r, user_id=u),
        lambda r, u: model_registry_pb2.UnshareModelRequest(model_id=r, user_id=u),
        lambda r: model_registry_pb2.ListModelSharesRequest(model_id=r),
        ("ShareModel", "UnshareModel", "ListModelShares"),
    ),
)  # fmt: skip


def resource_shares_router(
    backends: Backends, identity: IdentityService, caller: CallerDependency
) -> APIRouter:
    """The share routes of every :data:`SHARED_RESOURCES` entry."""
    router = APIRouter()
    for resource in SHARED_RESOURCES:
        _add_routes(router, resource, backends, identity, caller)
    return router


def _add_routes(
    router: APIRouter,
    res: SharedResource,
    backends: Backends,
    identity: IdentityService,
    caller: CallerDependency,
) -> None:
    CallerDep = Annotated[CallerLike, Depends(caller)]
    base = f"/{res.collection}/{{{res.param}}}/shares"

    def method(index: int) -> Any:
        channel = backends.channel(res.backend)
        if channel is None:
            raise ApiError(
                grpc.StatusCode.UNAVAILABLE,
                f"the {res.backend} service is not configured",
                reason="BACKEND_NOT_CONFIGURED",
            )
        return getattr(res.stub(channel), res.methods[index])

    async def share_out(share: common_pb2.ResourceShare) -> ResourceShareOut:
        user = await identity.store.user_by_id(uuid.UUID(share.user_id))
        return ResourceShareOut(
            resource_id=share.resource_id,
            user_id=share.user_id,
            username=user.username if user else "",
            created_by=share.created_by,
            created_at=time_of(share, "create_time"),  # type: ignore[arg-type]
        )

    # The one path parameter is named after the resource (``job_id``, ``backtest_id``, ...).
    ResourceId = Annotated[str, Path(alias=res.param, description=f"The {res.noun}.")]

    async def list_shares(resource_id: ResourceId, who: CallerDep) -> Any:
        reply = await backends.call(method(2), res.list(resource_id), who.token)
        return ResourceShareList(shares=[await share_out(s) for s in reply.shares])

    async def create_share(resource_id: ResourceId, body: ShareCreate, who: CallerDep) -> Any:
        # NUL cannot be in a stored username (and PostgreSQL refuses it in a query).
        possible = "\x00" not in body.username
        user = await identity.store.user_by_username(body.username) if possible else None
        if user is None:
            raise ApiError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"username names no user, was {body.username[:64]!r}",
                field_violations=[("username", "must name an existing user")],
                reason="USER_NOT_FOUND",
            )
        request = res.share(resource_id, str(user.id))
        reply = await backends.call(method(0), request, who.token)
        return await share_out(reply.share)

    async def delete_share(resource_id: ResourceId, user_id: str, who: CallerDep) -> Response:
        await backends.call(method(1), res.unshare(resource_id, user_id), who.token)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    list_shares.__doc__ = f"Whom the {res.noun} is shared with (owner only), oldest first."
    create_share.__doc__ = (
        f"Share the {res.noun} read-only with a user; sharing again returns the same share."
    )
    delete_share.__doc__ = (
        f"Withdraw a share: the user's next request no longer finds the {res.noun}."
    )
    router.add_api_route(
        base,
        list_shares,
        methods=["GET"],
        response_model=ResourceShareList,
        tags=[res.tag],
        name=f"list_{res.param}_shares",
    )
    router.add_api_route(
        base,
        create_share,
        methods=["POST"],
        response_model=ResourceShareOut,
        status_code=status.HTTP_201_CREATED,
        tags=[res.tag],
        name=f"create_{res.param}_share",
    )
    router.add_api_route(
        base + "/{user_id}", delete_share, methods=["DELETE"],
        status_code=status.HTTP_204_NO_CONTENT, response_class=Response, tags=[res.tag],
        name=f"delete_{res.param}_share",
    )  # fmt: skip
