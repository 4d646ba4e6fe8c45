"""A live account routed to the (fake) Alpaca venue through the whole risk service: created from
the operator's credentials entry, orders reach the venue, its fills book positions, a fill missed
while the service was down is recovered at start, an external order holds the account REDUCING
until reconciliation passes, and the keys never appear in an API answer."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
import redis.asyncio as aioredis
from support.fake_venues import alpaca as fake_alpaca
from support.fake_venues.book import FakeBook
from support.servers import PostgresHandle
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.service.errors import error_details

from .conftest import Harness, risk_settings

pytestmark = pytest.mark.integration

OWNER, NAME = "live-owner-1", "alpaca-live"


@pytest.fixture(scope="module")
async def live(
    postgres_server: PostgresHandle, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Harness, FakeBook]]:
    book = FakeBook()
    fake = fake_alpaca.FakeAlpaca(book)
    await fake.start()
    secrets = tmp_path_factory.mktemp("venues") / "venues.json"
    entry = {"venue": "alpaca", "key_id": fake_alpaca.KEY_ID, "secret": fake_alpaca.SECRET,
             "base_url": fake.base_url}  # fmt: skip
    secrets.write_text(json.dumps({"accounts": {f"{OWNER}/{NAME}": entry}}))
    name = f"risk_{uuid.uuid4().hex[:8]}"
    settings = risk_settings(postgres_server, redis_url, name).model_copy(
        update={"venue_secrets_file": Path(secrets), "venue_sync_interval_s": 0.3}
    )
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    harness = Harness(settings, client)
    await harness.start()
    yield harness, book
    for service in reversed(harness.services):
        await service.stop()
    await client.aclose()
    await fake.stop()


async def _state(harness: Harness, account: str) -> pb.TradingStateRecord:
    request = pb.GetTradingStateRequest(scope=pb.SCOPE_ACCOUNT, scope_id=account)
    return (await harness.call("GetTradingState", request, OWNER, "viewer")).state


async def _until_state(harness: Harness, account: str, state: int) -> pb.TradingStateRecord:
    deadline = time.monotonic() + 20
    while (got := await _state(harness, account)).trading_state != state:
        if time.monotonic() > deadline:
            raise AssertionError(f"account never reached {state}: {got}")
        await asyncio.sleep(0.1)
    return got


async def test_live_account_trades_at_the_venue_and_recovers_across_restart(
    live: tuple[Harness, FakeBook],
) -> None:
    harness, book = live
    reply = await harness.call(
        "CreateAccount",
        pb.CreateAccountRequest(
            account=pb.Account(name=NAME, mode=pb.ACCOUNT_MODE_LIVE, initial_cash="100000")
        ),
        OWNER,
        "trader",
    )
    account = reply.account.account_id
    assert reply.account.broker == "alpaca" and reply.account.mode == pb.ACCOUNT_MODE_LIVE
    listed = await harness.call("ListAccounts", pb.ListAccountsRequest(), OWNER, "viewer")
    for shown in (reply.SerializeToString(), listed.SerializeToString(), str(listed).encode()):
        assert fake_alpaca.SECRET.encode() not in shown and fake_alpaca.KEY_ID.encode() not in shown

    await harness.instrument("AAPL")
    await harness.bar("AAPL", 100.0, wait_account=account)
    placed = await harness.submit(OWNER, account, "10", iid="AAPL", coid="live-1", limit="100")
    assert placed.order.status == pb.ORDER_STATUS_ACCEPTED
    assert (
        book.by_coid["live-1"].qty == 10
        and placed.order.broker_order_id == book.by_coid["live-1"].id
    )
    book.fill_coid("live-1", 10.0, 99.5)
    order = await harness.wait_order(OWNER, account, "live-1", pb.ORDER_STATUS_FILLED)
    assert order.average_fill_price == "99.5"
    assert await harness.position(OWNER, account, "AAPL") == 10

    await harness.submit(OWNER, account, "5", iid="AAPL", coid="live-2", limit="100")
    await harness.stop_last()
    book.fill_coid("live-2", 5.0, 98.0)  # while the risk service is down
    await harness.start()
    order = await harness.wait_order(OWNER, account, "live-2", pb.ORDER_STATUS_FILLED)
    assert order.filled_quantity == "5" and await harness.position(OWNER, account, "AAPL") == 15
    fills = await harness.call(
        "ListFills", pb.ListFillsRequest(account_id=account), OWNER, "viewer"
    )
    assert sorted((f.quantity, f.price) for f in fills.fills) == [("10", "99.5"), ("5", "98")]

    external = book.place("placed-by-hand", "AAPL", "sell", 3.0, "limit", 150.0, "gtc")
    held = await _until_state(harness, account, pb.TRADING_STATE_REDUCING)
    assert "reconciliation failed" in held.reason and "external" in held.reason
    book.cancel(external)
    await _until_state(harness, account, pb.TRADING_STATE_ACTIVE)


async def test_live_account_needs_the_operators_credentials(live: tuple[Harness, FakeBook]) -> None:
    harness, _ = live
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await harness.call(
            "CreateAccount",
            pb.CreateAccountRequest(
                account=pb.Account(
                    name="not-configured", mode=pb.ACCOUNT_MODE_LIVE, initial_cash="1"
                )
            ),
            OWNER,
            "trader",
        )
    assert error.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_details(error.value).reason == "NO_LIVE_BROKER"
