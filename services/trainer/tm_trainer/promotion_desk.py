"""Promotion gates: gather what the rules need (the registry's backtests of the version, this
service's paper deployments of it, the risk service's breaker trips on their accounts), evaluate,
store each request and decision, and announce it on the event bus (topic ``promotion/<id>``)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import grpc
import psycopg_pool
from psycopg.rows import dict_row
from trademaster.api.backtest.v1 import backtest_pb2_grpc
from trademaster.api.risk.v1 import risk_pb2, risk_pb2_grpc
from trademaster.api.strategy.v1 import model_registry_pb2 as reg
from trademaster.api.strategy.v1 import model_registry_pb2_grpc
from trademaster.service.auth import Principal
from trademaster.service.errors import FailedPrecondition, NotFound, Unavailable
from trademaster.service.events import EventBus

from tm_trainer.promotion_rules import (
    PaperRecord,
    Policy,
    RuleResult,
    describe,
    live_rules,
    paper_rules,
)
from tm_trainer.promotion_store import APPROVED, PENDING, REJECTED, PromotionRecord, PromotionStore
from tm_trainer.promotion_tracking import (
    TrackingRecord,
    backtest_curves,
    paper_equity,
    worst_tracking,
)

_LOGGER = logging.getLogger(__name__)

CALL_TIMEOUT_S = 10.0
PAPER, LIVE = "PAPER", "LIVE"
SAFETY_TRIPS = ("breaker:", "deadman:")
"""Trading-state changes that count as breaker trips: breakers and the dead-man heartbeat."""
Metadata = list[tuple[str, str]]


def promotion_topic(promotion_id: str) -> str:
    return f"promotion/{promotion_id}"


def gate_refusal(stage: str, rules: list[RuleResult], what: str) -> FailedPrecondition:
    """FAILED_PRECONDITION naming each failing rule with its threshold and actual value."""
    bad = [r for r in rules if not r.passed]
    metadata = {"stage": stage, "failing_rules": ",".join(r.rule for r in bad)}
    for r in bad:
        metadata[f"{r.rule}.actual"] = r.actual
        metadata[f"{r.rule}.threshold"] = r.threshold
    return FailedPrecondition(
        f"{what}: the {stage.lower()} promotion gate did not pass: {describe(rules)}",
        reason="PROMOTION_GATE_FAILED",
        metadata=metadata,
    )


class PromotionDesk:
    """Evaluates and records promotion gates for the deployment service."""

    def __init__(
        self,
        pool: psycopg_pool.AsyncConnectionPool,
        registry: model_registry_pb2_grpc.ModelRegistryServiceStub,
        risk: risk_pb2_grpc.RiskServiceStub | None,
        bus: EventBus | None,
        backtests: backtest_pb2_grpc.BacktestServiceStub | None = None,
    ) -> None:
        """``backtests`` (the backtest service) gives the curves the tracking error is
        measured against; without it the tracking error is not computable."""
        self._pool = pool
        self._backtests = backtests
        self.store = PromotionStore(pool)
        self._registry = registry
        self._risk = risk
        self._bus = bus

    async def policy(self, owner: str) -> Policy:
        return (await self.store.policy(owner)).policy

    async def paper(
        self, owner: str, model_id: str, version: int, md: Metadata
    ) -> list[RuleResult]:
        found = await self._version(model_id, version, md)
        return paper_rules(found, await self.policy(owner))

    async def _version(self, model_id: str, version: int, md: Metadata) -> reg.ModelVersion:
        try:
            reply = await self._registry.GetModelVersion(
                reg.GetModelVersionRequest(model_id=model_id, version=version),
                metadata=md,
                timeout=CALL_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise NotFound(
                    f"model {model_id} version {version} not found",
                    reason="MODEL_VERSION_NOT_FOUND",
                ) from error
            raise Unavailable(f"could not read the model version: {error.code().name}") from error
        return reply.model_version

    async def live(
        self,
        owner: str,
        model_id: str,
        version: int,
        requester: Principal,
        md: Metadata,
        approver: Principal | None = None,
    ) -> list[RuleResult]:
        record = await self._paper_record(owner, model_id, version, md)
        return live_rules(
            record,
            await self.policy(owner),
            requester.subject,
            frozenset(str(r) for r in requester.roles),
            approver.subject if approver else "",
            frozenset(str(r) for r in approver.roles) if approver else frozenset(),
        )

    async def _paper_record(
        self, owner: str, model_id: str, version: int, md: Metadata
    ) -> PaperRecord:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                "SELECT id, account_id, bars_processed, created_at FROM deployments "
                "WHERE owner = %s AND model_id = %s AND model_version = %s AND mode = 'PAPER' "
                "ORDER BY created_at",
                (owner, model_id, version),
            )
            rows = await cur.fetchall()
        since: dict[str, Any] = {}
        for row in rows:
            since.setdefault(row["account_id"], row["created_at"])
        trips, notes = 0, []
        for account_id, start in since.items():
            found = await self._breaker_trips(account_id, start.timestamp(), md)
            trips += len(found)
            notes += [f"{account_id}: {reason}" for reason in found]
        tracking = await self._tracking(model_id, version, [r["id"] for r in rows], md)
        return PaperRecord(
            bars=sum(int(r["bars_processed"]) for r in rows),
            deployment_ids=[str(r["id"]) for r in rows],
            breaker_trips=trips,
            trip_detail="; ".join(notes) or f"{len(since)} paper account(s) checked",
            tracking_error_bps=tracking.error_bps,
            tracking_detail=tracking.detail,
        )

    async def _tracking(
        self, model_id: str, version: int, deployments: list[uuid.UUID], md: Metadata
    ) -> TrackingRecord:
        """Worst tracking error of the paper deployments against the version's backtests."""
        if self._backtests is None:
            return TrackingRecord(
                None, "this trainer has no backtest service configured (TM_TRAINER_BACKTEST_ADDR)"
            )
        live = {str(d): await paper_equity(self._pool, d) for d in deployments}
        curves, notes = await backtest_curves(
            self._backtests, await self._version(model_id, version, md), md
        )
        return worst_tracking(live, curves, notes)

    async def _breaker_trips(self, account_id: str, since_s: float, md: Metadata) -> list[str]:
        """Breaker (and dead-man) trips on the account since ``since_s``."""
        if self._risk is None:
            raise FailedPrecondition(
                "this trainer has no risk service configured (TM_TRAINER_RISK_ADDR)",
                reason="DEPLOYMENTS_DISABLED",
            )
        found: list[str] = []
        token = ""
        for _ in range(20):
            try:
                reply = await self._risk.ListTradingStateChanges(
                    risk_pb2.ListTradingStateChangesRequest(
                        scope=risk_pb2.SCOPE_ACCOUNT,
                        scope_id=account_id,
                        page_size=200,
                        page_token=token,
                    ),
                    metadata=md,
                    timeout=CALL_TIMEOUT_S,
                )
            except grpc.aio.AioRpcError as error:
                raise Unavailable(
                    f"could not read the trading states of account {account_id}: "
                    f"{error.code().name}"
                ) from error
            for change in reply.changes:
                when = change.update_time.ToNanoseconds() / 1e9
                if change.updated_by.startswith(SAFETY_TRIPS) and when >= since_s:
                    found.append(f"{change.updated_by} {change.reason}".strip())
            token = reply.next_page_token
            if not token:
                break
        return found

    async def record(
        self,
        *,
        owner: str,
        model_id: str,
        version: int,
        account_id: str,
        stage: str,
        rules: list[RuleResult],
        requester: str,
    ) -> PromotionRecord:
        """Store a request: paper passes are approved at once; a live request whose only open
        rule is the approval waits for it; anything else is rejected."""
        open_rules = [r.rule for r in rules if not r.passed]
        if not open_rules:
            state = APPROVED
        elif stage == LIVE and open_rules == ["risk_officer_approval"]:
            state = PENDING
        else:
            state = REJECTED
        promotion = await self.store.create(
            owner=owner,
            model_id=model_id,
            model_version=version,
            account_id=account_id,
            stage=stage,
            state=state,
            rules=rules,
            requested_by=requester,
        )
        await self._announce(promotion, "promotion_requested")
        return promotion

    async def decide(
        self,
        promotion: PromotionRecord,
        rules: list[RuleResult],
        approver: str,
        approve: bool,
        reason: str,
    ) -> PromotionRecord:
        state = APPROVED if approve and all(r.passed for r in rules) else REJECTED
        decided = await self.store.decide(promotion.id, state, rules, approver, reason)
        if decided is None:  # decided meanwhile: return it as it is now
            current = await self.store.get(promotion.id, None)
            assert current is not None
            return current
        await self._announce(decided, "promotion_decided")
        return decided

    async def _announce(self, promotion: PromotionRecord, type_: str) -> None:
        _LOGGER.info(
            "promotions.%s promotion.id=%s model=%s:%s stage=%s state=%s",
            type_,
            promotion.id,
            promotion.model_id,
            promotion.model_version,
            promotion.stage,
            promotion.state,
        )
        if self._bus is None:
            return
        body = {
            "promotion_id": str(promotion.id),
            "model_id": promotion.model_id,
            "model_version": promotion.model_version,
            "account_id": promotion.account_id,
            "stage": promotion.stage,
            "state": promotion.state,
            "requested_by": promotion.requested_by,
            "decided_by": promotion.decided_by,
            "rules": promotion.rules,
        }
        await self._bus.publish(promotion_topic(str(promotion.id)), promotion.owner, type_, body)

    async def require_live(
        self, owner: str, model_id: str, version: int, account_id: str
    ) -> PromotionRecord:
        approved = await self.store.approved_live(owner, model_id, version, account_id)
        if approved is not None:
            return approved
        rule = RuleResult(
            "approved_live_promotion",
            "an approved live promotion of the version on this account",
            "none",
            False,
        )
        raise gate_refusal(LIVE, [rule], f"model {model_id} version {version} on {account_id}")
