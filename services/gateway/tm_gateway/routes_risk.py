"""HTTP routes for trading accounts, limits, orders, fills, positions, decisions, trading state
and the kill switch; each mirrors one RiskService RPC, which authorizes by owner and role."""

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Protocol

import grpc
from fastapi import APIRouter, Depends, Query, status
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.api.risk.v1 import risk_pb2_grpc

from tm_gateway import risk_models as m
from tm_gateway.backends import Backends
from tm_gateway.http_errors import ApiError

_LOGGER = logging.getLogger(__name__)

TAG = "risk"
PageSize = Annotated[int, Query(ge=0, le=500)]


class CallerLike(Protocol):
    @property
    def token(self) -> str: ...


def _check_limit_order(body: m.OrderCreate) -> None:
    """A limit price exactly when the order is a limit order (named field, 400)."""
    if body.order_type == "LIMIT" and body.limit_price is None:
        raise ApiError(
            grpc.StatusCode.INVALID_ARGUMENT,
            "limit_price is required for LIMIT orders",
            field_violations=[("limit_price", "required when order_type is LIMIT")],
        )
    if body.order_type == "MARKET" and body.limit_price is not None:
        raise ApiError(
            grpc.StatusCode.INVALID_ARGUMENT,
            "limit_price must be empty for MARKET orders",
            field_violations=[("limit_price", "must be null when order_type is MARKET")],
        )


def kill_switch_message(body: m.KillSwitchBody) -> pb.KillSwitchRequest:
    if (body.account_id is None) == (not body.all_accounts):
        raise ApiError(
            grpc.StatusCode.INVALID_ARGUMENT,
            "set exactly one of account_id and all_accounts=true",
            field_violations=[("account_id", "set it, or all_accounts=true, not both")],
        )
    request = pb.KillSwitchRequest(reason=body.reason, cancel_open_orders=body.cancel_open_orders)
    if body.account_id is not None:
        request.account_id = body.account_id
    else:
        request.all_accounts = True
    return request


def _stamp(request_field: object, value: datetime | None) -> None:
    if value is not None:
        request_field.FromDatetime(value)  # type: ignore[attr-defined]


