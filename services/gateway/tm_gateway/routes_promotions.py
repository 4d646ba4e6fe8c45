"""HTTP routes for promotion gates (backtest -> paper, paper -> live with a risk officer's
approval) and per-owner gate thresholds; each mirrors one trainer DeploymentService RPC."""

from datetime import datetime
from typing import Annotated, Literal

import grpc
from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field
from trademaster.api.trainer.v1 import deployment_pb2 as pb
from trademaster.api.trainer.v1 import deployment_pb2_grpc

from tm_gateway.backends import Backends
from tm_gateway.convert import CallerDependency, CallerLike, time_of
from tm_gateway.http_errors import ApiError

TAG = "promotions"
StageName = Literal["paper", "live"]
StateName = Literal["PENDING_APPROVAL", "APPROVED", "REJECTED"]
_STAGES = {"paper": pb.PROMOTION_STAGE_PAPER, "live": pb.PROMOTION_STAGE_LIVE}
_STAGE_NAMES = {value: name for name, value in _STAGES.items()}


class PromotionTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_id: str = Field(min_length=1, max_length=64)
    model_version: int = Field(ge=1, le=2**63 - 1)
    stage: StageName
    account_id: str = Field("", max_length=64, description="Live: the live account.")


class GateRuleOut(BaseModel):
    rule: str
    threshold: str
    actual: str
    passed: bool
    detail: str


class EvaluationOut(BaseModel):
    rules: list[GateRuleOut]
    passed: bool


class PromotionOut(BaseModel):
    id: str
    owner_id: str
    model_id: str
    model_version: int
    account_id: str
    stage: str
    state: StateName
    rules: list[GateRuleOut]
    passed: bool
    requested_by: str
    decided_by: str
    decision_reason: str
    created_at: datetime | None
    decided_at: datetime | None


class PromotionList(BaseModel):
    promotions: list[PromotionOut]
    next_page_token: str


class ApproveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool = Field(True, description="False rejects.")
    reason: str = Field(min_length=1, max_length=500)


class PolicyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_backtest_trades: int = Field(10, ge=0)
    max_backtest_drawdown: float = Field(0.25, ge=0)
    min_backtest_sharpe: float = 0.5
    min_paper_bars: int = Field(1000, ge=0)
    max_breaker_trips: int = Field(0, ge=0)
    max_tracking_error_bps: float = Field(0.0, ge=0, description="0 = not enforced.")


class PolicyOut(PolicyBody):
    owner_id: str
    updated_by: str
    updated_at: datetime | None
    is_default: bool


def _rules(rules: object) -> list[GateRuleOut]:
    return [
        GateRuleOut(
            rule=r.rule, threshold=r.threshold, actual=r.actual, passed=r.passed, detail=r.detail
        )
        for r in rules  # type: ignore[attr-defined]
    ]


def promotion_out(p: pb.Promotion) -> PromotionOut:
    return PromotionOut(
        id=p.promotion_id,
        owner_id=p.owner_id,
        model_id=p.model_id,
        model_version=p.model_version,
        account_id=p.account_id,
        stage=_STAGE_NAMES.get(p.stage, ""),
        state=pb.PromotionState.Name(p.state).removeprefix("PROMOTION_STATE_"),  # type: ignore[arg-type]
        rules=_rules(p.rules),
        passed=p.passed,
        requested_by=p.requested_by,
        decided_by=p.decided_by,
        decision_reason=p.decision_reason,
        created_at=time_of(p, "create_time"),
        decided_at=time_of(p, "decide_time"),
    )


def policy_out(p: pb.PromotionPolicy) -> PolicyOut:
    return PolicyOut(
        owner_id=p.owner_id,
        min_backtest_trades=p.min_backtest_trades,
        max_backtest_drawdown=p.max_backtest_drawdown,
        min_backtest_sharpe=p.min_backtest_sharpe,
        min_paper_bars=p.min_paper_bars,
        max_breaker_trips=p.max_breaker_trips,
        max_tracking_error_bps=p.max_tracking_error_bps,
        updated_by=p.updated_by,
        updated_at=time_of(p, "update_time"),
        is_default=p.is_default,
    )


