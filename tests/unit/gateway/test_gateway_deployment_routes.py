"""Deployment routes against a recording DeploymentService on loopback: what each route sends,
how replies render (state and action names, limits as decimal strings), the caller's token
forwarded, and that bad input is a 400 naming the field before any RPC is made."""

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
from trademaster.api.common.v1 import common_pb2
from trademaster.api.trainer.v1 import deployment_pb2 as pb
from trademaster.api.trainer.v1 import deployment_pb2_grpc
from trademaster.service.auth import issue_token

pytestmark = pytest.mark.unit

SECRET = "gateway-unit-test-secret-0123456789"
ISSUER = "trademaster"
USER_ID = "6f1c2a3e-0000-4000-8000-000000000002"
DEP = "2c4e6a80-1111-4222-8333-444455556666"


class _ActiveUsers:
    async def user_by_id(self, user_id: uuid.UUID) -> SimpleNamespace:
        return SimpleNamespace(id=user_id, disabled=False)


def _deployment(state: int = pb.DEPLOYMENT_STATE_RUNNING, **fields: Any) -> pb.Deployment:
    return pb.Deployment(
        deployment_id=DEP,
        owner_id=USER_ID,
        model_id="m-1",
        model_version=3,
        account_id="acc-1",
        instruments=["BTC-USD"],
        bar_interval_seconds=60,
        mode=pb.TRADING_MODE_PAPER,
        limits=pb.DeploymentLimits(capital_fraction="0.5"),
        state=state,  # type: ignore[arg-type]
        allowed_actions=[common_pb2.JOB_ACTION_PAUSE, common_pb2.JOB_ACTION_CANCEL],
        bars_processed=12,
        orders_submitted=4,
        **fields,
    )


