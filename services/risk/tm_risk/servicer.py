"""RiskService RPCs: authorize (trademaster.service.authz) → validate → the desks → convert.

Every handler checks its roles first, then account visibility (another owner's account is
NOT_FOUND). Decisions, orders and state changes are made by the desks in ``orders``,
``states``, ``killswitch`` and ``commands``; this module only translates.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeAlias, TypeVar

import grpc
from google.protobuf import duration_pb2
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.api.risk.v1 import risk_pb2_grpc
from trademaster.risk.model import TradingState
from trademaster.service.auth import current_principal
from trademaster.service.authz import Grant
from trademaster.service.errors import NotFound
from trademaster.service.paging import decode_page_token, encode_page_token

from tm_risk import audit, compliance, convert, validate
from tm_risk.access import account_for, authorize, reads_all
from tm_risk.commands import Commands
from tm_risk.compliance_store import ComplianceReader
from tm_risk.deadman import DeadMan, HeartbeatRpc
from tm_risk.killswitch import KillSwitch
from tm_risk.modify import ModifyDesk
from tm_risk.orders import OrderDesk
from tm_risk.runtime import AccountState, Runtime
from tm_risk.states import StateDesk
from tm_risk.store import RiskReader
from tm_risk.validate import bad

_LOGGER = logging.getLogger(__name__)
DEFAULT_PAGE = 50
MAX_PAGE = 500
T = TypeVar("T")
Ctx: TypeAlias = grpc.aio.ServicerContext
STATUS_NAMES = {v: k.removeprefix("ORDER_STATUS_") for k, v in pb.OrderStatus.items() if v}


def _page(size: int) -> int:
    if size < 0:
        raise bad("page_size", f"must be >= 0, was {size}")
    return min(size or DEFAULT_PAGE, MAX_PAGE)


def _slice(items: list[T], key: Callable[[T], str], token: str, size: int) -> tuple[list[T], str]:
    """Keyset page over an in-memory list sorted by ``key`` ascending."""
    start = 0
    if token:
        (after,) = decode_page_token(token, str)
        start = next((i for i, item in enumerate(items) if key(item) > after), len(items))
    page = items[start : start + size]
    more = start + size < len(items)
    return page, encode_page_token(key(page[-1])) if more and page else ""


def _seq_token(token: str) -> int | None:
    return decode_page_token(token, int)[0] if token else None


def _duration(seconds: float) -> duration_pb2.Duration:
    value = duration_pb2.Duration()
    value.FromNanoseconds(int(seconds * 1e9))
    return value


def _reason(text: str) -> str:
    reason = text.strip()
    if not reason or len(reason) > 500:
        raise bad("reason", "is required (1-500 characters)")
    return reason


class RiskServicer(HeartbeatRpc, risk_pb2_grpc.RiskServiceServicer):
    """The gate every order passes; see the module docstring."""

    def __init__(
        self,
        runtime: Runtime,
        reader: RiskReader,
        orders: OrderDesk,
        states: StateDesk,
        kill: KillSwitch,
        commands: Commands,
        modify: ModifyDesk,
        compliance_reader: ComplianceReader,
        deadman: DeadMan,
    ) -> None:
        self._compliance = compliance_reader
        self._deadman = deadman
        self._modify = modify
        self._runtime = runtime
        self._reader = reader
        self._orders = orders
        self._states = states
        self._kill = kill
        self._commands = commands

    def _caller(self, rpc: str) -> Grant:
        return authorize(current_principal(), rpc)

    def _account(
        self, principal: Grant, account_id: str, field: str = "account_id"
    ) -> AccountState:
        return account_for(self._runtime, principal, validate.account_id(account_id, field))

    def _visible(self, principal: Grant) -> Iterable[AccountState]:
        if reads_all(principal):
            return self._runtime.accounts.values()
        return (a for a in self._runtime.accounts.values() if a.row.owner == principal.subject)

    # --- orders ------------------------------------------------------------------------
    async def CheckOrder(self, request: pb.CheckOrderRequest, context: Ctx) -> Any:
        principal = self._caller("CheckOrder")
        account = self._account(principal, request.order.account_id, "order.account_id")
        order = pb.Order()
        order.CopyFrom(request.order)
        order.client_order_id = order.client_order_id or f"dry-{uuid.uuid4().hex[:16]}"
        intent, fields = validate.order(order)
        decision = await self._orders.check(account, intent, fields, principal.subject)
        return pb.CheckOrderResponse(decision=decision)

    async def SubmitOrder(self, request: pb.SubmitOrderRequest, context: Ctx) -> Any:
        principal = self._caller("SubmitOrder")
        account = self._account(principal, request.order.account_id, "order.account_id")
        intent, fields = validate.order(request.order)
        decision, row, replayed = await self._orders.submit(
            account, intent, fields, principal.subject
        )
        return pb.SubmitOrderResponse(
            decision=decision, order=convert.order(row), replayed=replayed
        )

    async def CancelOrder(self, request: pb.CancelOrderRequest, context: Ctx) -> Any:
        principal = self._caller("CancelOrder")
        account = self._account(principal, request.account_id)
        coid = validate.identifier(request.client_order_id, "client_order_id")
        row = await self._orders.cancel(account, coid, principal.subject)
        return pb.CancelOrderResponse(order=convert.order(row))

    async def ModifyOrder(self, request: pb.ModifyOrderRequest, context: Ctx) -> Any:
        principal = self._caller("ModifyOrder")
        account = self._account(principal, request.account_id)
        coid = validate.identifier(request.client_order_id, "client_order_id")
        request_id = validate.request_id(request.request_id)
        quantity = validate.decimal(request.quantity, "quantity", positive=True)
        limit = validate.decimal(request.limit_price, "limit_price", positive=True)
        if quantity is None and limit is None:
            raise bad("quantity", "or limit_price is required")
        result = await self._modify.modify(
            account, coid, quantity, limit, request_id, principal.subject
        )
        return pb.ModifyOrderResponse(
            decision=result.decision,
            order=convert.order(result.order),
            replayed=result.replayed,
            venue_reason=result.venue_reason,
        )

    async def GetOrder(self, request: pb.GetOrderRequest, context: Ctx) -> Any:
        account = self._account(self._caller("GetOrder"), request.account_id)
        row = account.orders.get(request.client_order_id)
        if row is None:
            raise NotFound(f"order {request.client_order_id!r} not found", reason="ORDER_NOT_FOUND")
        return pb.GetOrderResponse(order=convert.order(row))

    async def ListOrders(self, request: pb.ListOrdersRequest, context: Ctx) -> Any:
        account = self._account(self._caller("ListOrders"), request.account_id)
        size = _page(request.page_size)
        statuses = [STATUS_NAMES[s] for s in request.statuses if s in STATUS_NAMES]
        if request.working_only:
            statuses = [
                s
                for s in ("PENDING_NEW", "ACCEPTED", "PARTIALLY_FILLED", "PENDING_CANCEL")
                if not statuses or s in statuses
            ]
        after = None
        if request.page_token:
            after = decode_page_token(request.page_token, datetime.fromisoformat, str)
        await self._orders.settled()
        rows = await self._reader.list_orders(
            account.row.id, statuses, request.instrument_id, after, size + 1
        )  # type: ignore[arg-type]
        next_page = ""
        if len(rows) > size:
            rows = rows[:size]
            next_page = encode_page_token(rows[-1].created_at.isoformat(), rows[-1].client_order_id)
        return pb.ListOrdersResponse(
            orders=[convert.order(r) for r in rows], next_page_token=next_page
        )

    async def ListFills(self, request: pb.ListFillsRequest, context: Ctx) -> Any:
        account = self._account(self._caller("ListFills"), request.account_id)
        size = _page(request.page_size)
        await self._orders.settled()
        rows = await self._reader.list_fills(
            account.row.id, request.client_order_id, _seq_token(request.page_token), size + 1
        )
        token = encode_page_token(rows[size - 1][0]) if len(rows) > size else ""
        fills = []
        for _seq, f in rows[:size]:
            msg = pb.Fill(
                fill_id=str(f.fill_id),
                account_id=str(f.account_id),
                client_order_id=f.client_order_id,
                instrument_id=f.instrument_id,
                side=convert.SIDE[f.side],
                quantity=convert.num(f.quantity),
                price=convert.num(f.price),
                fee=convert.num(f.fee),
                broker_fill_id=f.broker_fill_id,
            )
            msg.fill_time.FromDatetime(f.fill_time)
            fills.append(msg)
        return pb.ListFillsResponse(fills=fills, next_page_token=token)

    async def ListPositions(self, request: pb.ListPositionsRequest, context: Ctx) -> Any:
        account = self._account(self._caller("ListPositions"), request.account_id)
        held = sorted(i for i, b in account.book.instruments.items() if b.position)
        page, token = _slice(held, str, request.page_token, _page(request.page_size))
        return pb.ListPositionsResponse(
            positions=[convert.position(account.key, i, account.book.instruments[i]) for i in page],
            next_page_token=token,
        )

    # --- limits and states -------------------------------------------------------------------
    async def GetLimits(self, request: pb.GetLimitsRequest, context: Ctx) -> Any:
        account = self._account(self._caller("GetLimits"), request.account_id)
        return pb.GetLimitsResponse(limits=convert.limits(account.limits_row))

    async def SetLimits(self, request: pb.SetLimitsRequest, context: Ctx) -> Any:
        principal = self._caller("SetLimits")
        account = self._account(principal, request.account_id)
        row = await self._commands.set_limits(
            account, request.limits, request.reason, principal.subject
        )
        return pb.SetLimitsResponse(limits=convert.limits(row))

    def _scope(self, principal: Grant, scope: int, scope_id: str) -> tuple[str, str]:
        name, sid = validate.scope(scope, scope_id)
        if name == "ACCOUNT":
            account_for(self._runtime, principal, uuid.UUID(sid))
        return name, sid

    async def GetTradingState(self, request: pb.GetTradingStateRequest, context: Ctx) -> Any:
        principal = self._caller("GetTradingState")
        scope, sid = self._scope(principal, request.scope, request.scope_id)
        row = self._runtime.states.get((scope, sid))
        return pb.GetTradingStateResponse(state=convert.state(row, scope, sid))

    async def SetTradingState(self, request: pb.SetTradingStateRequest, context: Ctx) -> Any:
        principal = self._caller("SetTradingState")
        scope, sid = self._scope(principal, request.scope, request.scope_id)
        if request.trading_state not in (1, 2, 3):
            raise bad(
                "trading_state", f"must be ACTIVE, REDUCING or HALTED, was {request.trading_state}"
            )
        row = await self._states.set(
            scope,
            sid,
            TradingState(request.trading_state),
            _reason(request.reason),
            principal.subject,
        )
        return pb.SetTradingStateResponse(state=convert.state(row, scope, sid))

    async def ListTradingStateChanges(
        self, request: pb.ListTradingStateChangesRequest, context: Ctx
    ) -> Any:
        principal = self._caller("ListTradingStateChanges")
        scope, sid = self._scope(principal, request.scope, request.scope_id)
        size = _page(request.page_size)
        rows = await self._reader.state_changes(
            scope, sid, _seq_token(request.page_token), size + 1
        )
        token = encode_page_token(rows[size - 1][0]) if len(rows) > size else ""
        return pb.ListTradingStateChangesResponse(
            changes=[convert.state(r, scope, sid) for _s, r in rows[:size]],
            next_page_token=token,
        )

    async def KillSwitch(self, request: pb.KillSwitchRequest, context: Ctx) -> Any:
        principal = self._caller("KillSwitch")
        scope, sid = self._scope(principal, request.scope, request.scope_id)
        if scope != "ACCOUNT" and not reads_all(principal):
            raise NotFound(
                f"{scope.lower()} scope kill switch needs risk_officer or admin",
                reason="SCOPE_NOT_FOUND",
            )
        report = await self._kill.pull(
            scope, sid, _reason(request.reason), principal.subject, request.flatten
        )
        return pb.KillSwitchResponse(
            kill_id=str(report.kill_id),
            state=convert.state(report.state, scope, sid),
            working_orders=report.working_orders,
            cancels_acknowledged=report.cancels_acknowledged,
            cancels_failed=report.cancels_failed,
            flatten_orders_submitted=report.flatten_submitted,
            flatten_orders_denied=report.flatten_denied,
            halt_latency=_duration(report.halt_s),
            cancel_latency=_duration(report.cancel_s),
            total_latency=_duration(report.total_s),
        )

    # --- audit -------------------------------------------------------------------------------
    async def ListDecisions(self, request: pb.ListDecisionsRequest, context: Ctx) -> Any:
        principal = self._caller("ListDecisions")
        ids: list[uuid.UUID] | None
        if request.account_id:
            ids = [self._account(principal, request.account_id).row.id]
        else:
            ids = None if reads_all(principal) else [a.row.id for a in self._visible(principal)]
        filters = {
            "instrument_id": request.instrument_id,
            "client_order_id": request.client_order_id,
            "reason": request.reason,
            "decision": {1: "ALLOW", 2: "DENY"}.get(request.decision, ""),
            "start_ns": request.start_time.ToNanoseconds()
            if request.HasField("start_time")
            else None,
            "end_ns": request.end_time.ToNanoseconds() if request.HasField("end_time") else None,
        }
        size = _page(request.page_size)
        rows = await self._reader.list_decisions(
            ids, filters, _seq_token(request.page_token), size + 1
        )
        token = encode_page_token(rows[size - 1]["seq"]) if len(rows) > size else ""
        return pb.ListDecisionsResponse(
            decisions=[
                convert.decision_from_row(r["body"], r["seq"], r["prev_hash"], r["entry_hash"])
                for r in rows[:size]
            ],
            next_page_token=token,
        )

    async def GetDecision(self, request: pb.GetDecisionRequest, context: Ctx) -> Any:
        principal = self._caller("GetDecision")
        entry_id = validate.account_id(request.decision_id, "decision_id")
        row = await self._reader.decision(entry_id)
        if row is None:
            raise NotFound(f"decision {entry_id} not found", reason="DECISION_NOT_FOUND")
        try:
            account_for(self._runtime, principal, row["account_id"])
        except NotFound:
            raise NotFound(f"decision {entry_id} not found", reason="DECISION_NOT_FOUND") from None
        return pb.GetDecisionResponse(
            decision=convert.decision_from_row(
                row["body"], row["seq"], row["prev_hash"], row["entry_hash"]
            )
        )

    async def VerifyAuditChain(self, request: pb.VerifyAuditChainRequest, context: Ctx) -> Any:
        self._caller("VerifyAuditChain")
        first = request.from_sequence or 1
        if first < 1 or request.to_sequence < 0:
            raise bad("from_sequence", "sequences must be >= 1")
        prev = audit.GENESIS if first == 1 else await self._reader.audit_hash(first - 1)
        if prev is None:
            raise bad("from_sequence", f"no audit entry before sequence {first}")
        rows = await self._reader.audit_rows(first, request.to_sequence or None)
        report = audit.verify(rows, prev, first)
        return pb.VerifyAuditChainResponse(
            valid=report.valid,
            entries_checked=report.checked,
            first_bad_sequence=report.first_bad,
            problem=report.problem,
            last_hash=report.last_hash,
        )

    async def GetComplianceReport(
        self, request: pb.GetComplianceReportRequest, context: Ctx
    ) -> Any:
        account = self._account(self._caller("GetComplianceReport"), request.account_id)
        start, end = compliance.parse_range(request.from_date, request.to_date)
        await self._orders.settled()
        return await compliance.build_report(
            self._compliance, self._reader, account.row, start, end
        )

    # --- instruments and accounts --------------------------------------------------------------
    async def PutInstrument(self, request: pb.PutInstrumentRequest, context: Ctx) -> Any:
        principal = self._caller("PutInstrument")
        row = await self._commands.put_instrument(request.instrument, principal.subject)
        return pb.PutInstrumentResponse(instrument=convert.instrument(row))

    async def ListInstruments(self, request: pb.ListInstrumentsRequest, context: Ctx) -> Any:
        self._caller("ListInstruments")
        ids = sorted(self._runtime.instrument_rows)
        page, token = _slice(ids, str, request.page_token, _page(request.page_size))
        return pb.ListInstrumentsResponse(
            instruments=[convert.instrument(self._runtime.instrument_rows[i]) for i in page],
            next_page_token=token,
        )

    async def CreateAccount(self, request: pb.CreateAccountRequest, context: Ctx) -> Any:
        principal = self._caller("CreateAccount")
        if len(request.request_id) > 128:
            raise bad("request_id", "must be at most 128 characters")
        account = await self._commands.create_account(
            principal.subject, request.account, request.request_id
        )
        return pb.CreateAccountResponse(account=self._account_msg(account))

    def _account_msg(self, account: AccountState) -> pb.Account:
        return convert.account(
            account.row, account.book, self._runtime.effective_state(account.key, "", "")
        )

    async def GetAccount(self, request: pb.GetAccountRequest, context: Ctx) -> Any:
        account = self._account(self._caller("GetAccount"), request.account_id)
        return pb.GetAccountResponse(account=self._account_msg(account))

    async def ListAccounts(self, request: pb.ListAccountsRequest, context: Ctx) -> Any:
        principal = self._caller("ListAccounts")
        if request.owner_id and request.owner_id != principal.subject and not reads_all(principal):
            return pb.ListAccountsResponse()
        accounts = sorted(
            (
                a
                for a in self._visible(principal)
                if (not request.mode or a.row.mode == pb.AccountMode.Name(request.mode)[13:])
                and (not request.owner_id or a.row.owner == request.owner_id)
            ),
            key=lambda a: (a.row.created_at.isoformat(), a.key),
        )
        page, token = _slice(
            accounts,
            lambda a: f"{a.row.created_at.isoformat()}|{a.key}",
            request.page_token,
            _page(request.page_size),
        )
        return pb.ListAccountsResponse(
            accounts=[self._account_msg(a) for a in page], next_page_token=token
        )
