"""HTTP routes of the model registry; each mirrors one ModelRegistryService RPC (strategy
service)."""

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import Field
from trademaster.api.strategy.v1 import model_registry_pb2 as pb
from trademaster.api.strategy.v1 import model_registry_pb2_grpc

from tm_gateway import registry_api_models as m
from tm_gateway.backends import Backends

_LOGGER = logging.getLogger(__name__)

TAG = "model registry"
INT64_MAX = 2**63 - 1
# Version numbers are proto int64: a larger one is a 400 naming the field, never a 500.
VersionPath = Annotated[int, Path(ge=1, le=INT64_MAX)]


class CallerLike(Protocol):
    @property
    def token(self) -> str: ...


def _as_of(request: pb.ResolveModelAliasRequest | pb.ListDeployedModelVersionsRequest,
           when: datetime | None) -> None:  # fmt: skip
    if when is not None:
        request.as_of.FromDatetime(when)


def registry_router(backends: Backends, caller: Callable[..., Awaitable[CallerLike]]) -> APIRouter:
    """Routes under ``/models`` and ``/model-deployments``; ``caller`` is the auth dependency."""
    router = APIRouter(tags=[TAG])
    CallerDep = Annotated[CallerLike, Depends(caller)]
    channel = backends.channel("strategy")
    if channel is None:  # Backends refuses to start without it; keeps the type narrow
        raise ValueError("the model registry routes need the strategy service channel")
    stub = model_registry_pb2_grpc.ModelRegistryServiceStub(channel)

    @router.post("/models", response_model=m.ModelOut, status_code=status.HTTP_201_CREATED)
    async def create_model(body: m.ModelCreate, who: CallerDep) -> m.ModelOut:
        """Register a model (a named series of versions) owned by the caller."""
        request = pb.CreateRegisteredModelRequest(
            name=body.name, description=body.description, request_id=body.request_id
        )
        reply = await backends.call(stub.CreateRegisteredModel, request, who.token)
        return m.model_out(reply.model)

    @router.get("/models", response_model=m.ModelList)
    async def list_models(
        who: CallerDep,
        page_size: Annotated[int, Query(ge=0, le=500)] = 0,
        page_token: str = "",
        shared_with_me: Annotated[
            bool, Query(description="Only those others shared with the caller (read-only).")
        ] = False,
    ) -> m.ModelList:
        """The caller's registered models (or those shared with the caller), newest first."""
        request = pb.ListRegisteredModelsRequest(
            page_size=page_size, page_token=page_token, shared_with_me=shared_with_me
        )
        reply = await backends.call(stub.ListRegisteredModels, request, who.token)
        return m.ModelList(
            models=[m.model_out(x) for x in reply.models], next_page_token=reply.next_page_token
        )

    @router.get("/models/{model_id}", response_model=m.ModelOut)
    async def get_model(model_id: str, who: CallerDep) -> m.ModelOut:
        """One registered model with its current aliases."""
        request = pb.GetRegisteredModelRequest(model_id=model_id)
        reply = await backends.call(stub.GetRegisteredModel, request, who.token)
        return m.model_out(reply.model)

    @router.post(
        "/models/{model_id}/versions",
        response_model=m.VersionOut,
        status_code=status.HTTP_201_CREATED,
    )
    async def create_version(model_id: str, body: m.VersionCreate, who: CallerDep) -> m.VersionOut:
        """The next version, from a SUCCEEDED training job (registering it again returns it)."""
        request = pb.CreateModelVersionRequest(
            model_id=model_id,
            training_job_id=body.training_job_id,
            description=body.description,
            tags=body.tags,
        )
        reply = await backends.call(stub.CreateModelVersion, request, who.token)
        return m.version_out(reply.model_version)

    async def _versions(
        who: CallerLike,
        model_id: str,
        page_size: int,
        page_token: str,
        training_job_id: str,
        strategy_id: str,
        dataset_id: str,
    ) -> m.VersionList:
        request = pb.ListModelVersionsRequest(
            model_id=model_id,
            page_size=page_size,
            page_token=page_token,
            training_job_id=training_job_id,
            strategy_id=strategy_id,
            dataset_id=dataset_id,
        )
        reply = await backends.call(stub.ListModelVersions, request, who.token)
        return m.VersionList(
            versions=[m.version_out(v) for v in reply.model_versions],
            next_page_token=reply.next_page_token,
        )

    @router.get("/models/{model_id}/versions", response_model=m.VersionList)
    async def list_versions(
        model_id: str,
        who: CallerDep,
        page_size: Annotated[int, Query(ge=0, le=500)] = 0,
        page_token: str = "",
    ) -> m.VersionList:
        """Versions of one model, newest first."""
        return await _versions(who, model_id, page_size, page_token, "", "", "")

    @router.get("/model-versions", response_model=m.VersionList)
    async def find_versions(
        who: CallerDep,
        training_job_id: str = "",
        strategy_id: str = "",
        dataset_id: str = "",
        page_size: Annotated[int, Query(ge=0, le=500)] = 0,
        page_token: str = "",
    ) -> m.VersionList:
        """Lineage downwards: versions of any of the caller's models made by a training job,
        from a strategy or on a dataset."""
        return await _versions(
            who, "", page_size, page_token, training_job_id, strategy_id, dataset_id
        )

    @router.get("/models/{model_id}/versions:compare", response_model=m.CompareOut)
    async def compare_versions(
        model_id: str,
        who: CallerDep,
        versions: Annotated[
            list[Annotated[int, Field(ge=1, le=INT64_MAX)]], Query(min_length=2, max_length=10)
        ],
    ) -> m.CompareOut:
        """Versions side by side: training and latest-backtest metrics, differing settings."""
        request = pb.CompareModelVersionsRequest(model_id=model_id, versions=versions)
        reply = await backends.call(stub.CompareModelVersions, request, who.token)
        return m.compare_out(reply)

    @router.get("/models/{model_id}/versions/{version}", response_model=m.VersionOut)
    async def get_version(model_id: str, version: VersionPath, who: CallerDep) -> m.VersionOut:
        """One version with the backtests run on its training job and its deployments."""
        request = pb.GetModelVersionRequest(model_id=model_id, version=version)
        reply = await backends.call(stub.GetModelVersion, request, who.token)
        return m.version_out(reply.model_version)

    @router.delete("/models/{model_id}/versions/{version}", status_code=status.HTTP_204_NO_CONTENT)
    async def delete_version(model_id: str, version: VersionPath, who: CallerDep) -> Response:
        """Delete a version; 409-style FAILED_PRECONDITION once deployed or while aliased."""
        request = pb.DeleteModelVersionRequest(model_id=model_id, version=version)
        await backends.call(stub.DeleteModelVersion, request, who.token)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.patch("/models/{model_id}/versions/{version}/tags", response_model=m.VersionOut)
    async def update_tags(
        model_id: str, version: VersionPath, body: m.TagsUpdate, who: CallerDep
    ) -> m.VersionOut:
        """Set and remove tags of a version."""
        request = pb.UpdateModelVersionTagsRequest(
            model_id=model_id, version=version, set_tags=body.set, remove_tag_keys=body.remove
        )
        reply = await backends.call(stub.UpdateModelVersionTags, request, who.token)
        return m.version_out(reply.model_version)

    @router.put("/models/{model_id}/aliases/{alias}", response_model=m.ModelOut)
    async def set_alias(model_id: str, alias: str, body: m.AliasSet, who: CallerDep) -> m.ModelOut:
        """Point an alias (e.g. ``champion``) at a version, moving it if set."""
        request = pb.SetModelAliasRequest(model_id=model_id, alias=alias, version=body.version)
        reply = await backends.call(stub.SetModelAlias, request, who.token)
        return m.model_out(reply.model)

    @router.delete("/models/{model_id}/aliases/{alias}", response_model=m.ModelOut)
    async def delete_alias(model_id: str, alias: str, who: CallerDep) -> m.ModelOut:
        """Remove an alias (removing an absent one is not an error)."""
        request = pb.DeleteModelAliasRequest(model_id=model_id, alias=alias)
        reply = await backends.call(stub.DeleteModelAlias, request, who.token)
        return m.model_out(reply.model)

    @router.get("/models/{model_id}/aliases/{alias}", response_model=m.AliasOut)
    async def resolve_alias(
        model_id: str, alias: str, who: CallerDep, as_of: datetime | None = None
    ) -> m.AliasOut:
        """The version an alias names now, or named at ``as_of`` (from the history)."""
        request = pb.ResolveModelAliasRequest(model_id=model_id, alias=alias)
        _as_of(request, as_of)
        reply = await backends.call(stub.ResolveModelAlias, request, who.token)
        return m.AliasOut(
            alias=alias,
            version=reply.version or None,
            set_by=m.event_out(reply.set_by) if reply.HasField("set_by") else None,
        )

    @router.get("/models/{model_id}/history", response_model=m.HistoryList)
    async def history(
        model_id: str,
        who: CallerDep,
        page_size: Annotated[int, Query(ge=0, le=500)] = 0,
        page_token: str = "",
    ) -> m.HistoryList:
        """The model's append-only history, oldest first."""
        request = pb.ListModelHistoryRequest(
            model_id=model_id, page_size=page_size, page_token=page_token
        )
        reply = await backends.call(stub.ListModelHistory, request, who.token)
        return m.HistoryList(
            events=[m.event_out(e) for e in reply.events], next_page_token=reply.next_page_token
        )

    @router.post(
        "/model-deployments", response_model=m.DeploymentOut, status_code=status.HTTP_201_CREATED
    )
    async def record_deployment(body: m.DeploymentCreate, who: CallerDep) -> m.DeploymentOut:
        """Record that a version trades on an account (protects it from deletion)."""
        request = pb.RecordModelDeploymentRequest(
            model_id=body.model_id,
            version=body.version,
            account_id=body.account_id,
            mode=m.MODES[body.mode],
            request_id=body.request_id,
        )
        reply = await backends.call(stub.RecordModelDeployment, request, who.token)
        return m.deployment_out(reply.deployment)

    @router.post("/model-deployments/{deployment_id}:end", response_model=m.DeploymentOut)
    async def end_deployment(deployment_id: str, who: CallerDep) -> m.DeploymentOut:
        """Record that a deployment ended (ending an ended one returns it unchanged)."""
        request = pb.EndModelDeploymentRequest(deployment_id=deployment_id)
        reply = await backends.call(stub.EndModelDeployment, request, who.token)
        return m.deployment_out(reply.deployment)

    @router.get("/model-deployments", response_model=m.DeploymentList)
    async def deployed_versions(
        who: CallerDep,
        account_id: Annotated[str, Query(min_length=1, max_length=128)],
        as_of: datetime | None = None,
    ) -> m.DeploymentList:
        """Deployments active on an account now, or at ``as_of``: which version was live."""
        request = pb.ListDeployedModelVersionsRequest(account_id=account_id)
        _as_of(request, as_of)
        reply = await backends.call(stub.ListDeployedModelVersions, request, who.token)
        return m.DeploymentList(deployments=[m.deployment_out(d) for d in reply.deployments])

    return router