class RecordingDeployments(deployment_pb2_grpc.DeploymentServiceServicer):
    """Canned replies; keeps every request with the authorization it carried."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, Any, str]] = []

    def _record(self, name: str, request: Any, context: Any) -> None:
        auth = dict(context.invocation_metadata()).get("authorization", "")
        self.requests.append((name, request, auth))

    async def CreateDeployment(self, request: Any, context: Any) -> Any:
        self._record("CreateDeployment", request, context)
        return pb.CreateDeploymentResponse(deployment=_deployment(pb.DEPLOYMENT_STATE_QUEUED))

    async def ListDeployments(self, request: Any, context: Any) -> Any:
        self._record("ListDeployments", request, context)
        return pb.ListDeploymentsResponse(deployments=[_deployment()], next_page_token="n2")

    async def PauseDeployment(self, request: Any, context: Any) -> Any:
        self._record("PauseDeployment", request, context)
        return pb.PauseDeploymentResponse(deployment=_deployment(pb.DEPLOYMENT_STATE_PAUSED))

    async def GetDeploymentEquity(self, request: Any, context: Any) -> Any:
        self._record("GetDeploymentEquity", request, context)
        sample = pb.EquitySample(equity="100012.5", bars_processed=7, orders_submitted=2)
        sample.bar_time.FromNanoseconds(1_700_000_060_000_000_000)
        return pb.GetDeploymentEquityResponse(samples=[sample], next_page_token="1700000060")

    async def StopDeployment(self, request: Any, context: Any) -> Any:
        self._record("StopDeployment", request, context)
        return pb.StopDeploymentResponse(deployment=_deployment(pb.DEPLOYMENT_STATE_CANCELLING))


@pytest.fixture
async def fake() -> AsyncIterator[tuple[RecordingDeployments, str]]:
    servicer = RecordingDeployments()
    server = grpc.aio.server()
    deployment_pb2_grpc.add_DeploymentServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield servicer, f"127.0.0.1:{port}"
    await server.stop(None)


@pytest.fixture
async def client(fake: tuple[RecordingDeployments, str]) -> AsyncIterator[httpx.AsyncClient]:
    backends = Backends({"strategy": "127.0.0.1:1", "trainer": fake[1]}, timeout_s=5.0)
    identity = IdentityService(_ActiveUsers(), jwt_secret=SECRET, jwt_issuer=ISSUER)  # type: ignore[arg-type]
    app = create_app(identity, backends, jwt_secret=SECRET, jwt_issuer=ISSUER)
    token, _ = issue_token(SECRET, USER_ID, ["trader"], issuer=ISSUER)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://gateway",
        headers={"Authorization": f"Bearer {token}"},
    ) as http:
        yield http
    await backends.close()


async def test_create_sends_the_deployment_and_renders_the_reply(
    client: httpx.AsyncClient, fake: tuple[RecordingDeployments, str]
) -> None:
    reply = await client.post(
        "/api/v1/deployments",
        json={
            "model_id": "m-1",
            "model_version": 3,
            "account_id": "acc-1",
            "instruments": ["BTC-USD"],
            "limits": {"capital_fraction": "0.5", "max_order_quantity": "2"},
        },
    )

    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert body["id"] == DEP and body["state"] == "QUEUED" and body["mode"] == "paper"
    assert body["allowed_actions"] == ["pause", "cancel"]
    name, request, auth = fake[0].requests[-1]
    assert name == "CreateDeployment" and auth.startswith("Bearer ")
    assert request.deployment.mode == pb.TRADING_MODE_PAPER
    assert request.deployment.limits.max_order_quantity == "2"
    assert list(request.deployment.instruments) == ["BTC-USD"]


async def test_bad_body_is_a_400_naming_the_field_before_any_rpc(
    client: httpx.AsyncClient, fake: tuple[RecordingDeployments, str]
) -> None:
    reply = await client.post(
        "/api/v1/deployments",
        json={"model_id": "m", "model_version": 0, "account_id": "a", "instruments": []},
    )

    assert reply.status_code == 400
    fields = {v["field"] for v in reply.json()["error"]["field_violations"]}
    assert any("model_version" in f for f in fields) and any("instruments" in f for f in fields)
    assert fake[0].requests == []


async def test_list_pause_and_stop_with_flatten(
    client: httpx.AsyncClient, fake: tuple[RecordingDeployments, str]
) -> None:
    listed = await client.get("/api/v1/deployments", params={"account_id": "acc-1"})
    paused = await client.post(f"/api/v1/deployments/{DEP}:pause")
    stopped = await client.post(f"/api/v1/deployments/{DEP}:stop", json={"flatten": True})

    assert listed.json()["next_page_token"] == "n2"
    assert listed.json()["deployments"][0]["bars_processed"] == 12
    assert paused.json()["state"] == "PAUSED"
    assert stopped.json()["state"] == "CANCELLING"
    names = [(n, r) for n, r, _ in fake[0].requests]
    assert names[0][1].account_id == "acc-1"
    assert names[2][0] == "StopDeployment" and names[2][1].flatten is True


async def test_viewer_cannot_create(client: httpx.AsyncClient) -> None:
    token, _ = issue_token(SECRET, USER_ID, ["viewer"], issuer=ISSUER)
    reply = await client.post(
        "/api/v1/deployments",
        headers={"Authorization": f"Bearer {token}"},
        json={"model_id": "m", "model_version": 1, "account_id": "a", "instruments": ["X"]},
    )

    assert reply.status_code == 403


async def test_equity_route_sends_paging_and_renders_samples_with_market_time(
    client: httpx.AsyncClient, fake: tuple[RecordingDeployments, str]
) -> None:
    reply = await client.get(
        f"/api/v1/deployments/{DEP}/equity", params={"page_size": 100, "page_token": "t1"}
    )
    too_big = await client.get(f"/api/v1/deployments/{DEP}/equity", params={"page_size": 10_001})

    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["next_page_token"] == "1700000060"
    assert body["samples"] == [
        {
            "time": "2023-11-14T22:14:20Z",
            "equity": "100012.5",
            "bars_processed": 7,
            "orders_submitted": 2,
        }
    ]
    name, request, auth = fake[0].requests[-1]
    assert name == "GetDeploymentEquity" and auth.startswith("Bearer ")
    assert request.deployment_id == DEP and request.page_size == 100
    assert request.page_token == "t1"
    assert too_big.status_code == 400 and "page_size" in too_big.text
