"""HTTP routes for decisions, the audit chain, trading states (global, account, deployment,
instrument) and the kill switch; each mirrors one RiskService RPC, which authorizes."""

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Protocol
from uuid import UUID

import grpc
from fastapi import APIRouter, Depends, Query
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.api.risk.v1 import risk_pb2_grpc

from tm_gateway import risk_control_models as c
from tm_gateway.backends import Backends
from tm_gateway.http_errors import ApiError

_LOGGER = logging.getLogger(__name__)

TAG = "risk"
PageSize = Annotated[int, Query(ge=0, le=500)]


class CallerLike(Protocol):
    @property
    def token(self) -> str: ...


def risk_stub(backends: Backends) -> risk_pb2_grpc.RiskServiceStub:
    channel = backends.channel("risk")
    if channel is None:
        raise ApiError(
            grpc.StatusCode.UNAVAILABLE,
            "the risk service is not configured (set TM_GATEWAY_RISK_ADDR)",
            reason="BACKEND_NOT_CONFIGURED",
        )
    return risk_pb2_grpc.RiskServiceStub(channel)


def scope_args(scope: c.ScopeName, scope_id: str) -> tuple[Any, str]:
    """(scope enum, scope_id), requiring an id for every scope but GLOBAL (400 naming it)."""
    if (scope == "GLOBAL") != (scope_id == ""):
        expected = "must be empty for GLOBAL" if scope == "GLOBAL" else f"required for {scope}"
        raise ApiError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"scope_id {expected}, was {scope_id!r}",
            field_violations=[("scope_id", expected)],
        )
    return c.scope_value(scope), scope_id


