"""An in-process risk service on the session's real PostgreSQL and Redis, with helpers.

Each module gets its own database and its own market-data stream; tests may start a second
service on the same database to check what survives a restart.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
import redis.asyncio as aioredis
from support.servers import PostgresHandle
from tm_risk.config import RiskSettings
from tm_risk.marketdata import Bar, publish_bar
from tm_risk.server import build
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.api.risk.v1 import risk_pb2_grpc
from trademaster.service.auth import issue_token
from trademaster.service.server import ServiceParts, create_server, stop_server

JWT_SECRET = "risk-tests-secret-0123456789-abcdef"
OFFICER = "officer-1"


def auth(subject: str, *roles: str) -> list[tuple[str, str]]:
    token = issue_token(JWT_SECRET, subject, roles or ("trader",))[0]
    return [("authorization", f"Bearer {token}")]


def user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


@dataclass
class Service:
    server: grpc.aio.Server
    parts: ServiceParts
    channel: grpc.aio.Channel
    stub: risk_pb2_grpc.RiskServiceStub
    port: int = 0

    async def stop(self) -> None:
        await self.channel.close()
        await stop_server(self.server, 0)
        for callback in self.parts.on_shutdown:
            await callback()


@dataclass
class Harness:
    settings: RiskSettings
    redis: aioredis.Redis
    services: list[Service] = field(default_factory=list)
    clock_ns: int = field(default_factory=time.time_ns)

    @property
    def stub(self) -> risk_pb2_grpc.RiskServiceStub:
        return self.services[-1].stub

    async def start(self, **overrides: Any) -> Service:
        settings = self.settings.model_copy(update=overrides)
        parts = await build(settings)
        server, port = await create_server(
            settings,
            service_name="risk",
            register=parts.register,
            full_service_names=parts.full_service_names,
            public_methods=parts.public_methods,
        )
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        service = Service(server, parts, channel, risk_pb2_grpc.RiskServiceStub(channel), port)
        self.services.append(service)
        return service

    async def stop_last(self) -> None:
        await self.services.pop().stop()

    # --- helpers ---------------------------------------------------------------------
    async def call(self, rpc: str, request: Any, subject: str = OFFICER, *roles: str) -> Any:
        method = getattr(self.stub, rpc)
        return await method(request, metadata=auth(subject, *(roles or ("admin",))), timeout=30)

    async def instrument(self, iid: str, tick: str = "0.01", lot: str = "1", **extra: str) -> None:
        await self.call(
            "PutInstrument",
            pb.PutInstrumentRequest(
                instrument=pb.Instrument(instrument_id=iid, tick_size=tick, lot_size=lot, **extra)
            ),
        )

    async def account(self, owner: str, cash: str = "1000000", **limits: Any) -> str:
        reply = await self.call(
            "CreateAccount",
            pb.CreateAccountRequest(
                account=pb.Account(
                    name=f"acct-{uuid.uuid4().hex[:6]}",
                    mode=pb.ACCOUNT_MODE_PAPER,
                    initial_cash=cash,
                )
            ),
            owner,
            "trader",
        )
        account_id = reply.account.account_id
        if limits:
            await self.set_limits(account_id, **limits)
        return account_id

    async def set_limits(self, account_id: str, **limits: Any) -> pb.RiskLimits:
        reply = await self.call(
            "SetLimits",
            pb.SetLimitsRequest(
                account_id=account_id, limits=pb.RiskLimits(**limits), reason="test"
            ),
            OFFICER,
            "risk_officer",
        )
        return reply.limits

    async def bar(
        self,
        iid: str,
        price: float,
        volume: float = 1e9,
        *,
        spread: float = 0.0,
        wait_account: str | None = None,
    ) -> None:
        """Publish a bar (open = close = price); with ``wait_account``, wait until the service
        uses it as reference price (a dry-run check of that account shows it)."""
        self.clock_ns += 60_000_000_000
        bar = Bar(iid, self.clock_ns, price, price + spread, price - spread, price, volume)
        await publish_bar(self.redis, bar, self.settings.market_data_stream)
        if wait_account is not None:
            await self.wait_reference(wait_account, iid, price)

    async def wait_reference(self, account_id: str, iid: str, price: float) -> None:
        deadline = time.monotonic() + 30
        while True:
            reply = await self.call(
                "CheckOrder",
                pb.CheckOrderRequest(
                    order=pb.Order(
                        account_id=account_id,
                        instrument_id=iid,
                        side=pb.ORDER_SIDE_BUY,
                        order_type=pb.ORDER_TYPE_MARKET,
                        quantity="1",
                    )
                ),
            )
            ref = reply.decision.reference_price
            if ref and abs(float(ref) - price) < 1e-9:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"reference price of {iid} never became {price}: {ref!r}")
            await asyncio.sleep(0.02)

    async def submit(
        self,
        owner: str,
        account_id: str,
        qty: str,
        side: int = pb.ORDER_SIDE_BUY,
        iid: str = "AAA",
        *,
        coid: str | None = None,
        limit: str = "",
        reduce_only: bool = False,
        roles: tuple[str, ...] = ("trader",),
        **extra: Any,
    ) -> pb.SubmitOrderResponse:
        order = pb.Order(
            client_order_id=coid or f"c-{uuid.uuid4().hex[:12]}",
            account_id=account_id,
            instrument_id=iid,
            side=side,
            order_type=pb.ORDER_TYPE_LIMIT if limit else pb.ORDER_TYPE_MARKET,
            quantity=qty,
            limit_price=limit,
            reduce_only=reduce_only,
            time_in_force=pb.TIME_IN_FORCE_GTC if limit else pb.TIME_IN_FORCE_DAY,
            **extra,
        )
        return await self.call("SubmitOrder", pb.SubmitOrderRequest(order=order), owner, *roles)

    async def wait_order(
        self, owner: str, account_id: str, coid: str, status: int, timeout_s: float = 30
    ) -> pb.Order:
        deadline = time.monotonic() + timeout_s
        while True:
            reply = await self.call(
                "GetOrder",
                pb.GetOrderRequest(account_id=account_id, client_order_id=coid),
                owner,
                "trader",
            )
            if reply.order.status == status:
                return reply.order
            if time.monotonic() > deadline:
                raise AssertionError(f"order {coid} never reached {status}: {reply.order}")
            await asyncio.sleep(0.02)

    async def position(self, owner: str, account_id: str, iid: str = "AAA") -> float:
        reply = await self.call(
            "ListPositions", pb.ListPositionsRequest(account_id=account_id), owner, "viewer"
        )
        return sum(float(p.quantity) for p in reply.positions if p.instrument_id == iid)

    async def set_state(self, account_id: str, state: int, reason: str = "test") -> Any:
        return await self.call(
            "SetTradingState",
            pb.SetTradingStateRequest(
                scope=pb.SCOPE_ACCOUNT, scope_id=account_id, trading_state=state, reason=reason
            ),
            OFFICER,
            "risk_officer",
        )

    async def verify(self) -> pb.VerifyAuditChainResponse:
        return await self.call(
            "VerifyAuditChain", pb.VerifyAuditChainRequest(), OFFICER, "risk_officer"
        )


def risk_settings(postgres: PostgresHandle, redis_url: str, name: str) -> RiskSettings:
    return RiskSettings(
        database_url=postgres.create_database(name),
        redis_url=redis_url,
        jwt_secret=JWT_SECRET,  # type: ignore[arg-type]
        market_data_stream=f"tm:md:{name}",
    )


@pytest.fixture(scope="module")
async def harness(postgres_server: PostgresHandle, redis_url: str) -> AsyncIterator[Harness]:
    name = f"risk_{uuid.uuid4().hex[:8]}"
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    h = Harness(risk_settings(postgres_server, redis_url, name), client)
    await h.start()
    yield h
    for service in reversed(h.services):
        await service.stop()
    await client.aclose()
