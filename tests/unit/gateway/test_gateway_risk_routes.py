"""Risk routes against a recording RiskService on loopback: what each route sends, how replies
are rendered (decimal strings kept exact, enum names without prefixes) and that bad input is a
400 naming the field before any RPC is made."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import grpc
import httpx
import pytest
from tm_gateway.app import create_app
from tm_gateway.backends import Backends
from tm_gateway.identity import IdentityService
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.api.risk.v1 import risk_pb2_grpc
from trademaster.service.auth import issue_token
from trademaster.service.errors import NotFound, to_rpc_status

pytestmark = pytest.mark.unit

SECRET = "gateway-unit-test-secret-0123456789"
ISSUER = "trademaster"
ACC = "0b6c2f0e-5c1a-4a43-9d7e-2f3b1c4d5e6f"
OTHER = "9f1e2d3c-4b5a-4968-8776-655443322110"
ORDER = pb.Order(
    client_order_id="c-1",
    account_id=ACC,
    instrument_id="AAPL",
    side=pb.ORDER_SIDE_BUY,
    order_type=pb.ORDER_TYPE_LIMIT,
    quantity="10",
    limit_price="101.25",
    time_in_force=pb.TIME_IN_FORCE_GTC,
    status=pb.ORDER_STATUS_ACCEPTED,
    filled_quantity="0",
)


USER_ID = "6f1c2a3e-0000-4000-8000-000000000001"


class _ActiveUsers:
    """The one store call the gateway makes per request: is the caller still an active user."""

    async def user_by_id(self, user_id: uuid.UUID) -> SimpleNamespace:
        return SimpleNamespace(id=user_id, disabled=False)


def _identity() -> IdentityService:
    return IdentityService(_ActiveUsers(), jwt_secret=SECRET, jwt_issuer=ISSUER)  # type: ignore[arg-type]


class RecordingRisk(risk_pb2_grpc.RiskServiceServicer):
    """Answers canned replies and keeps every request (one fake, for the router under test)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, Any, str]] = []

    def _record(self, name: str, request: Any, context: grpc.aio.ServicerContext) -> None:
        auth = dict(context.invocation_metadata()).get("authorization", "")
        self.requests.append((name, request, auth))

    async def SubmitOrder(self, request: Any, context: Any) -> pb.SubmitOrderResponse:
        self._record("SubmitOrder", request, context)
        decision = pb.OrderDecision(
            decision_id="d-1",
            decision=pb.DECISION_DENY,
            violations=[
                pb.Violation(
                    reason="ORDER_QUANTITY_EXCEEDED", message="10 > 5", value="10", limit="5"
                )
            ],
            trading_state=pb.TRADING_STATE_ACTIVE,
            order=request.order,
        )
        order = pb.Order()
        order.CopyFrom(request.order)
        order.status = pb.ORDER_STATUS_DENIED
        return pb.SubmitOrderResponse(decision=decision, order=order)

    async def GetAccount(self, request: Any, context: Any) -> pb.GetAccountResponse:
        self._record("GetAccount", request, context)
        if request.account_id != ACC:
            error = NotFound(f"account {request.account_id} not found", reason="ACCOUNT_NOT_FOUND")
            await context.abort_with_status(_status(error))
        return pb.GetAccountResponse(
            account=pb.Account(
                account_id=ACC,
                owner_id="u-1",
                name="paper one",
                mode=pb.ACCOUNT_MODE_PAPER,
                base_currency="USD",
                broker="paper",
                initial_cash="100000",
                cash="89000.10",
                equity="100250.35",
                day_start_equity="100300",
                trading_state=pb.TRADING_STATE_REDUCING,
            )
        )

    async def ListOrders(self, request: Any, context: Any) -> pb.ListOrdersResponse:
        self._record("ListOrders", request, context)
        return pb.ListOrdersResponse(orders=[ORDER], next_page_token="t2")

    async def SetLimits(self, request: Any, context: Any) -> pb.SetLimitsResponse:
        self._record("SetLimits", request, context)
        return pb.SetLimitsResponse(limits=request.limits)

    async def ListDecisions(self, request: Any, context: Any) -> pb.ListDecisionsResponse:
        self._record("ListDecisions", request, context)
        return pb.ListDecisionsResponse()

    async def KillSwitch(self, request: Any, context: Any) -> pb.KillSwitchResponse:
        self._record("KillSwitch", request, context)
        reply = pb.KillSwitchResponse(
            kill_id="k-1",
            state=pb.TradingStateRecord(
                scope=request.scope,
                scope_id=request.scope_id,
                trading_state=pb.TRADING_STATE_HALTED,
                previous_state=pb.TRADING_STATE_ACTIVE,
                reason=request.reason,
                updated_by="u-1",
            ),
            working_orders=3,
            cancels_acknowledged=3,
        )
        reply.halt_latency.FromMilliseconds(2)
        return reply

    async def ListTradingStateChanges(
        self, request: Any, context: Any
    ) -> pb.ListTradingStateChangesResponse:
        self._record("ListTradingStateChanges", request, context)
        return pb.ListTradingStateChangesResponse()