def risk_router(backends: Backends, caller: Callable[..., Awaitable[CallerLike]]) -> APIRouter:
    """Routes under ``/accounts``, ``/decisions`` and ``/kill-switch``."""
    router = APIRouter(tags=[TAG])
    CallerDep = Annotated[CallerLike, Depends(caller)]

    def risk() -> risk_pb2_grpc.RiskServiceStub:
        channel = backends.channel("risk")
        if channel is None:
            raise ApiError(
                grpc.StatusCode.UNAVAILABLE,
                "the risk service is not configured (set TM_GATEWAY_RISK_ADDR)",
                reason="BACKEND_NOT_CONFIGURED",
            )
        return risk_pb2_grpc.RiskServiceStub(channel)

    @router.post("/accounts", response_model=m.AccountOut, status_code=status.HTTP_201_CREATED)
    async def create_account(body: m.AccountCreate, who: CallerDep) -> m.AccountOut:
        """Open a trading account (paper accounts start with `initial_cash`), ACTIVE."""
        account = pb.Account(
            name=body.name,
            mode=m.enum_value(pb.AccountMode, body.mode, "ACCOUNT_MODE_"),
            base_currency=body.base_currency,
            broker=body.broker,
            initial_cash=m.decimal_text(body.initial_cash),
        )
        request = pb.CreateAccountRequest(account=account, request_id=body.request_id)
        reply = await backends.call(risk().CreateAccount, request, who.token)
        return m.account_out(reply.account)

    @router.get("/accounts", response_model=m.AccountList)
    async def list_accounts(
        who: CallerDep, page_size: PageSize = 0, page_token: str = "", mode: m.Mode | None = None
    ) -> m.AccountList:
        """Accounts visible to the caller (own ones; risk officers and admins: all)."""
        request = pb.ListAccountsRequest(
            page_size=page_size,
            page_token=page_token,
            mode=m.enum_value(pb.AccountMode, mode, "ACCOUNT_MODE_") if mode else 0,
        )
        reply = await backends.call(risk().ListAccounts, request, who.token)
        return m.AccountList(
            accounts=[m.account_out(a) for a in reply.accounts],
            next_page_token=reply.next_page_token,
        )

    @router.get("/accounts/{account_id}", response_model=m.AccountOut)
    async def get_account(account_id: str, who: CallerDep) -> m.AccountOut:
        """One account with cash, equity, P&L and trading state."""
        request = pb.GetAccountRequest(account_id=account_id)
        reply = await backends.call(risk().GetAccount, request, who.token)
        return m.account_out(reply.account)

    @router.get("/accounts/{account_id}/limits", response_model=m.LimitsOut)
    async def get_limits(account_id: str, who: CallerDep) -> m.LimitsOut:
        """The account's pre-trade limits; empty strings mean "no limit"."""
        request = pb.GetLimitsRequest(account_id=account_id)
        reply = await backends.call(risk().GetLimits, request, who.token)
        return m.limits_out(reply.limits)

    @router.put("/accounts/{account_id}/limits", response_model=m.LimitsOut)
    async def set_limits(account_id: str, body: m.LimitsBody, who: CallerDep) -> m.LimitsOut:
        """Replace every limit of the account (risk_officer or admin)."""
        request = pb.SetLimitsRequest(account_id=account_id, limits=m.limits_message(body))
        reply = await backends.call(risk().SetLimits, request, who.token)
        return m.limits_out(reply.limits)

    @router.post(
        "/accounts/{account_id}/orders",
        response_model=m.OrderResult,
        status_code=status.HTTP_201_CREATED,
    )
    async def submit_order(account_id: str, body: m.OrderCreate, who: CallerDep) -> m.OrderResult:
        """Check and place an order. A denial answers 201 too, with decision DENY, its reason
        codes and the order stored as DENIED; the same `client_order_id` returns the first
        result, never a second order."""
        _check_limit_order(body)
        request = pb.SubmitOrderRequest(order=m.order_message(account_id, body))
        reply = await backends.call(risk().SubmitOrder, request, who.token)
        return m.OrderResult(
            decision=m.decision_out(reply.decision),
            order=m.order_out(reply.order) if reply.HasField("order") else None,
        )

    @router.post("/accounts/{account_id}/orders:check", response_model=m.DecisionOut)
    async def check_order(account_id: str, body: m.OrderCreate, who: CallerDep) -> m.DecisionOut:
        """Decide on an order without placing it (audited as a dry run)."""
        _check_limit_order(body)
        request = pb.CheckOrderRequest(order=m.order_message(account_id, body))
        reply = await backends.call(risk().CheckOrder, request, who.token)
        return m.decision_out(reply.decision)

    @router.get("/accounts/{account_id}/orders", response_model=m.OrderList)
    async def list_orders(
        account_id: str,
        who: CallerDep,
        page_size: PageSize = 0,
        page_token: str = "",
        status_: Annotated[
            list[m.OrderStatusName] | None,
            Query(alias="status", description="Only these statuses; may repeat."),
        ] = None,
        working: Annotated[
            bool, Query(description="Only working orders (shorthand for their statuses).")
        ] = False,
    ) -> m.OrderList:
        """Orders of the account, newest first."""
        names = list(status_ or []) + (list(m.WORKING_STATUSES) if working else [])
        request = pb.ListOrdersRequest(
            account_id=account_id,
            page_size=page_size,
            page_token=page_token,
            statuses=[
                m.enum_value(pb.OrderStatus, s, "ORDER_STATUS_") for s in dict.fromkeys(names)
            ],
        )
        reply = await backends.call(risk().ListOrders, request, who.token)
        return m.OrderList(
            orders=[m.order_out(o) for o in reply.orders], next_page_token=reply.next_page_token
        )

    @router.get("/accounts/{account_id}/orders/{client_order_id}", response_model=m.OrderOut)
    async def get_order(account_id: str, client_order_id: str, who: CallerDep) -> m.OrderOut:
        """One order by its client order id."""
        request = pb.GetOrderRequest(account_id=account_id, client_order_id=client_order_id)
        reply = await backends.call(risk().GetOrder, request, who.token)
        return m.order_out(reply.order)

    @router.post(
        "/accounts/{account_id}/orders/{client_order_id}:cancel", response_model=m.OrderOut
    )
    async def cancel_order(account_id: str, client_order_id: str, who: CallerDep) -> m.OrderOut:
        """Request cancellation; cancelling a closed order is not an error."""
        request = pb.CancelOrderRequest(account_id=account_id, client_order_id=client_order_id)
        reply = await backends.call(risk().CancelOrder, request, who.token)
        return m.order_out(reply.order)

    @router.get("/accounts/{account_id}/fills", response_model=m.FillList)
    async def list_fills(
        account_id: str,
        who: CallerDep,
        page_size: PageSize = 0,
        page_token: str = "",
        client_order_id: str = "",
    ) -> m.FillList:
        """Fills of the account (or of one order), newest first."""
        request = pb.ListFillsRequest(
            account_id=account_id,
            page_size=page_size,
            page_token=page_token,
            client_order_id=client_order_id,
        )
        reply = await backends.call(risk().ListFills, request, who.token)
        return m.FillList(
            fills=[m.fill_out(f) for f in reply.fills], next_page_token=reply.next_page_token
        )

    @router.get("/accounts/{account_id}/positions", response_model=m.PositionList)
    async def list_positions(
        account_id: str, who: CallerDep, page_size: PageSize = 0, page_token: str = ""
    ) -> m.PositionList:
        """Open positions of the account at market, by instrument."""
        request = pb.ListPositionsRequest(
            account_id=account_id, page_size=page_size, page_token=page_token
        )
        reply = await backends.call(risk().ListPositions, request, who.token)
        return m.PositionList(
            positions=[m.position_out(p) for p in reply.positions],
            next_page_token=reply.next_page_token,
        )

    @router.get("/accounts/{account_id}/trading-state", response_model=m.TradingStateOut)
    async def get_trading_state(account_id: str, who: CallerDep) -> m.TradingStateOut:
        """The account's trading state, who set it and why."""
        request = pb.GetTradingStateRequest(account_id=account_id)
        reply = await backends.call(risk().GetTradingState, request, who.token)
        return m.state_out(reply.state)

    @router.put("/accounts/{account_id}/trading-state", response_model=m.TradingStateOut)
    async def set_trading_state(
        account_id: str, body: m.TradingStateBody, who: CallerDep
    ) -> m.TradingStateOut:
        """Set ACTIVE, REDUCING or HALTED (risk_officer or admin; audited, reason required for
        REDUCING and HALTED)."""
        request = pb.SetTradingStateRequest(
            account_id=account_id,
            trading_state=m.enum_value(pb.TradingState, body.trading_state, "TRADING_STATE_"),
            reason=body.reason,
        )
        reply = await backends.call(risk().SetTradingState, request, who.token)
        return m.state_out(reply.state)

    @router.get("/decisions", response_model=m.DecisionList)
    async def list_decisions(
        who: CallerDep,
        account_id: str = "",
        decision: m.DecisionName | None = None,
        start: Annotated[datetime | None, Query(description="Inclusive.")] = None,
        end: Annotated[datetime | None, Query(description="Exclusive.")] = None,
        page_size: PageSize = 0,
        page_token: str = "",
    ) -> m.DecisionList:
        """Audited order decisions visible to the caller, newest first."""
        if start is not None and end is not None and end <= start:
            raise ApiError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"end must be after start, was {end.isoformat()} <= {start.isoformat()}",
                field_violations=[("end", "must be after start")],
            )
        request = pb.ListDecisionsRequest(
            account_id=account_id,
            decision=m.enum_value(pb.Decision, decision, "DECISION_") if decision else 0,
            page_size=page_size,
            page_token=page_token,
        )
        _stamp(request.start_time, start)
        _stamp(request.end_time, end)
        reply = await backends.call(risk().ListDecisions, request, who.token)
        return m.DecisionList(
            decisions=[m.decision_out(d) for d in reply.decisions],
            next_page_token=reply.next_page_token,
        )

    @router.post("/kill-switch", response_model=m.KillSwitchOut)
    async def kill_switch(body: m.KillSwitchBody, who: CallerDep) -> m.KillSwitchOut:
        """Halt one account (its owner, risk officers, admins) or every account (risk officers,
        admins) and cancel their working orders."""
        reply = await backends.call(risk().KillSwitch, kill_switch_message(body), who.token)
        return m.KillSwitchOut(
            halted=[m.state_out(s) for s in reply.halted], cancelled_orders=reply.cancelled_orders
        )

    return router