def control_router(backends: Backends, caller: Callable[..., Awaitable[CallerLike]]) -> APIRouter:
    """Routes under ``/decisions``, ``/audit``, ``/trading-state`` and ``/kill-switch``."""
    router = APIRouter(tags=[TAG])
    CallerDep = Annotated[CallerLike, Depends(caller)]

    def risk() -> risk_pb2_grpc.RiskServiceStub:
        return risk_stub(backends)

    @router.get("/decisions", response_model=c.DecisionList)
    async def list_decisions(
        who: CallerDep,
        account_id: UUID | None = None,
        decision: c.DecisionName | None = None,
        reason: Annotated[str, Query(max_length=64, description="A violation reason.")] = "",
        instrument_id: str = "",
        client_order_id: str = "",
        start: Annotated[datetime | None, Query(description="Inclusive.")] = None,
        end: Annotated[datetime | None, Query(description="Exclusive.")] = None,
        page_size: PageSize = 0,
        page_token: str = "",
    ) -> c.DecisionList:
        """Audited order decisions visible to the caller, newest first, filtered."""
        if start is not None and end is not None and end <= start:
            raise ApiError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"end must be after start, was {end.isoformat()} <= {start.isoformat()}",
                field_violations=[("end", "must be after start")],
            )
        request = pb.ListDecisionsRequest(
            account_id=str(account_id) if account_id else "",
            decision=c.enum_value(pb.Decision, decision or "UNSPECIFIED", "DECISION_"),
            reason=reason,
            instrument_id=instrument_id,
            client_order_id=client_order_id,
            page_size=page_size,
            page_token=page_token,
        )
        if start is not None:
            request.start_time.FromDatetime(start)
        if end is not None:
            request.end_time.FromDatetime(end)
        reply = await backends.call(risk().ListDecisions, request, who.token)
        return c.DecisionList(
            decisions=[c.decision_out(d) for d in reply.decisions],
            next_page_token=reply.next_page_token,
        )

    @router.get("/decisions/{decision_id}", response_model=c.DecisionOut)
    async def get_decision(decision_id: UUID, who: CallerDep) -> c.DecisionOut:
        """One audited decision with every check's value and limit and its chain hashes."""
        reply = await backends.call(
            risk().GetDecision, pb.GetDecisionRequest(decision_id=str(decision_id)), who.token
        )
        return c.decision_out(reply.decision)

    @router.get("/audit/verify", response_model=c.AuditVerification)
    async def verify_audit_chain(
        who: CallerDep,
        from_sequence: Annotated[int, Query(ge=0)] = 0,
        to_sequence: Annotated[int, Query(ge=0)] = 0,
    ) -> c.AuditVerification:
        """Recompute the decision hash chain (risk_officer or admin); reports the first gap or
        mismatch. 0 means the first / the newest entry."""
        if to_sequence and from_sequence > to_sequence:
            raise ApiError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"to_sequence must be >= from_sequence, was {to_sequence} < {from_sequence}",
                field_violations=[("to_sequence", "must be >= from_sequence")],
            )
        request = pb.VerifyAuditChainRequest(from_sequence=from_sequence, to_sequence=to_sequence)
        reply = await backends.call(risk().VerifyAuditChain, request, who.token)
        return c.AuditVerification(
            valid=reply.valid,
            entries_checked=reply.entries_checked,
            first_bad_sequence=reply.first_bad_sequence,
            problem=reply.problem,
            last_hash=reply.last_hash,
        )

    async def get_state(scope: c.ScopeName, scope_id: str, who: CallerLike) -> c.TradingStateOut:
        value, ident = scope_args(scope, scope_id)
        request = pb.GetTradingStateRequest(scope=value, scope_id=ident)
        reply = await backends.call(risk().GetTradingState, request, who.token)
        return c.state_out(reply.state)

    async def set_state(body: c.ScopedTradingStateBody, who: CallerLike) -> c.TradingStateOut:
        value, ident = scope_args(body.scope, body.scope_id)
        request = pb.SetTradingStateRequest(
            scope=value,
            scope_id=ident,
            trading_state=c.enum_value(pb.TradingState, body.trading_state, "TRADING_STATE_"),
            reason=body.reason,
        )
        reply = await backends.call(risk().SetTradingState, request, who.token)
        return c.state_out(reply.state)

    async def list_changes(
        scope: c.ScopeName, scope_id: str, page_size: int, page_token: str, who: CallerLike
    ) -> c.TradingStateChanges:
        value, ident = scope_args(scope, scope_id)
        request = pb.ListTradingStateChangesRequest(
            scope=value,
            scope_id=ident,
            page_size=page_size,
            page_token=page_token,
        )
        reply = await backends.call(risk().ListTradingStateChanges, request, who.token)
        return c.TradingStateChanges(
            changes=[c.state_out(s) for s in reply.changes],
            next_page_token=reply.next_page_token,
        )

    @router.get("/trading-state", response_model=c.TradingStateOut)
    async def get_trading_state(
        who: CallerDep, scope: c.ScopeName = "GLOBAL", scope_id: str = ""
    ) -> c.TradingStateOut:
        """The trading state of a scope (default: the global one)."""
        return await get_state(scope, scope_id, who)

    @router.put("/trading-state", response_model=c.TradingStateOut)
    async def set_trading_state(
        body: c.ScopedTradingStateBody, who: CallerDep
    ) -> c.TradingStateOut:
        """Set the trading state of a scope (risk_officer or admin; audited, reason required;
        back to ACTIVE is refused while a breaker cooldown runs)."""
        return await set_state(body, who)

    @router.get("/trading-state/changes", response_model=c.TradingStateChanges)
    async def list_trading_state_changes(
        who: CallerDep,
        scope: c.ScopeName = "GLOBAL",
        scope_id: str = "",
        page_size: PageSize = 0,
        page_token: str = "",
    ) -> c.TradingStateChanges:
        """State changes of a scope (manual, breaker, kill switch), newest first."""
        return await list_changes(scope, scope_id, page_size, page_token, who)

    @router.get("/accounts/{account_id}/trading-state", response_model=c.TradingStateOut)
    async def get_account_state(account_id: UUID, who: CallerDep) -> c.TradingStateOut:
        """The account's trading state, who set it and why."""
        return await get_state("ACCOUNT", str(account_id), who)

    @router.put("/accounts/{account_id}/trading-state", response_model=c.TradingStateOut)
    async def set_account_state(
        account_id: UUID, body: c.TradingStateBody, who: CallerDep
    ) -> c.TradingStateOut:
        """Set the account's trading state (risk_officer or admin; audited)."""
        scoped = c.ScopedTradingStateBody(
            scope="ACCOUNT",
            scope_id=str(account_id),
            trading_state=body.trading_state,
            reason=body.reason,
        )
        return await set_state(scoped, who)

    @router.get(
        "/accounts/{account_id}/trading-state/changes", response_model=c.TradingStateChanges
    )
    async def list_account_state_changes(
        account_id: UUID, who: CallerDep, page_size: PageSize = 0, page_token: str = ""
    ) -> c.TradingStateChanges:
        """The account's state changes, newest first."""
        return await list_changes("ACCOUNT", str(account_id), page_size, page_token, who)

    @router.post("/kill-switch", response_model=c.KillSwitchOut)
    async def kill_switch(body: c.KillSwitchBody, who: CallerDep) -> c.KillSwitchOut:
        """Halt a scope, cancel its working orders at the venue (and with `flatten` close its
        positions through the same checks); answers when done, with counts and timings. An
        account's owner may kill it; other scopes need risk_officer or admin."""
        value, ident = scope_args(body.scope, body.scope_id)
        request = pb.KillSwitchRequest(
            scope=value,
            scope_id=ident,
            reason=body.reason,
            flatten=body.flatten,
        )
        reply = await backends.call(risk().KillSwitch, request, who.token)
        return c.kill_out(reply)

    return router
