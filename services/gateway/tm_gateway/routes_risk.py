"""HTTP routes for trading accounts, limits, instruments, orders, fills and positions; each
mirrors one RiskService RPC, which authorizes by owner and role. Decisions, trading states and
the kill switch live in `routes_risk_control` and are mounted by `risk_router` too."""

import logging
from typing import Annotated
from uuid import UUID

import grpc
from fastapi import APIRouter, Depends, Path, Query, status
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.api.risk.v1 import risk_pb2_grpc

from tm_gateway import risk_control_models as c
from tm_gateway import risk_models as m
from tm_gateway import risk_order_models as o
from tm_gateway.backends import Backends
from tm_gateway.convert import CallerDependency, CallerLike, enum_value
from tm_gateway.http_errors import ApiError
from tm_gateway.routes_risk_control import control_router, risk_stub

_LOGGER = logging.getLogger(__name__)

TAG = "risk"
PageSize = Annotated[int, Query(ge=0, le=500)]


def _check_limit_order(body: o.OrderCreate) -> None:
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


def risk_router(backends: Backends, caller: CallerDependency) -> APIRouter:
    """Every risk route: ``/accounts/...``, ``/instruments``, ``/decisions``, ``/audit``,
    ``/trading-state`` and ``/kill-switch``."""
    router = APIRouter(tags=[TAG])
    CallerDep = Annotated[CallerLike, Depends(caller)]

    def risk() -> risk_pb2_grpc.RiskServiceStub:
        return risk_stub(backends)

    @router.post("/accounts", response_model=m.AccountOut, status_code=status.HTTP_201_CREATED)
    async def create_account(body: m.AccountCreate, who: CallerDep) -> m.AccountOut:
        """Open a trading account (paper accounts start with `initial_cash`), ACTIVE."""
        account = pb.Account(
            name=body.name,
            mode=enum_value(pb.AccountMode, body.mode, "ACCOUNT_MODE_"),
            base_currency=body.base_currency,
            broker=body.broker,
            initial_cash=m.decimal_text(body.initial_cash),
        )
        request = pb.CreateAccountRequest(account=account, request_id=body.request_id)
        reply = await backends.call(risk().CreateAccount, request, who.token)
        return m.account_out(reply.account)

    @router.get("/accounts", response_model=m.AccountList)
    async def list_accounts(
        who: CallerDep,
        page_size: PageSize = 0,
        page_token: str = "",
        mode: m.Mode | None = None,
        owner_id: Annotated[str, Query(description="Risk officers and admins only.")] = "",
    ) -> m.AccountList:
        """Accounts visible to the caller (own ones; risk officers and admins: all)."""
        request = pb.ListAccountsRequest(
            page_size=page_size,
            page_token=page_token,
            mode=enum_value(pb.AccountMode, mode or "UNSPECIFIED", "ACCOUNT_MODE_"),
            owner_id=owner_id,
        )
        reply = await backends.call(risk().ListAccounts, request, who.token)
        return m.AccountList(
            accounts=[m.account_out(a) for a in reply.accounts],
            next_page_token=reply.next_page_token,
        )

    @router.get("/accounts/{account_id}", response_model=m.AccountOut)
    async def get_account(account_id: UUID, who: CallerDep) -> m.AccountOut:
        """One account with cash, equity, P&L and trading state."""
        request = pb.GetAccountRequest(account_id=str(account_id))
        reply = await backends.call(risk().GetAccount, request, who.token)
        return m.account_out(reply.account)

    @router.get("/accounts/{account_id}/limits", response_model=m.LimitsOut)
    async def get_limits(account_id: UUID, who: CallerDep) -> m.LimitsOut:
        """The account's pre-trade limits; empty strings mean "no limit"."""
        request = pb.GetLimitsRequest(account_id=str(account_id))
        reply = await backends.call(risk().GetLimits, request, who.token)
        return m.limits_out(reply.limits)

    @router.put("/accounts/{account_id}/limits", response_model=m.LimitsOut)
    async def set_limits(account_id: UUID, body: m.LimitsBody, who: CallerDep) -> m.LimitsOut:
        """Replace every limit of the account (risk_officer or admin)."""
        request = pb.SetLimitsRequest(
            account_id=str(account_id), limits=m.limits_message(body), reason=body.reason
        )
        reply = await backends.call(risk().SetLimits, request, who.token)
        return m.limits_out(reply.limits)

    @router.post(
        "/accounts/{account_id}/orders",
        response_model=c.OrderResult,
        status_code=status.HTTP_201_CREATED,
    )
    async def submit_order(account_id: UUID, body: o.OrderCreate, who: CallerDep) -> c.OrderResult:
        """Check and place an order. A denial answers 201 too, with decision DENY, its reason
        codes and the order stored as DENIED; the same `client_order_id` returns the first
        result, never a second order."""
        _check_limit_order(body)
        request = pb.SubmitOrderRequest(order=o.order_message(str(account_id), body))
        reply = await backends.call(risk().SubmitOrder, request, who.token)
        return c.OrderResult(
            decision=c.decision_out(reply.decision),
            order=o.order_out(reply.order) if reply.HasField("order") else None,
            replayed=reply.replayed,
        )

    @router.post("/accounts/{account_id}/orders:check", response_model=c.DecisionOut)
    async def check_order(account_id: UUID, body: o.OrderCreate, who: CallerDep) -> c.DecisionOut:
        """Decide on an order without placing it (audited as a dry run)."""
        _check_limit_order(body)
        request = pb.CheckOrderRequest(order=o.order_message(str(account_id), body))
        reply = await backends.call(risk().CheckOrder, request, who.token)
        return c.decision_out(reply.decision)

    @router.get("/accounts/{account_id}/orders", response_model=o.OrderList)
    async def list_orders(
        account_id: UUID,
        who: CallerDep,
        page_size: PageSize = 0,
        page_token: str = "",
        status_: Annotated[
            list[m.OrderStatusName] | None,
            Query(alias="status", description="Only these statuses; may repeat."),
        ] = None,
        working: Annotated[
            bool,
            Query(
                description="Only working orders: PENDING_NEW, ACCEPTED, PARTIALLY_FILLED, "
                "PENDING_CANCEL."
            ),
        ] = False,
        instrument_id: str = "",
    ) -> o.OrderList:
        """Orders of the account, newest first."""
        request = pb.ListOrdersRequest(
            account_id=str(account_id),
            page_size=page_size,
            page_token=page_token,
            statuses=[
                enum_value(pb.OrderStatus, s, "ORDER_STATUS_") for s in dict.fromkeys(status_ or [])
            ],
            instrument_id=instrument_id,
            working_only=working,
        )
        reply = await backends.call(risk().ListOrders, request, who.token)
        return o.OrderList(
            orders=[o.order_out(order) for order in reply.orders],
            next_page_token=reply.next_page_token,
        )

    @router.get("/accounts/{account_id}/orders/{client_order_id}", response_model=o.OrderOut)
    async def get_order(account_id: UUID, client_order_id: str, who: CallerDep) -> o.OrderOut:
        """One order by its client order id."""
        request = pb.GetOrderRequest(account_id=str(account_id), client_order_id=client_order_id)
        reply = await backends.call(risk().GetOrder, request, who.token)
        return o.order_out(reply.order)

    @router.post(
        "/accounts/{account_id}/orders/{client_order_id}:cancel", response_model=o.OrderOut
    )
    async def cancel_order(account_id: UUID, client_order_id: str, who: CallerDep) -> o.OrderOut:
        """Request cancellation; cancelling a closed order is not an error."""
        request = pb.CancelOrderRequest(account_id=str(account_id), client_order_id=client_order_id)
        reply = await backends.call(risk().CancelOrder, request, who.token)
        return o.order_out(reply.order)

    @router.post(
        "/accounts/{account_id}/orders/{client_order_id}:modify", response_model=c.ModifyResult
    )
    async def modify_order(
        account_id: UUID, client_order_id: str, body: o.OrderModify, who: CallerDep
    ) -> c.ModifyResult:
        """Change the quantity and/or limit price of a working order; checked and audited like
        a submit (HALTED refuses every modify). A denial answers 200 with decision DENY and the
        order unchanged; the same `request_id` returns the first result."""
        if body.quantity is None and body.limit_price is None:
            raise ApiError(
                grpc.StatusCode.INVALID_ARGUMENT,
                "quantity or limit_price is required",
                field_violations=[("quantity", "quantity or limit_price is required")],
            )
        request = o.modify_message(str(account_id), client_order_id, body)
        reply = await backends.call(risk().ModifyOrder, request, who.token)
        return c.ModifyResult(
            decision=c.decision_out(reply.decision),
            order=o.order_out(reply.order) if reply.HasField("order") else None,
            replayed=reply.replayed,
            venue_reason=reply.venue_reason,
        )

    @router.get("/accounts/{account_id}/fills", response_model=o.FillList)
    async def list_fills(
        account_id: UUID,
        who: CallerDep,
        page_size: PageSize = 0,
        page_token: str = "",
        client_order_id: str = "",
    ) -> o.FillList:
        """Fills of the account (or of one order), newest first."""
        request = pb.ListFillsRequest(
            account_id=str(account_id),
            page_size=page_size,
            page_token=page_token,
            client_order_id=client_order_id,
        )
        reply = await backends.call(risk().ListFills, request, who.token)
        return o.FillList(
            fills=[o.fill_out(f) for f in reply.fills], next_page_token=reply.next_page_token
        )

    @router.get("/accounts/{account_id}/positions", response_model=o.PositionList)
    async def list_positions(
        account_id: UUID, who: CallerDep, page_size: PageSize = 0, page_token: str = ""
    ) -> o.PositionList:
        """Open positions of the account at market, by instrument."""
        request = pb.ListPositionsRequest(
            account_id=str(account_id), page_size=page_size, page_token=page_token
        )
        reply = await backends.call(risk().ListPositions, request, who.token)
        return o.PositionList(
            positions=[o.position_out(p) for p in reply.positions],
            next_page_token=reply.next_page_token,
        )

    @router.get("/instruments", response_model=m.InstrumentList)
    async def list_instruments(
        who: CallerDep, page_size: PageSize = 0, page_token: str = ""
    ) -> m.InstrumentList:
        """Instruments orders may name, with their tick, lot and size rules."""
        request = pb.ListInstrumentsRequest(page_size=page_size, page_token=page_token)
        reply = await backends.call(risk().ListInstruments, request, who.token)
        return m.InstrumentList(
            instruments=[m.instrument_out(i) for i in reply.instruments],
            next_page_token=reply.next_page_token,
        )

    @router.put("/instruments/{instrument_id}", response_model=m.InstrumentOut)
    async def put_instrument(
        instrument_id: Annotated[str, Path(min_length=1, max_length=128, pattern=m.ID_PATTERN)],
        body: m.InstrumentBody,
        who: CallerDep,
    ) -> m.InstrumentOut:
        """Create or replace an instrument's trading rules (risk_officer or admin)."""
        request = pb.PutInstrumentRequest(instrument=m.instrument_message(instrument_id, body))
        reply = await backends.call(risk().PutInstrument, request, who.token)
        return m.instrument_out(reply.instrument)

    router.include_router(control_router(backends, caller))
    return router
