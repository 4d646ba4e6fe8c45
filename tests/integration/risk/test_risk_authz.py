"""Authorization matrix: every RiskService RPC x role x own/other account.

Expected outcomes are written out from the issue's role rules (not read from the servicer's
table): trader places, modifies and cancels on own accounts; risk_officer sets limits and
states, may kill and cancel on any account and reads all; viewer reads own; admin
everything. Another owner's account is NOT_FOUND; a missing role is PERMISSION_DENIED.
"""

from __future__ import annotations

import datetime
import itertools
import uuid
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from trademaster.api.risk.v1 import risk_pb2 as pb

from .conftest import Harness, auth

pytestmark = pytest.mark.integration

ROLES = ("viewer", "researcher", "trader", "risk_officer", "admin")
OK, DENIED, MISSING = "OK", "PERMISSION_DENIED", "NOT_FOUND"
READ = {"viewer", "trader", "risk_officer", "admin"}
OWNER = "alice-authz"


def _expected(rpc: str, role: str, own: bool) -> str:
    reads = {
        "GetOrder",
        "ListOrders",
        "ListFills",
        "ListPositions",
        "GetLimits",
        "GetTradingState",
        "ListTradingStateChanges",
        "ListDecisions",
        "GetDecision",
        "GetAccount",
        "GetComplianceReport",
    }
    if rpc in reads:
        if role not in READ:
            return DENIED
        return OK if own or role in ("risk_officer", "admin") else MISSING
    if rpc in ("SubmitOrder", "CheckOrder", "ModifyOrder", "ReportHeartbeat"):
        if role not in ("trader", "admin"):
            return DENIED
        return OK if own or role == "admin" else MISSING
    if rpc in ("CancelOrder", "KillSwitch"):
        if role not in ("trader", "risk_officer", "admin"):
            return DENIED
        return OK if own or role != "trader" else MISSING
    if rpc in ("SetLimits", "SetTradingState", "VerifyAuditChain", "PutInstrument"):
        return OK if role in ("risk_officer", "admin") else DENIED
    if rpc == "ListInstruments":
        return OK  # the instrument catalog is shared: every role reads it (authz INSTRUMENT:READ)
    if rpc == "ListAccounts":
        return OK if role in READ else DENIED
    if rpc == "CreateAccount":
        return OK if role in ("trader", "admin") else DENIED
    raise AssertionError(f"no expectation for {rpc}")


@pytest.fixture(scope="module")
async def world(harness: Harness) -> dict[str, str]:
    await harness.instrument("AUTHZ")
    account = await harness.account(OWNER)
    await harness.bar("AUTHZ", 10.0, wait_account=account)
    reply = await harness.submit(OWNER, account, "1", iid="AUTHZ", coid="az-1", limit="5.00")
    await harness.call(
        "CancelOrder",
        pb.CancelOrderRequest(account_id=account, client_order_id="az-1"),
        OWNER,
        "trader",
    )
    # a working order far from the market for ModifyOrder, on an account KillSwitch leaves alone
    spare = await harness.account(OWNER)
    await harness.wait_reference(spare, "AUTHZ", 10.0)
    await harness.submit(OWNER, spare, "1", iid="AUTHZ", coid="az-2", limit="1.00")
    return {"account": account, "decision": reply.decision.decision_id, "spare": spare}