def _status(error: NotFound) -> grpc.Status:
    rich = to_rpc_status(error)

    class _Status(grpc.Status):
        code = error.code
        details = error.message
        trailing_metadata = (("grpc-status-details-bin", rich.SerializeToString()),)

    return _Status()


@pytest.fixture
async def fake() -> AsyncIterator[tuple[RecordingRisk, str]]:
    servicer = RecordingRisk()
    server = grpc.aio.server()
    risk_pb2_grpc.add_RiskServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield servicer, f"127.0.0.1:{port}"
    await server.stop(None)


@pytest.fixture
async def client(fake: tuple[RecordingRisk, str]) -> AsyncIterator[httpx.AsyncClient]:
    backends = Backends({"strategy": "127.0.0.1:1", "risk": fake[1]}, timeout_s=5.0)
    identity = _identity()
    app = create_app(identity, backends, jwt_secret=SECRET, jwt_issuer=ISSUER)
    token, _ = issue_token(SECRET, USER_ID, ["trader"], issuer=ISSUER)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://gateway",
        headers={"Authorization": f"Bearer {token}"},
    ) as http:
        yield http
    await backends.close()


def _fields(reply: httpx.Response) -> set[str]:
    assert reply.status_code == 400, reply.text
    return {v["field"] for v in reply.json()["error"]["field_violations"]}