def promotions_router(backends: Backends, caller: CallerDependency) -> APIRouter:
    """Routes under ``/promotions`` and ``/promotion-policies``."""
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

    @router.post("/promotions:evaluate", response_model=EvaluationOut)
    async def evaluate_promotion(body: PromotionTarget, who: CallerDep) -> EvaluationOut:
        """Evaluate a gate now: each rule with threshold, actual value and outcome (not stored)."""
        request = pb.EvaluatePromotionRequest(
            model_id=body.model_id,
            model_version=body.model_version,
            stage=_STAGES[body.stage],
            account_id=body.account_id,
        )
        reply = await backends.call(stub().EvaluatePromotion, request, who.token)
        return EvaluationOut(rules=_rules(reply.rules), passed=reply.passed)

    @router.post("/promotions", response_model=PromotionOut, status_code=status.HTTP_201_CREATED)
    async def request_promotion(body: PromotionTarget, who: CallerDep) -> PromotionOut:
        """Request a promotion (trader): stored with its evaluation; a passed live gate waits
        for a risk officer's approval."""
        request = pb.RequestPromotionRequest(
            model_id=body.model_id,
            model_version=body.model_version,
            stage=_STAGES[body.stage],
            account_id=body.account_id,
        )
        reply = await backends.call(stub().RequestPromotion, request, who.token)
        return promotion_out(reply.promotion)

    @router.get("/promotions", response_model=PromotionList)
    async def list_promotions(
        who: CallerDep,
        page_size: Annotated[int, Query(ge=0, le=200)] = 0,
        page_token: str = "",
        model_id: str = "",
        state: StateName | None = None,
    ) -> PromotionList:
        """Stored promotions visible to the caller, newest first."""
        request = pb.ListPromotionsRequest(
            page_size=page_size,
            page_token=page_token,
            model_id=model_id,
            state=pb.PromotionState.Value(f"PROMOTION_STATE_{state}") if state else 0,  # type: ignore[arg-type]
        )
        reply = await backends.call(stub().ListPromotions, request, who.token)
        return PromotionList(
            promotions=[promotion_out(p) for p in reply.promotions],
            next_page_token=reply.next_page_token,
        )

    @router.post("/promotions/{promotion_id}:approve", response_model=PromotionOut)
    async def approve_promotion(
        promotion_id: str, body: ApproveBody, who: CallerDep
    ) -> PromotionOut:
        """Approve or reject a pending live promotion (a risk officer other than the requester)."""
        request = pb.ApprovePromotionRequest(
            promotion_id=promotion_id, approve=body.approve, reason=body.reason
        )
        reply = await backends.call(stub().ApprovePromotion, request, who.token)
        return promotion_out(reply.promotion)

    @router.get("/promotion-policies/{owner_id}", response_model=PolicyOut)
    async def get_promotion_policy(owner_id: str, who: CallerDep) -> PolicyOut:
        """An owner's gate thresholds (the defaults when none are stored)."""
        request = pb.GetPromotionPolicyRequest(owner_id=owner_id)
        reply = await backends.call(stub().GetPromotionPolicy, request, who.token)
        return policy_out(reply.policy)

    @router.put("/promotion-policies/{owner_id}", response_model=PolicyOut)
    async def set_promotion_policy(owner_id: str, body: PolicyBody, who: CallerDep) -> PolicyOut:
        """Store an owner's gate thresholds (risk officers, admins); every field as given."""
        request = pb.SetPromotionPolicyRequest(
            policy=pb.PromotionPolicy(owner_id=owner_id, **body.model_dump())
        )
        reply = await backends.call(stub().SetPromotionPolicy, request, who.token)
        return policy_out(reply.policy)

    return router
