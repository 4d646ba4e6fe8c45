"""ModelRegistryService: validate, authorize from the one table, then call the stores.

Out-of-reach models are NOT_FOUND (never PERMISSION_DENIED with data). Versions are created only
from SUCCEEDED training jobs the caller can read, asked of the trainer as the caller.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import TypeAlias

import grpc
from trademaster.api.strategy.v1 import model_registry_pb2 as pb
from trademaster.api.strategy.v1 import model_registry_pb2_grpc
from trademaster.service.auth import Principal, current_principal
from trademaster.service.authz import Action, Grant, Resource, authorize
from trademaster.service.errors import AlreadyExists, FailedPrecondition, NotFound
from trademaster.service.ids import parse_uuid
from trademaster.service.paging import decode_page_token, encode_page_token
from trademaster.service.sharing import ShareTable

from tm_strategy.registry import validation as check
from tm_strategy.registry.aliases import AliasStore
from tm_strategy.registry.compare import differing_settings, metric_table, with_backtest_metrics
from tm_strategy.registry.convert import (
    MODE_NAMES,
    deployment_message,
    event_message,
    model_message,
    version_message,
)
from tm_strategy.registry.deployments import DeploymentStore
from tm_strategy.registry.history import RegistryHistory
from tm_strategy.registry.lineage import Lineage, caller_metadata, version_from_job
from tm_strategy.registry.records import (
    ModelNameTaken,
    TooManyTags,
    VersionProtected,
    VersionRecord,
)
from tm_strategy.registry.share_rpcs import ModelShareRpcs, model_missing
from tm_strategy.registry.store import RegistryStore

Context: TypeAlias = grpc.aio.ServicerContext


_model_missing = model_missing


def _version_missing(model_id: uuid.UUID, version: int) -> NotFound:
    return NotFound(
        f"version {version} of registered model {model_id} not found",
        reason="MODEL_VERSION_NOT_FOUND",
    )


class ModelRegistryServicer(ModelShareRpcs, model_registry_pb2_grpc.ModelRegistryServiceServicer):
    """The registry's RPCs; storage in the strategy schema, lineage over gRPC."""

    def __init__(
        self,
        store: RegistryStore,
        aliases: AliasStore,
        history: RegistryHistory,
        deployments: DeploymentStore,
        lineage: Lineage,
        principal: Callable[[], Principal] = current_principal,
        shares: ShareTable | None = None,
    ) -> None:
        self._shares = shares
        self._store = store
        self._aliases = aliases
        self._history = history
        self._deployments = deployments
        self._lineage = lineage
        self._principal = principal

    def _grant(self, resource: Resource, action: Action) -> Grant:
        return authorize(self._principal(), resource, action)

    async def _reachable_model(self, model_id: str, grant: Grant) -> tuple[uuid.UUID, str | None]:
        """A model the caller may read (own or shared with them) and the scope to read it in."""
        parsed = parse_uuid(model_id, "model_id")
        scope = await self._read_scope(parsed, grant)
        if await self._store.get_model(parsed, scope) is None:
            raise _model_missing(parsed)
        return parsed, scope

    async def CreateRegisteredModel(
        self, request: pb.CreateRegisteredModelRequest, context: Context
    ) -> pb.CreateRegisteredModelResponse:
        grant = self._grant(Resource.MODEL, Action.CREATE)
        name = check.model_name(request.name)
        description = check.text(request.description, "description", check.MAX_DESCRIPTION)
        request_id = check.text(request.request_id, "request_id", check.MAX_REQUEST_ID)
        try:
            record = await self._store.create_model(grant.subject, name, description, request_id)
        except ModelNameTaken as exc:
            raise AlreadyExists(str(exc), reason="MODEL_NAME_TAKEN") from exc
        return pb.CreateRegisteredModelResponse(model=model_message(record))

    async def GetRegisteredModel(
        self, request: pb.GetRegisteredModelRequest, context: Context
    ) -> pb.GetRegisteredModelResponse:
        grant = self._grant(Resource.MODEL, Action.READ)
        model_id = parse_uuid(request.model_id, "model_id")
        record = await self._store.get_model(model_id, await self._read_scope(model_id, grant))
        if record is None:
            raise _model_missing(model_id)
        return pb.GetRegisteredModelResponse(model=model_message(record))

    async def ListRegisteredModels(
        self, request: pb.ListRegisteredModelsRequest, context: Context
    ) -> pb.ListRegisteredModelsResponse:
        grant = self._grant(Resource.MODEL, Action.READ)
        size = check.page_size(request.page_size)
        if request.shared_with_me:
            # Shared with the caller, from any owner (or the one named).
            records, token = await self._store.list_models(
                request.owner_id or None, size, request.page_token, shared_with=grant.subject
            )
            return pb.ListRegisteredModelsResponse(
                models=[model_message(r) for r in records], next_page_token=token
            )
        owner = request.owner_id or grant.subject
        if not grant.reaches(owner):
            return pb.ListRegisteredModelsResponse()
        records, token = await self._store.list_models(owner, size, request.page_token)
        return pb.ListRegisteredModelsResponse(
            models=[model_message(r) for r in records], next_page_token=token
        )

    async def CreateModelVersion(
        self, request: pb.CreateModelVersionRequest, context: Context
    ) -> pb.CreateModelVersionResponse:
        grant = self._grant(Resource.MODEL, Action.CREATE)
        model_id = parse_uuid(request.model_id, "model_id")
        if not request.training_job_id:
            raise check.bad("training_job_id", "a training job id", "")
        description = check.text(request.description, "description", check.MAX_DESCRIPTION)
        tags = check.tags(request.tags)
        if await self._store.get_model(model_id, grant.owner_scope) is None:
            raise await self._missing_for_writer(model_id, grant, _model_missing(model_id))
        job = await self._lineage.finished_job(request.training_job_id, caller_metadata(context))
        new = dataclasses.replace(version_from_job(job), description=description, tags=tags)
        record = await self._store.create_version(model_id, grant.owner_scope, new, grant.subject)
        if record is None:
            raise _model_missing(model_id)
        return pb.CreateModelVersionResponse(model_version=version_message(record))

    async def _detailed(self, record: VersionRecord, context: Context) -> pb.ModelVersion:
        backtests = await self._lineage.backtests_of(
            record.training_job_id, caller_metadata(context)
        )
        deployments = await self._deployments.of_version(record.model_id, record.version)
        return version_message(record, backtests, deployments)

    async def _version(self, model_id: str, version: int, grant: Grant) -> VersionRecord:
        parsed = parse_uuid(model_id, "model_id")
        number = check.version(version)
        record = await self._store.get_version(
            parsed, number, await self._read_scope(parsed, grant)
        )
        if record is None:
            raise _version_missing(parsed, number)
        return record

    async def GetModelVersion(
        self, request: pb.GetModelVersionRequest, context: Context
    ) -> pb.GetModelVersionResponse:
        grant = self._grant(Resource.MODEL, Action.READ)
        record = await self._version(request.model_id, request.version, grant)
        return pb.GetModelVersionResponse(model_version=await self._detailed(record, context))

    async def ListModelVersions(
        self, request: pb.ListModelVersionsRequest, context: Context
    ) -> pb.ListModelVersionsResponse:
        grant = self._grant(Resource.MODEL, Action.READ)
        size = check.page_size(request.page_size)
        model_id, scope = (
            await self._reachable_model(request.model_id, grant)
            if request.model_id
            else (None, grant.owner_scope)
        )
        records, token = await self._store.list_versions(
            scope,
            size,
            request.page_token,
            model_id=model_id,
            filters={
                "training_job_id": request.training_job_id,
                "strategy_id": request.strategy_id,
                "dataset_id": request.dataset_id,
            },
        )
        return pb.ListModelVersionsResponse(
            model_versions=[version_message(r) for r in records], next_page_token=token
        )

    async def UpdateModelVersionTags(
        self, request: pb.UpdateModelVersionTagsRequest, context: Context
    ) -> pb.UpdateModelVersionTagsResponse:
        grant = self._grant(Resource.MODEL, Action.UPDATE)
        model_id = parse_uuid(request.model_id, "model_id")
        number = check.version(request.version)
        set_tags = check.tags(request.set_tags, request.remove_tag_keys)
        try:
            record = await self._store.update_tags(
                model_id,
                number,
                grant.owner_scope,
                set_tags,
                list(request.remove_tag_keys),
                grant.subject,
                check.MAX_TAGS,
            )
        except TooManyTags as exc:
            raise check.bad("set_tags", f"at most {check.MAX_TAGS} tags in all", str(exc)) from exc
        if record is None:
            raise await self._missing_for_writer(
                model_id, grant, _version_missing(model_id, number)
            )
        return pb.UpdateModelVersionTagsResponse(model_version=version_message(record))

    async def SetModelAlias(
        self, request: pb.SetModelAliasRequest, context: Context
    ) -> pb.SetModelAliasResponse:
        grant = self._grant(Resource.MODEL, Action.UPDATE)
        model_id = parse_uuid(request.model_id, "model_id")
        alias = check.alias(request.alias)
        number = check.version(request.version)
        done = await self._aliases.set_alias(
            model_id, alias, number, grant.owner_scope, grant.subject
        )
        if not done:
            raise await self._missing_for_writer(
                model_id, grant, _version_missing(model_id, number)
            )
        return pb.SetModelAliasResponse(model=await self._model(model_id, grant))

    async def DeleteModelAlias(
        self, request: pb.DeleteModelAliasRequest, context: Context
    ) -> pb.DeleteModelAliasResponse:
        grant = self._grant(Resource.MODEL, Action.UPDATE)
        model_id = parse_uuid(request.model_id, "model_id")
        alias = check.alias(request.alias)
        if not await self._aliases.delete_alias(model_id, alias, grant.owner_scope, grant.subject):
            raise await self._missing_for_writer(model_id, grant, _model_missing(model_id))
        return pb.DeleteModelAliasResponse(model=await self._model(model_id, grant))

    async def _model(self, model_id: uuid.UUID, grant: Grant) -> pb.RegisteredModel:
        record = await self._store.get_model(model_id, grant.owner_scope)
        if record is None:
            raise _model_missing(model_id)
        return model_message(record)

    async def ResolveModelAlias(
        self, request: pb.ResolveModelAliasRequest, context: Context
    ) -> pb.ResolveModelAliasResponse:
        grant = self._grant(Resource.MODEL, Action.READ)
        model_id, _ = await self._reachable_model(request.model_id, grant)
        alias = check.alias(request.alias)
        when = check.as_of(request.as_of, request.HasField("as_of"))
        entry = await self._history.alias_at(model_id, alias, when)
        if entry is None:
            return pb.ResolveModelAliasResponse()
        return pb.ResolveModelAliasResponse(version=entry.version, set_by=event_message(entry))

    async def DeleteModelVersion(
        self, request: pb.DeleteModelVersionRequest, context: Context
    ) -> pb.DeleteModelVersionResponse:
        grant = self._grant(Resource.MODEL, Action.DELETE)
        model_id = parse_uuid(request.model_id, "model_id")
        number = check.version(request.version)
        try:
            deleted = await self._store.delete_version(
                model_id, number, grant.owner_scope, grant.subject
            )
        except VersionProtected as exc:
            raise FailedPrecondition(str(exc), reason=exc.reason) from exc
        if not deleted:
            raise await self._missing_for_writer(
                model_id, grant, _version_missing(model_id, number)
            )
        return pb.DeleteModelVersionResponse()

    async def CompareModelVersions(
        self, request: pb.CompareModelVersionsRequest, context: Context
    ) -> pb.CompareModelVersionsResponse:
        grant = self._grant(Resource.MODEL, Action.READ)
        numbers = check.compared_versions(request.versions)
        records = [await self._version(request.model_id, n, grant) for n in numbers]
        detailed = [await self._detailed(r, context) for r in records]
        per_version = []
        for message in detailed:
            latest = next(
                (b for b in message.backtests if b.state == "BACKTEST_STATE_SUCCEEDED"), None
            )
            per_version.append(
                with_backtest_metrics(
                    dict(message.metrics), None if latest is None else dict(latest.summary_metrics)
                )
            )
        return pb.CompareModelVersionsResponse(
            model_versions=detailed,
            metrics=[pb.ComparedMetric(name=n, values=v) for n, v in metric_table(per_version)],
            differing_settings=[
                pb.ComparedSetting(path=p, values=v)
                for p, v in differing_settings([r.run_spec for r in records])
            ],
        )

    async def ListModelHistory(
        self, request: pb.ListModelHistoryRequest, context: Context
    ) -> pb.ListModelHistoryResponse:
        grant = self._grant(Resource.MODEL, Action.READ)
        model_id, _ = await self._reachable_model(request.model_id, grant)
        size = check.page_size(request.page_size)
        after = 0
        if request.page_token:
            (after,) = decode_page_token(request.page_token, int)
        entries, last = await self._history.page(model_id, size, after)
        return pb.ListModelHistoryResponse(
            events=[event_message(e) for e in entries],
            next_page_token=encode_page_token(last) if last else "",
        )

    async def RecordModelDeployment(
        self, request: pb.RecordModelDeploymentRequest, context: Context
    ) -> pb.RecordModelDeploymentResponse:
        grant = self._grant(Resource.DEPLOYMENT, Action.CREATE)
        model_id = parse_uuid(request.model_id, "model_id")
        number = check.version(request.version)
        account = check.account_id(request.account_id)
        if request.mode not in MODE_NAMES:
            raise check.bad("mode", "DEPLOYMENT_MODE_PAPER or DEPLOYMENT_MODE_LIVE", request.mode)
        request_id = check.text(request.request_id, "request_id", check.MAX_REQUEST_ID)
        record = await self._deployments.record(
            grant.subject, model_id, number, account, MODE_NAMES[request.mode], request_id
        )
        if record is None:
            raise _version_missing(model_id, number)
        return pb.RecordModelDeploymentResponse(deployment=deployment_message(record))

    async def EndModelDeployment(
        self, request: pb.EndModelDeploymentRequest, context: Context
    ) -> pb.EndModelDeploymentResponse:
        grant = self._grant(Resource.DEPLOYMENT, Action.CONTROL)
        deployment_id = parse_uuid(request.deployment_id, "deployment_id")
        record = await self._deployments.end(deployment_id, grant.owner_scope, grant.subject)
        if record is None:
            raise NotFound(f"deployment {deployment_id} not found", reason="DEPLOYMENT_NOT_FOUND")
        return pb.EndModelDeploymentResponse(deployment=deployment_message(record))

    async def ListDeployedModelVersions(
        self, request: pb.ListDeployedModelVersionsRequest, context: Context
    ) -> pb.ListDeployedModelVersionsResponse:
        grant = self._grant(Resource.DEPLOYMENT, Action.READ)
        account = check.account_id(request.account_id)
        when = check.as_of(request.as_of, request.HasField("as_of"))
        ids = await self._history.deployments_active_at(account, when)
        records = await self._deployments.by_ids(ids, grant.owner_scope)
        return pb.ListDeployedModelVersionsResponse(
            deployments=[deployment_message(r) for r in records]
        )
