"""DeploymentService: validate and authorize requests, check the model version (registry) and
the account (risk service) as the caller, then store state changes; the deployment supervisor
runs the runners on Ray."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import grpc
import redis.asyncio as aioredis
from trademaster.api.risk.v1 import risk_pb2, risk_pb2_grpc
from trademaster.api.strategy.v1 import model_registry_pb2 as reg
from trademaster.api.strategy.v1 import model_registry_pb2_grpc
from trademaster.api.trainer.v1 import deployment_pb2 as pb
from trademaster.api.trainer.v1 import deployment_pb2_grpc
from trademaster.service.auth import Principal, current_principal, forwarded_authorization
from trademaster.service.authz import Action, Grant, Resource, authorize
from trademaster.service.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from trademaster.service.ids import parse_uuid
from trademaster.service.lifecycle import DEPLOYMENT, JobAction, JobState
from trademaster.service.topics import control_key, deployment_topic

from tm_trainer.config import TrainerSettings
from tm_trainer.deployment_messages import (
    create_fields,
    deployment_message,
    equity_message,
    equity_page,
    page_size,
)
from tm_trainer.deployment_store import DeploymentRecord, DeploymentStore
from tm_trainer.deployment_supervisor import DeploymentSupervisor
from tm_trainer.promotion_desk import LIVE, PAPER, PromotionDesk, gate_refusal
from tm_trainer.promotion_servicer import PromotionRpcs

_LOGGER = logging.getLogger(__name__)

CALL_TIMEOUT_S = 10.0
QUEUED, RUNNING, PAUSED, CANCELLING, CANCELLED = (
    JobState.QUEUED.value,
    JobState.RUNNING.value,
    JobState.PAUSED.value,
    JobState.CANCELLING.value,
    JobState.CANCELLED.value,
)


def _not_found(ident: object) -> NotFound:
    return NotFound(f"deployment {ident} not found", reason="DEPLOYMENT_NOT_FOUND")


def _upstream(error: grpc.aio.AioRpcError, what: str, reason: str) -> Exception:
    """A dependency's answer as this service's error (NOT_FOUND stays NOT_FOUND)."""
    code = error.code()
    if code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
        return NotFound(f"{what} not found", reason=reason)
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return PermissionDenied(error.details() or f"{what}: permission denied")
    _LOGGER.warning("deployments.upstream_failed what=%s code=%s", what, code)
    return Unavailable(f"could not read {what}: {code.name}")


class DeploymentServicer(PromotionRpcs, deployment_pb2_grpc.DeploymentServiceServicer):
    """Owner-scoped deployments of registered model versions, behind promotion gates."""

    def __init__(
        self,
        settings: TrainerSettings,
        store: DeploymentStore,
        registry: model_registry_pb2_grpc.ModelRegistryServiceStub,
        risk: risk_pb2_grpc.RiskServiceStub | None,
        redis: aioredis.Redis,
        supervisor: DeploymentSupervisor,
        desk: PromotionDesk,
        principal: Callable[[], Principal] = current_principal,
    ) -> None:
        self._desk = desk
        self._settings = settings
        self._store = store
        self._registry = registry
        self._risk = risk
        self._redis = redis
        self._supervisor = supervisor
        self._principal = principal

    def _grant(self, action: Action) -> Grant:
        return authorize(self._principal(), Resource.DEPLOYMENT, action)

    async def _get(self, ident: str, grant: Grant) -> DeploymentRecord:
        parsed = parse_uuid(ident, "deployment_id")
        found = await self._store.get(parsed, grant.owner_scope)
        if found is None:
            raise _not_found(parsed)
        return found

    async def CreateDeployment(
        self, request: pb.CreateDeploymentRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateDeploymentResponse:
        grant = self._grant(Action.CREATE)
        fields = create_fields(request, self._settings.bar_stream)
        if self._risk is None:
            raise FailedPrecondition(
                "this trainer has no risk service configured (TM_TRAINER_RISK_ADDR)",
                reason="DEPLOYMENTS_DISABLED",
            )
        metadata = forwarded_authorization(context)
        version = await self._model_version(fields, metadata)
        await self._gate(grant, fields, metadata)
        await self._account(fields["account_id"], fields["mode"], metadata)
        last = await self._redis.xrevrange(fields["bar_source"], count=1)
        ident = uuid.uuid4()
        record_id = await self._record(fields, ident, metadata, request.request_id)
        dep, created = await self._store.create(
            {
                **fields,
                "id": ident,
                "owner": grant.subject,
                "model_uri": version.model_uri,
                "start_stream_id": str(last[0][0]) if last else "0-0",
                "registry_deployment_id": record_id,
                "request_id": request.request_id or None,
            }
        )
        if created:
            _LOGGER.info("deployments.created deployment.id=%s owner=%s", dep.id, dep.owner)
            self._supervisor.wake()
        return pb.CreateDeploymentResponse(deployment=deployment_message(dep))

    async def _model_version(self, fields: dict[str, Any], metadata: Any) -> reg.ModelVersion:
        what = f"model {fields['model_id']} version {fields['model_version']}"
        try:
            reply = await self._registry.GetModelVersion(
                reg.GetModelVersionRequest(
                    model_id=fields["model_id"], version=fields["model_version"]
                ),
                metadata=metadata,
                timeout=CALL_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as error:
            raise _upstream(error, what, "MODEL_VERSION_NOT_FOUND") from error
        if not reply.model_version.model_uri:
            raise FailedPrecondition(f"{what} has no model artifact", reason="MODEL_NOT_TRAINED")
        return reply.model_version

    async def _gate(self, grant: Grant, fields: dict[str, Any], metadata: Any) -> None:
        """Refuse a deployment whose mode's promotion gate has not passed."""
        model_id, version = fields["model_id"], fields["model_version"]
        if fields["mode"] == LIVE:
            await self._desk.require_live(grant.subject, model_id, version, fields["account_id"])
            return
        rules = await self._desk.paper(grant.subject, model_id, version, metadata)
        await self._desk.record(
            owner=grant.subject,
            model_id=model_id,
            version=version,
            account_id="",
            stage=PAPER,
            rules=rules,
            requester=grant.subject,
        )
        if not all(r.passed for r in rules):
            raise gate_refusal(PAPER, rules, f"model {model_id} version {version}")

    async def _account(self, account_id: str, mode: str, metadata: Any) -> None:
        assert self._risk is not None
        try:
            reply = await self._risk.GetAccount(
                risk_pb2.GetAccountRequest(account_id=account_id),
                metadata=metadata,
                timeout=CALL_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as error:
            raise _upstream(error, f"account {account_id}", "ACCOUNT_NOT_FOUND") from error
        wanted = risk_pb2.ACCOUNT_MODE_LIVE if mode == LIVE else risk_pb2.ACCOUNT_MODE_PAPER
        if reply.account.mode != wanted:
            raise FailedPrecondition(
                f"account {account_id} is not a {mode.lower()} account; a {mode.lower()} "
                f"deployment needs one",
                reason="ACCOUNT_NOT_LIVE" if mode == LIVE else "ACCOUNT_NOT_PAPER",
                metadata={"field": "deployment.account_id"},
            )

    async def _record(
        self, fields: dict[str, Any], ident: uuid.UUID, metadata: Any, request_id: str
    ) -> str:
        """The registry's deployment record (deletion protection, "live at time T")."""
        try:
            reply = await self._registry.RecordModelDeployment(
                reg.RecordModelDeploymentRequest(
                    model_id=fields["model_id"],
                    version=fields["model_version"],
                    account_id=fields["account_id"],
                    mode=(
                        reg.DEPLOYMENT_MODE_LIVE
                        if fields["mode"] == LIVE
                        else reg.DEPLOYMENT_MODE_PAPER
                    ),
                    request_id=f"deployment:{request_id or ident}"[:128],
                ),
                metadata=metadata,
                timeout=CALL_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as error:
            raise _upstream(error, "model version", "MODEL_VERSION_NOT_FOUND") from error
        return str(reply.deployment.deployment_id)

    async def GetDeployment(
        self, request: pb.GetDeploymentRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetDeploymentResponse:
        dep = await self._get(request.deployment_id, self._grant(Action.READ))
        return pb.GetDeploymentResponse(deployment=deployment_message(dep))

    async def GetDeploymentEquity(
        self, request: pb.GetDeploymentEquityRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetDeploymentEquityResponse:
        dep = await self._get(request.deployment_id, self._grant(Action.READ))
        size, after = equity_page(request)
        rows = await self._store.equity(dep.id, size + 1, after)
        token = str(rows[size - 1].bar_time_ns) if len(rows) > size else ""
        return pb.GetDeploymentEquityResponse(
            samples=[equity_message(r) for r in rows[:size]], next_page_token=token
        )

    async def ListDeployments(
        self, request: pb.ListDeploymentsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListDeploymentsResponse:
        grant = self._grant(Action.READ)
        size = page_size(request.page_size)
        rows, token = await self._store.list_deployments(
            grant.owner_scope, size, request.page_token, request.account_id
        )
        return pb.ListDeploymentsResponse(
            deployments=[deployment_message(r) for r in rows], next_page_token=token
        )

    async def PauseDeployment(
        self, request: pb.PauseDeploymentRequest, context: grpc.aio.ServicerContext
    ) -> pb.PauseDeploymentResponse:
        dep = await self._get(request.deployment_id, self._grant(Action.CONTROL))
        if dep.state != PAUSED:
            DEPLOYMENT.require(dep.state, JobAction.PAUSE, dep.id)
            await self._redis.set(control_key(deployment_topic(str(dep.id))), "pause")
            dep = await self._move(dep, PAUSED)
        return pb.PauseDeploymentResponse(deployment=deployment_message(dep))

    async def ResumeDeployment(
        self, request: pb.ResumeDeploymentRequest, context: grpc.aio.ServicerContext
    ) -> pb.ResumeDeploymentResponse:
        dep = await self._get(request.deployment_id, self._grant(Action.CONTROL))
        if dep.state != RUNNING:
            DEPLOYMENT.require(dep.state, JobAction.RESUME, dep.id)
            await self._redis.delete(control_key(deployment_topic(str(dep.id))))
            dep = await self._move(dep, RUNNING)
        return pb.ResumeDeploymentResponse(deployment=deployment_message(dep))

    async def StopDeployment(
        self, request: pb.StopDeploymentRequest, context: grpc.aio.ServicerContext
    ) -> pb.StopDeploymentResponse:
        dep = await self._get(request.deployment_id, self._grant(Action.CONTROL))
        if dep.state in (CANCELLING, CANCELLED) or dep.state in DEPLOYMENT.final:
            return pb.StopDeploymentResponse(deployment=deployment_message(dep))
        DEPLOYMENT.require(dep.state, JobAction.CANCEL, dep.id)
        command = "stop:flatten" if request.flatten else "stop"
        await self._redis.set(control_key(deployment_topic(str(dep.id))), command)
        target = CANCELLED if dep.state == QUEUED else CANCELLING
        dep = await self._move(dep, target, flatten_on_stop=request.flatten)
        await self._end_record(dep, context)
        self._supervisor.wake()
        return pb.StopDeploymentResponse(deployment=deployment_message(dep))

    async def RollbackDeployment(
        self, request: pb.RollbackDeploymentRequest, context: grpc.aio.ServicerContext
    ) -> pb.RollbackDeploymentResponse:
        grant = self._grant(Action.CONTROL)
        self._grant(Action.CREATE)  # the previous version is deployed as the caller
        if not request.account_id:
            raise InvalidArgument("account_id is required", [("account_id", "is required")])
        rows, _ = await self._store.list_deployments(grant.owner_scope, 200, "", request.account_id)
        if not rows:  # another owner's account looks like an unknown one
            raise NotFound(
                f"no deployment of yours on account {request.account_id}",
                reason="ACCOUNT_NOT_FOUND",
            )
        live = [r for r in rows if r.mode == LIVE]  # newest first
        current = next((r for r in live if r.state in (QUEUED, RUNNING, PAUSED)), None)
        if current is None:
            raise FailedPrecondition(
                f"account {request.account_id} has no running live deployment to roll back",
                reason="NO_LIVE_DEPLOYMENT",
            )
        running = (current.model_id, current.model_version)
        previous = next(
            (
                r
                for r in live
                if r.created_at < current.created_at and (r.model_id, r.model_version) != running
            ),
            None,
        )
        if previous is None:
            raise FailedPrecondition(
                f"no earlier model version was live on account {request.account_id}",
                reason="NO_PREVIOUS_LIVE_VERSION",
            )
        stop = pb.StopDeploymentRequest(deployment_id=str(current.id), flatten=request.flatten)
        stopped = (await self.StopDeployment(stop, context)).deployment
        create = pb.CreateDeploymentRequest(
            deployment=pb.Deployment(
                model_id=previous.model_id,
                model_version=previous.model_version,
                account_id=previous.account_id,
                instruments=list(previous.instruments),
                bar_source=previous.bar_source,
                bar_interval_seconds=previous.bar_interval_seconds,
                mode=pb.TRADING_MODE_LIVE,
                limits=pb.DeploymentLimits(**previous.limits),
            )
        )
        started = (await self.CreateDeployment(create, context)).deployment
        _LOGGER.info(
            "deployments.rolled_back account.id=%s stopped=%s started=%s",
            request.account_id,
            stopped.deployment_id,
            started.deployment_id,
        )
        return pb.RollbackDeploymentResponse(stopped=stopped, started=started)

    async def _move(self, dep: DeploymentRecord, state: str, **fields: Any) -> DeploymentRecord:
        moved = await self._store.update(dep.id, new_state=state, expected=[dep.state], **fields)
        if moved is not None:
            return moved
        current = await self._store.get(dep.id)
        if current is None:
            raise _not_found(dep.id)
        DEPLOYMENT.check(current.state, state)  # raced: name the state it is in now
        return current

    async def _end_record(self, dep: DeploymentRecord, context: grpc.aio.ServicerContext) -> None:
        if not dep.registry_deployment_id:
            return
        try:
            await self._registry.EndModelDeployment(
                reg.EndModelDeploymentRequest(deployment_id=dep.registry_deployment_id),
                metadata=forwarded_authorization(context),
                timeout=CALL_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as error:
            # The stop itself stands; the registry record stays open and is logged.
            _LOGGER.warning(
                "deployments.registry_end_failed deployment.id=%s code=%s", dep.id, error.code()
            )
