"""DeploymentService's promotion RPCs: gates live next to the deployments they guard, because
the live gate reads this service's paper deployments and CreateDeployment enforces them."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import grpc
from trademaster.api.trainer.v1 import deployment_pb2 as pb
from trademaster.service.auth import Principal, forwarded_authorization
from trademaster.service.authz import Action, Grant, Resource, authorize
from trademaster.service.errors import FailedPrecondition, InvalidArgument, NotFound
from trademaster.service.ids import parse_uuid
from trademaster.service.structs import timestamp_of

from tm_trainer.deployment_messages import page_size
from tm_trainer.promotion_desk import LIVE, PAPER, PromotionDesk
from tm_trainer.promotion_rules import Policy, RuleResult
from tm_trainer.promotion_store import PENDING, PromotionRecord, StoredPolicy

_STAGES: dict[int, str] = {pb.PROMOTION_STAGE_PAPER: PAPER, pb.PROMOTION_STAGE_LIVE: LIVE}
MAX_REASON = 500


def _rule(r: RuleResult | dict[str, Any]) -> pb.GateRuleResult:
    data = r.as_dict() if isinstance(r, RuleResult) else r
    return pb.GateRuleResult(**data)


def promotion_message(p: PromotionRecord) -> pb.Promotion:
    return pb.Promotion(
        promotion_id=str(p.id),
        owner_id=p.owner,
        model_id=p.model_id,
        model_version=p.model_version,
        account_id=p.account_id,
        stage=pb.PromotionStage.Value(f"PROMOTION_STAGE_{p.stage}"),  # type: ignore[arg-type]
        state=pb.PromotionState.Value(f"PROMOTION_STATE_{p.state}"),  # type: ignore[arg-type]
        rules=[_rule(r) for r in p.rules],
        passed=p.passed,
        requested_by=p.requested_by,
        decided_by=p.decided_by,
        decision_reason=p.decision_reason,
        create_time=timestamp_of(p.created_at),
        decide_time=timestamp_of(p.decided_at) if p.decided_at else None,
    )


def policy_message(stored: StoredPolicy) -> pb.PromotionPolicy:
    return pb.PromotionPolicy(
        owner_id=stored.owner,
        **stored.policy.as_dict(),
        updated_by=stored.updated_by,
        update_time=timestamp_of(stored.updated_at) if stored.updated_at else None,
        is_default=stored.updated_at is None,
    )


def _policy_of(message: pb.PromotionPolicy) -> Policy:
    violations: list[tuple[str, str]] = []
    if not message.owner_id:
        violations.append(("policy.owner_id", "is required"))
    for name in ("min_backtest_trades", "min_paper_bars", "max_breaker_trips"):
        if getattr(message, name) < 0:
            violations.append((f"policy.{name}", f"must be >= 0, was {getattr(message, name)}"))
    for name in ("max_backtest_drawdown", "min_backtest_sharpe", "max_tracking_error_bps"):
        if not math.isfinite(getattr(message, name)):
            violations.append((f"policy.{name}", "must be a finite number"))
    if message.max_backtest_drawdown < 0 or message.max_tracking_error_bps < 0:
        violations.append(("policy", "max_backtest_drawdown and max_tracking_error_bps >= 0"))
    if violations:
        raise InvalidArgument("invalid promotion policy", violations)
    return Policy(
        min_backtest_trades=message.min_backtest_trades,
        max_backtest_drawdown=message.max_backtest_drawdown,
        min_backtest_sharpe=message.min_backtest_sharpe,
        min_paper_bars=message.min_paper_bars,
        max_breaker_trips=message.max_breaker_trips,
        max_tracking_error_bps=message.max_tracking_error_bps,
    )


def _target(model_id: str, version: int, stage: int, account_id: str) -> str:
    violations = []
    if not model_id:
        violations.append(("model_id", "is required"))
    if version < 1:
        violations.append(("model_version", f"must be >= 1, was {version}"))
    if stage not in _STAGES:
        violations.append(("stage", "must be PROMOTION_STAGE_PAPER or PROMOTION_STAGE_LIVE"))
    elif _STAGES[stage] == LIVE and not account_id:
        violations.append(("account_id", "is required for a live promotion"))
    if violations:
        raise InvalidArgument("invalid promotion request", violations)
    return _STAGES[stage]


class PromotionRpcs:
    """Mixed into DeploymentServicer (which provides the desk and the principal)."""

    _desk: PromotionDesk
    _principal: Callable[[], Principal]

    def _pgrant(self, action: Action) -> Grant:
        return authorize(self._principal(), Resource.PROMOTION, action)

    async def _rules(
        self,
        stage: str,
        owner: str,
        model_id: str,
        version: int,
        md: Any,
        requester: Principal,
        approver: Principal | None = None,
    ) -> list[RuleResult]:
        if stage == PAPER:
            return await self._desk.paper(owner, model_id, version, md)
        return await self._desk.live(owner, model_id, version, requester, md, approver)

    async def EvaluatePromotion(
        self, request: pb.EvaluatePromotionRequest, context: grpc.aio.ServicerContext
    ) -> pb.EvaluatePromotionResponse:
        grant = self._pgrant(Action.READ)
        stage = _target(request.model_id, request.model_version, request.stage, request.account_id)
        rules = await self._rules(
            stage,
            grant.subject,
            request.model_id,
            request.model_version,
            forwarded_authorization(context),
            grant.principal,
        )
        return pb.EvaluatePromotionResponse(
            rules=[_rule(r) for r in rules], passed=all(r.passed for r in rules)
        )

    async def RequestPromotion(
        self, request: pb.RequestPromotionRequest, context: grpc.aio.ServicerContext
    ) -> pb.RequestPromotionResponse:
        grant = self._pgrant(Action.CREATE)
        stage = _target(request.model_id, request.model_version, request.stage, request.account_id)
        rules = await self._rules(
            stage,
            grant.subject,
            request.model_id,
            request.model_version,
            forwarded_authorization(context),
            grant.principal,
        )
        promotion = await self._desk.record(
            owner=grant.subject,
            model_id=request.model_id,
            version=request.model_version,
            account_id=request.account_id if stage == LIVE else "",
            stage=stage,
            rules=rules,
            requester=grant.subject,
        )
        return pb.RequestPromotionResponse(promotion=promotion_message(promotion))

    async def ApprovePromotion(
        self, request: pb.ApprovePromotionRequest, context: grpc.aio.ServicerContext
    ) -> pb.ApprovePromotionResponse:
        grant = self._pgrant(Action.APPROVE)
        if not request.reason.strip() or len(request.reason) > MAX_REASON:
            raise InvalidArgument(
                "reason is required", [("reason", f"must be 1-{MAX_REASON} characters")]
            )
        ident = parse_uuid(request.promotion_id, "promotion_id")
        promotion = await self._desk.store.get(ident, grant.owner_scope)
        if promotion is None:
            raise NotFound(f"promotion {ident} not found", reason="PROMOTION_NOT_FOUND")
        if promotion.state != PENDING:
            return pb.ApprovePromotionResponse(promotion=promotion_message(promotion))
        if grant.subject == promotion.requested_by:
            raise FailedPrecondition(
                f"promotion {ident} was requested by {grant.subject}; a different risk officer "
                "must approve it (two-person rule)",
                reason="SAME_PERSON_APPROVAL",
                metadata={"requested_by": promotion.requested_by, "approver": grant.subject},
            )
        requester = Principal(promotion.requested_by, frozenset(), grant.principal.kind)
        rules = await self._desk.live(
            promotion.owner,
            promotion.model_id,
            promotion.model_version,
            requester,
            forwarded_authorization(context),
            grant.principal,
        )
        # The requester's role was checked (and stored) at request time.
        rules = [
            next((RuleResult(**r) for r in promotion.rules if r["rule"] == x.rule), x)
            if x.rule == "requester_role"
            else x
            for x in rules
        ]
        decided = await self._desk.decide(
            promotion, rules, grant.subject, request.approve, request.reason.strip()
        )
        return pb.ApprovePromotionResponse(promotion=promotion_message(decided))

    async def ListPromotions(
        self, request: pb.ListPromotionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListPromotionsResponse:
        grant = self._pgrant(Action.READ)
        state = ""
        if request.state:
            state = pb.PromotionState.Name(request.state).removeprefix("PROMOTION_STATE_")
        rows, token = await self._desk.store.list_promotions(
            grant.owner_scope,
            page_size(request.page_size),
            request.page_token,
            request.model_id,
            state,
        )
        return pb.ListPromotionsResponse(
            promotions=[promotion_message(r) for r in rows], next_page_token=token
        )

    async def GetPromotionPolicy(
        self, request: pb.GetPromotionPolicyRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetPromotionPolicyResponse:
        grant = self._pgrant(Action.READ)
        owner = request.owner_id or grant.subject
        if grant.owner_scope is not None and owner != grant.subject:
            raise NotFound(f"promotion policy of {owner} not found", reason="POLICY_NOT_FOUND")
        return pb.GetPromotionPolicyResponse(
            policy=policy_message(await self._desk.store.policy(owner))
        )

    async def SetPromotionPolicy(
        self, request: pb.SetPromotionPolicyRequest, context: grpc.aio.ServicerContext
    ) -> pb.SetPromotionPolicyResponse:
        grant = self._pgrant(Action.UPDATE)
        policy = _policy_of(request.policy)
        stored = await self._desk.store.set_policy(request.policy.owner_id, policy, grant.subject)
        return pb.SetPromotionPolicyResponse(policy=policy_message(stored))