def _requests(world: dict[str, str]) -> dict[str, Callable[[], Any]]:
    acct = world["account"]
    today = datetime.datetime.now(datetime.UTC).date()
    prices = itertools.count(101)  # every allowed modify changes the limit price
    order = pb.Order(
        account_id=acct,
        instrument_id="AUTHZ",
        side=pb.ORDER_SIDE_SELL,
        order_type=pb.ORDER_TYPE_LIMIT,
        quantity="1",
        limit_price="99.00",
    )
    scope = {"scope": pb.SCOPE_ACCOUNT, "scope_id": acct}
    return {
        "CheckOrder": lambda: pb.CheckOrderRequest(order=order),
        "SubmitOrder": lambda: pb.SubmitOrderRequest(
            order=pb.Order(
                client_order_id=f"az-{uuid.uuid4().hex[:8]}",
                account_id=acct,
                instrument_id="AUTHZ",
                side=pb.ORDER_SIDE_BUY,
                order_type=pb.ORDER_TYPE_LIMIT,
                quantity="1",
                limit_price="1.00",
            )
        ),
        "ReportHeartbeat": lambda: pb.ReportHeartbeatRequest(
            account_id=acct, deployment_id="az-dep", stopping=True
        ),
        "CancelOrder": lambda: pb.CancelOrderRequest(account_id=acct, client_order_id="az-1"),
        "ModifyOrder": lambda: pb.ModifyOrderRequest(
            account_id=world.get("spare", ""),
            client_order_id="az-2",
            limit_price=f"{next(prices) / 100:.2f}",
            request_id=f"az-m-{uuid.uuid4().hex[:8]}",
        ),
        "GetOrder": lambda: pb.GetOrderRequest(account_id=acct, client_order_id="az-1"),
        "ListOrders": lambda: pb.ListOrdersRequest(account_id=acct),
        "ListFills": lambda: pb.ListFillsRequest(account_id=acct),
        "ListPositions": lambda: pb.ListPositionsRequest(account_id=acct),
        "GetLimits": lambda: pb.GetLimitsRequest(account_id=acct),
        "SetLimits": lambda: pb.SetLimitsRequest(
            account_id=acct, limits=pb.RiskLimits(), reason="authz"
        ),
        "GetTradingState": lambda: pb.GetTradingStateRequest(**scope),
        "SetTradingState": lambda: pb.SetTradingStateRequest(
            **scope, trading_state=pb.TRADING_STATE_ACTIVE, reason="authz"
        ),
        "ListTradingStateChanges": lambda: pb.ListTradingStateChangesRequest(**scope),
        "KillSwitch": lambda: pb.KillSwitchRequest(**scope, reason="authz"),
        "ListDecisions": lambda: pb.ListDecisionsRequest(account_id=acct),
        "GetDecision": lambda: pb.GetDecisionRequest(decision_id=world["decision"]),
        "VerifyAuditChain": lambda: pb.VerifyAuditChainRequest(),
        "PutInstrument": lambda: pb.PutInstrumentRequest(
            instrument=pb.Instrument(instrument_id="AUTHZ2", tick_size="0.01", lot_size="1")
        ),
        "ListInstruments": lambda: pb.ListInstrumentsRequest(),
        "GetComplianceReport": lambda: pb.GetComplianceReportRequest(
            account_id=acct, from_date=f"{today}", to_date=f"{today + datetime.timedelta(days=1)}"
        ),
        "CreateAccount": lambda: pb.CreateAccountRequest(
            account=pb.Account(
                name=f"az-{uuid.uuid4().hex[:6]}", mode=pb.ACCOUNT_MODE_PAPER, initial_cash="10"
            )
        ),
        "GetAccount": lambda: pb.GetAccountRequest(account_id=acct),
        "ListAccounts": lambda: pb.ListAccountsRequest(),
    }


RPCS = sorted(pb.DESCRIPTOR.services_by_name["RiskService"].methods_by_name)


def test_matrix_covers_every_rpc() -> None:
    assert set(_requests({"account": "", "decision": ""})) == set(RPCS)


@pytest.mark.parametrize("rpc", RPCS)
async def test_authorization_matrix(harness: Harness, world: dict[str, str], rpc: str) -> None:
    request = _requests(world)[rpc]
    method = getattr(harness.stub, rpc)
    for role in ROLES:
        for own in (True, False):
            subject = OWNER if own else "mallory-authz"
            try:
                await method(request(), metadata=auth(subject, role), timeout=30)
                outcome = OK
            except grpc.aio.AioRpcError as error:
                outcome = error.code().name
            assert outcome == _expected(rpc, role, own), (rpc, role, own)


async def test_unauthenticated_call_is_refused(harness: Harness) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.stub.ListInstruments(pb.ListInstrumentsRequest(), timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_list_accounts_shows_only_own_to_traders(
    harness: Harness, world: dict[str, str]
) -> None:
    mine = await harness.stub.ListAccounts(
        pb.ListAccountsRequest(), metadata=auth("mallory-authz", "trader"), timeout=10
    )
    assert world["account"] not in {a.account_id for a in mine.accounts}
    officer = await harness.stub.ListAccounts(
        pb.ListAccountsRequest(page_size=500), metadata=auth("o", "risk_officer"), timeout=10
    )
    assert world["account"] in {a.account_id for a in officer.accounts}