async def test_submit_sends_exact_decimals_and_renders_a_denial(
    client: httpx.AsyncClient, fake: tuple[RecordingRisk, str]
) -> None:
    reply = await client.post(
        f"/api/v1/accounts/{ACC}/orders",
        json={
            "client_order_id": "c-1",
            "instrument_id": "AAPL",
            "side": "BUY",
            "order_type": "LIMIT",
            "quantity": "10.000",
            "limit_price": 101.25,
            "time_in_force": "GTC",
        },
    )

    assert reply.status_code == 201, reply.text
    name, request, auth = fake[0].requests[-1]
    assert name == "SubmitOrder" and auth.startswith("Bearer ")
    order = request.order
    assert (order.account_id, order.quantity, order.limit_price) == (ACC, "10", "101.25")
    assert order.side == pb.ORDER_SIDE_BUY and order.time_in_force == pb.TIME_IN_FORCE_GTC
    body = reply.json()
    assert body["decision"]["decision"] == "DENY"
    assert body["decision"]["violations"] == [
        {"reason": "ORDER_QUANTITY_EXCEEDED", "message": "10 > 5", "value": "10", "limit": "5"}
    ]
    assert body["order"]["status"] == "DENIED"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "NaN"}, "quantity"),
        ({"quantity": "1e400"}, "quantity"),
        ({"quantity": "abc"}, "quantity"),
        ({"side": "HOLD"}, "side"),
        ({"client_order_id": ""}, "client_order_id"),
        ({"client_order_id": "has space"}, "client_order_id"),
        ({"order_type": "LIMIT"}, "limit_price"),
        ({"limit_price": "10"}, "limit_price"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_bad_orders_are_400_naming_the_field_without_an_rpc(
    client: httpx.AsyncClient,
    fake: tuple[RecordingRisk, str],
    change: dict[str, Any],
    field: str,
) -> None:
    body = {"client_order_id": "c-2", "instrument_id": "AAPL", "side": "SELL", "quantity": "1"}

    reply = await client.post(f"/api/v1/accounts/{ACC}/orders", json={**body, **change})

    assert field in _fields(reply)
    assert fake[0].requests == []


async def test_account_shows_pnl_and_state_and_unknown_account_is_404(
    client: httpx.AsyncClient,
) -> None:
    reply = await client.get(f"/api/v1/accounts/{ACC}")

    assert reply.status_code == 200, reply.text
    account = reply.json()
    assert (account["equity"], account["pnl"]) == ("100250.35", "250.35")
    assert account["day_pnl"] == "-49.65"
    assert (account["mode"], account["trading_state"]) == ("PAPER", "REDUCING")
    assert account["events_topic"] == f"risk_account/{ACC}"
    missing = await client.get(f"/api/v1/accounts/{OTHER}")
    assert missing.status_code == 404
    assert missing.json()["error"]["reason"] == "ACCOUNT_NOT_FOUND"


async def test_order_filters_are_forwarded(
    client: httpx.AsyncClient, fake: tuple[RecordingRisk, str]
) -> None:
    reply = await client.get(
        f"/api/v1/accounts/{ACC}/orders",
        params=[("working", "true"), ("status", "ACCEPTED"), ("status", "PARTIALLY_FILLED")],
    )

    assert reply.status_code == 200, reply.text
    assert reply.json()["next_page_token"] == "t2"
    assert reply.json()["orders"][0]["limit_price"] == "101.25"
    request = fake[0].requests[-1][1]
    assert request.working_only
    assert [pb.OrderStatus.Name(s) for s in request.statuses] == [
        "ORDER_STATUS_ACCEPTED",
        "ORDER_STATUS_PARTIALLY_FILLED",
    ]
    bad = await client.get(f"/api/v1/accounts/{ACC}/orders", params={"status": "OPEN"})
    assert "status[0]" in _fields(bad)


async def test_limits_round_trip_as_decimal_strings(
    client: httpx.AsyncClient, fake: tuple[RecordingRisk, str]
) -> None:
    reply = await client.put(
        f"/api/v1/accounts/{ACC}/limits",
        json={
            "max_position": {"AAPL": "100", "*": 50},
            "max_leverage": "2.50",
            "max_working_orders": 20,
            "reason": "desk policy",
        },
    )

    assert reply.status_code == 200, reply.text
    sent = fake[0].requests[-1][1]
    assert sent.reason == "desk policy"
    limits = sent.limits
    assert dict(limits.max_position) == {"AAPL": "100", "*": "50"}
    assert (limits.max_leverage, limits.max_gross_exposure) == ("2.5", "")
    assert limits.max_working_orders == 20
    assert reply.json()["max_position"] == {"AAPL": "100", "*": "50"}
    negative = await client.put(f"/api/v1/accounts/{ACC}/limits", json={"max_daily_loss": "-5"})
    assert "max_daily_loss" in _fields(negative)
    count = await client.put(f"/api/v1/accounts/{ACC}/limits", json={"order_burst": -1})
    assert "order_burst" in _fields(count)


async def test_decisions_filter_and_bad_range(
    client: httpx.AsyncClient, fake: tuple[RecordingRisk, str]
) -> None:
    reply = await client.get(
        "/api/v1/decisions",
        params={"account_id": ACC, "decision": "DENY", "start": "2026-01-01T00:00:00Z"},
    )

    assert reply.status_code == 200, reply.text
    request = fake[0].requests[-1][1]
    assert request.decision == pb.DECISION_DENY and request.account_id == ACC
    assert request.HasField("start_time") and not request.HasField("end_time")
    backwards = await client.get(
        "/api/v1/decisions",
        params={"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
    )
    assert "end" in _fields(backwards)
    assert "decision" in _fields(await client.get("/api/v1/decisions?decision=MAYBE"))


async def test_kill_switch_sends_the_scope_and_reports_counts(
    client: httpx.AsyncClient, fake: tuple[RecordingRisk, str]
) -> None:
    reply = await client.post(
        "/api/v1/kill-switch",
        json={"scope": "ACCOUNT", "scope_id": ACC, "reason": "runaway model"},
    )

    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["working_orders"], body["cancels_acknowledged"]) == (3, 3)
    assert body["halt_ms"] == 2.0 and body["cancel_ms"] is None
    assert body["state"]["trading_state"] == "HALTED"
    assert body["state"]["previous_state"] == "ACTIVE"
    request = fake[0].requests[-1][1]
    assert (request.scope, request.scope_id, request.flatten) == (pb.SCOPE_ACCOUNT, ACC, False)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "ACCOUNT", "reason": "x"}, "scope_id"),
        ({"scope": "GLOBAL", "scope_id": ACC, "reason": "x"}, "scope_id"),
        ({"scope": "DESK", "scope_id": "d", "reason": "x"}, "scope"),
        ({"scope": "GLOBAL"}, "reason"),
        ({"scope": "GLOBAL", "reason": ""}, "reason"),
    ],
)
async def test_bad_kill_switch_is_400_naming_the_field(
    client: httpx.AsyncClient, fake: tuple[RecordingRisk, str], body: dict[str, Any], field: str
) -> None:
    assert field in _fields(await client.post("/api/v1/kill-switch", json=body))
    assert fake[0].requests == []


