"""HTTP bodies of the decision, audit, trading-state and kill-switch routes and their proto
conversions (durations become milliseconds/microseconds, enums their names without prefix)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from trademaster.api.risk.v1 import risk_pb2 as pb

from tm_gateway.convert import enum_name, enum_value, time_of
from tm_gateway.risk_models import Body, StateName, Unset
from tm_gateway.risk_order_models import OrderOut, order_out

DecisionName = Literal["ALLOW", "DENY"]
ScopeName = Literal["GLOBAL", "ACCOUNT", "DEPLOYMENT", "INSTRUMENT"]


def scope_value(scope: ScopeName) -> Any:
    return enum_value(pb.Scope, scope, "SCOPE_")


def _millis(message: Any, field: str) -> float | None:
    if not message.HasField(field):
        return None
    value = getattr(message, field)
    return float(value.seconds * 1_000 + value.nanos / 1_000_000)


def _micros(message: Any, field: str) -> float | None:
    millis = _millis(message, field)
    return None if millis is None else millis * 1_000


# --- decisions and audit ----------------------------------------------------------------------


class ViolationOut(BaseModel):
    reason: str = Field(examples=["POSITION_LIMIT_EXCEEDED"])
    message: str = Field(description="Names the value and the limit that decided.")
    value: str
    limit: str


class CheckOut(BaseModel):
    check: str = Field(examples=["max_order_notional"])
    passed: bool
    reason: str
    value: str
    limit: str


class DecisionOut(BaseModel):
    decision_id: str
    sequence: int = Field(description="Position in the audit chain, gapless from 1.")
    decision: DecisionName | Unset
    violations: list[ViolationOut]
    trading_state: StateName | Unset
    decided_at: datetime | None
    order: OrderOut | None
    dry_run: bool
    actor: str
    reference_price: str
    reference_price_age_ms: float | None
    position_before: str
    position_after: str
    gross_exposure_before: str
    gross_exposure_after: str
    check_latency_us: float | None
    checks: list[CheckOut]
    limits_version: int
    prev_hash: str
    entry_hash: str


class DecisionList(BaseModel):
    decisions: list[DecisionOut]
    next_page_token: str


class OrderResult(BaseModel):
    """A submitted order and its decision; a denial is data (the order is DENIED)."""

    decision: DecisionOut
    order: OrderOut | None
    replayed: bool = Field(description="True when client_order_id was seen before.")


class ModifyResult(BaseModel):
    """A modification and its decision; a denial is data (the order stays as it was)."""

    decision: DecisionOut
    order: OrderOut | None
    replayed: bool = Field(description="True when request_id was seen before.")
    venue_reason: str = Field(
        description="Why the venue did not apply an allowed modification; empty when it did."
    )


class AuditVerification(BaseModel):
    valid: bool
    entries_checked: int
    first_bad_sequence: int
    problem: str
    last_hash: str


def decision_out(d: pb.OrderDecision) -> DecisionOut:
    return DecisionOut(
        decision_id=d.decision_id,
        sequence=d.sequence,
        decision=enum_name(pb.Decision, d.decision, "DECISION_"),  # type: ignore[arg-type]
        violations=[
            ViolationOut(reason=v.reason, message=v.message, value=v.value, limit=v.limit)
            for v in d.violations
        ],
        trading_state=enum_name(pb.TradingState, d.trading_state, "TRADING_STATE_"),  # type: ignore[arg-type]
        decided_at=time_of(d, "decide_time"),
        order=order_out(d.order) if d.HasField("order") else None,
        dry_run=d.dry_run,
        actor=d.actor,
        reference_price=d.reference_price,
        reference_price_age_ms=_millis(d, "reference_price_age"),
        position_before=d.position_before,
        position_after=d.position_after,
        gross_exposure_before=d.gross_exposure_before,
        gross_exposure_after=d.gross_exposure_after,
        check_latency_us=_micros(d, "check_latency"),
        checks=[
            CheckOut(check=c.check, passed=c.passed, reason=c.reason, value=c.value, limit=c.limit)
            for c in d.checks
        ],
        limits_version=d.limits_version,
        prev_hash=d.prev_hash,
        entry_hash=d.entry_hash,
    )


# --- trading state and kill switch ------------------------------------------------------------


class TradingStateBody(Body):
    trading_state: StateName
    reason: str = Field(min_length=1, max_length=500, description="Why; audited.")


class ScopedTradingStateBody(TradingStateBody):
    scope: ScopeName
    scope_id: str = Field(default="", max_length=128, description="Empty for GLOBAL.")


class TradingStateOut(BaseModel):
    scope: ScopeName | Unset
    scope_id: str
    trading_state: StateName | Unset
    previous_state: StateName | Unset
    reason: str
    updated_by: str = Field(description='User, service, or "breaker:<name>".')
    updated_at: datetime | None
    cooldown_until: datetime | None = Field(description="ACTIVE is refused until then.")
    change_id: str = Field(description="Empty when the state was never set.")


class TradingStateChanges(BaseModel):
    changes: list[TradingStateOut] = Field(description="Newest first.")
    next_page_token: str


def state_out(s: pb.TradingStateRecord) -> TradingStateOut:
    return TradingStateOut(
        scope=enum_name(pb.Scope, s.scope, "SCOPE_"),  # type: ignore[arg-type]
        scope_id=s.scope_id,
        trading_state=enum_name(pb.TradingState, s.trading_state, "TRADING_STATE_"),  # type: ignore[arg-type]
        previous_state=enum_name(pb.TradingState, s.previous_state, "TRADING_STATE_"),  # type: ignore[arg-type]
        reason=s.reason,
        updated_by=s.updated_by,
        updated_at=time_of(s, "update_time"),
        cooldown_until=time_of(s, "cooldown_until"),
        change_id=s.change_id,
    )


class KillSwitchBody(Body):
    scope: ScopeName = "ACCOUNT"
    scope_id: str = Field(
        default="",
        max_length=128,
        description="Account, deployment or instrument; empty for GLOBAL.",
    )
    reason: str = Field(min_length=1, max_length=500)
    flatten: bool = Field(
        default=False, description="Also close positions with reduce-only market orders."
    )


class KillSwitchOut(BaseModel):
    kill_id: str
    state: TradingStateOut | None
    working_orders: int = Field(description="Working orders in scope when the kill started.")
    cancels_acknowledged: int
    cancels_failed: int = Field(description="Those orders stay PENDING_CANCEL.")
    flatten_orders_submitted: int
    flatten_orders_denied: int
    halt_ms: float | None
    cancel_ms: float | None
    total_ms: float | None


def kill_out(r: pb.KillSwitchResponse) -> KillSwitchOut:
    return KillSwitchOut(
        kill_id=r.kill_id,
        state=state_out(r.state) if r.HasField("state") else None,
        working_orders=r.working_orders,
        cancels_acknowledged=r.cancels_acknowledged,
        cancels_failed=r.cancels_failed,
        flatten_orders_submitted=r.flatten_orders_submitted,
        flatten_orders_denied=r.flatten_orders_denied,
        halt_ms=_millis(r, "halt_latency"),
        cancel_ms=_millis(r, "cancel_latency"),
        total_ms=_millis(r, "total_latency"),
    )
