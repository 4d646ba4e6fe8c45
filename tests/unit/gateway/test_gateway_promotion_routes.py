"""Promotion routes against a recording DeploymentService on loopback: what each route sends,
how rules render, and that a refused gate is a 400 whose message names the failing rule with
its threshold and actual value."""

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
from tm_trainer.promotion_desk import gate_refusal
from tm_trainer.promotion_rules import RuleResult
from trademaster.api.trainer.v1 import deployment_pb2 as pb
from trademaster.api.trainer.v1 import deployment_pb2_grpc
from trademaster.service.auth import issue_token
from trademaster.service.errors import abort_with_error

pytestmark = pytest.mark.unit

SECRET = "gateway-unit-test-secret-0123456789"
ISSUER = "trademaster"
USER_ID = "6f1c2a3e-0000-4000-8000-000000000003"
PROMO = "3c4e6a80-1111-4222-8333-444455556666"
RULE = pb.GateRuleResult(
    rule="min_paper_bars", threshold=">= 1000", actual="70", passed=False, detail="d1"
)


class _ActiveUsers:
    async def user_by_id(self, user_id: uuid.UUID) -> SimpleNamespace:
        return SimpleNamespace(id=user_id, disabled=False)


def _promotion(state: int) -> pb.Promotion:
    return pb.Promotion(
        promotion_id=PROMO,
        owner_id=USER_ID,
        model_id="m-1",
        model_version=2,
        account_id="live-1",
        stage=pb.PROMOTION_STAGE_LIVE,
        state=state,  # type: ignore[arg-type]
        rules=[RULE],
        requested_by=USER_ID,
    )


class Recording(deployment_pb2_grpc.DeploymentServiceServicer):
    def __init__(self) -> None:
        self.requests: list[tuple[str, Any]] = []

    async def RequestPromotion(self, request: Any, context: Any) -> Any:
        self.requests.append(("RequestPromotion", request))
        return pb.RequestPromotionResponse(promotion=_promotion(pb.PROMOTION_STATE_REJECTED))

    async def ApprovePromotion(self, request: Any, context: Any) -> Any:
        self.requests.append(("ApprovePromotion", request))
        return pb.ApprovePromotionResponse(promotion=_promotion(pb.PROMOTION_STATE_APPROVED))

    async def SetPromotionPolicy(self, request: Any, context: Any) -> Any:
        self.requests.append(("SetPromotionPolicy", request))
        return pb.SetPromotionPolicyResponse(policy=request.policy)

    async def RollbackDeployment(self, request: Any, context: Any) -> Any:
        self.requests.append(("RollbackDeployment", request))
        old = pb.Deployment(
            deployment_id="d-2", model_version=2, state=pb.DEPLOYMENT_STATE_CANCELLING
        )
        new = pb.Deployment(deployment_id="d-3", model_version=1, state=pb.DEPLOYMENT_STATE_QUEUED)
        return pb.RollbackDeploymentResponse(stopped=old, started=new)

    async def CreateDeployment(self, request: Any, context: Any) -> Any:
        rule = RuleResult("min_backtest_sharpe", ">= 0.5", "0.12", False)
        await abort_with_error(context, gate_refusal("PAPER", [rule], "model m-1 version 2"))


@pytest.fixture
async def fake() -> AsyncIterator[tuple[Recording, str]]:
    servicer = Recording()
    server = grpc.aio.server()
    deployment_pb2_grpc.add_DeploymentServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield servicer, f"127.0.0.1:{port}"
    await server.stop(None)


def _token(*roles: str) -> str:
    return issue_token(SECRET, USER_ID, list(roles), issuer=ISSUER)[0]


@pytest.fixture
async def client(fake: tuple[Recording, str]) -> AsyncIterator[httpx.AsyncClient]:
    backends = Backends({"strategy": "127.0.0.1:1", "trainer": fake[1]}, timeout_s=5.0)
    identity = IdentityService(_ActiveUsers(), jwt_secret=SECRET, jwt_issuer=ISSUER)  # type: ignore[arg-type]
    app = create_app(identity, backends, jwt_secret=SECRET, jwt_issuer=ISSUER)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://gateway",
        headers={"Authorization": f"Bearer {_token('trader')}"},
    ) as http:
        yield http
    await backends.close()


async def test_request_sends_the_target_and_renders_the_rules(
    client: httpx.AsyncClient, fake: tuple[Recording, str]
) -> None:
    reply = await client.post(
        "/api/v1/promotions",
        json={"model_id": "m-1", "model_version": 2, "stage": "live", "account_id": "live-1"},
    )

    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert body["state"] == "REJECTED" and body["stage"] == "live"
    assert body["rules"][0] == {
        "rule": "min_paper_bars",
        "threshold": ">= 1000",
        "actual": "70",
        "passed": False,
        "detail": "d1",
    }
    name, request = fake[0].requests[-1]
    assert name == "RequestPromotion" and request.stage == pb.PROMOTION_STAGE_LIVE


async def test_refused_gate_is_a_400_naming_the_rule_and_values(client: httpx.AsyncClient) -> None:
    reply = await client.post(
        "/api/v1/deployments",
        json={"model_id": "m-1", "model_version": 2, "account_id": "a", "instruments": ["X"]},
    )

    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["reason"] == "PROMOTION_GATE_FAILED"
    assert "min_backtest_sharpe: actual 0.12, needs >= 0.5" in error["message"]


async def test_only_risk_officers_approve_and_set_policies(
    client: httpx.AsyncClient, fake: tuple[Recording, str]
) -> None:
    approve = {"approve": True, "reason": "looks fine"}
    as_trader = await client.post(f"/api/v1/promotions/{PROMO}:approve", json=approve)
    officer = {"Authorization": f"Bearer {_token('risk_officer')}"}
    approved = await client.post(
        f"/api/v1/promotions/{PROMO}:approve", json=approve, headers=officer
    )
    policy = await client.put(
        "/api/v1/promotion-policies/alice", json={"min_paper_bars": 200}, headers=officer
    )

    assert as_trader.status_code == 403
    assert approved.status_code == 200 and approved.json()["state"] == "APPROVED"
    assert policy.status_code == 200 and policy.json()["min_paper_bars"] == 200
    sent = fake[0].requests[-1][1].policy
    assert sent.owner_id == "alice" and sent.min_backtest_trades == 10  # defaults filled


async def test_rollback_names_the_account_and_renders_both_deployments(
    client: httpx.AsyncClient, fake: tuple[Recording, str]
) -> None:
    reply = await client.post(
        "/api/v1/accounts/live-1/deployments:rollback", json={"flatten": True}
    )

    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["stopped"]["state"] == "CANCELLING" and body["started"]["model_version"] == 1
    name, request = fake[0].requests[-1]
    assert name == "RollbackDeployment" and request.account_id == "live-1" and request.flatten