async def test_state_history_of_an_account_asks_for_its_scope(
    client: httpx.AsyncClient, fake: tuple[RecordingRisk, str]
) -> None:
    reply = await client.get(f"/api/v1/accounts/{ACC}/trading-state/changes")

    assert reply.status_code == 200, reply.text
    request = fake[0].requests[-1][1]
    assert (request.scope, request.scope_id) == (pb.SCOPE_ACCOUNT, ACC)
    no_id = await client.get("/api/v1/trading-state/changes", params={"scope": "DEPLOYMENT"})
    assert "scope_id" in _fields(no_id)
    empty_reason = await client.put(
        f"/api/v1/accounts/{ACC}/trading-state", json={"trading_state": "ACTIVE", "reason": ""}
    )
    assert "reason" in _fields(empty_reason)


async def test_risk_routes_without_a_configured_risk_service_are_503() -> None:
    backends = Backends({"strategy": "127.0.0.1:1"}, timeout_s=1.0)
    identity = _identity()
    app = create_app(identity, backends, jwt_secret=SECRET, jwt_issuer=ISSUER)
    token, _ = issue_token(SECRET, USER_ID, ["trader"], issuer=ISSUER)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as http:
        reply = await http.get("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"})
    await backends.close()
    assert reply.status_code == 503
    assert reply.json()["error"]["reason"] == "BACKEND_NOT_CONFIGURED"


async def test_ids_that_are_not_uuids_are_400_naming_the_field(
    client: httpx.AsyncClient, fake: tuple[RecordingRisk, str]
) -> None:
    account = await client.get("/api/v1/accounts/not-a-uuid/orders")
    decision = await client.get("/api/v1/decisions/not-a-uuid")
    listed = await client.get("/api/v1/decisions", params={"account_id": "nope"})

    assert "account_id" in _fields(account)
    assert "decision_id" in _fields(decision)
    assert "account_id" in _fields(listed)
    assert fake[0].requests == []
