"""Opt-in runs against the venues' real paper/test environments; never in CI.

Marked ``testnet`` and skipped unless ``TM_TESTNET=1`` and the keys are in the environment:
``TM_TESTNET_ALPACA_KEY_ID`` / ``TM_TESTNET_ALPACA_SECRET`` (Alpaca paper trading) and
``TM_TESTNET_BINANCE_KEY`` / ``TM_TESTNET_BINANCE_SECRET`` (Binance spot testnet). Each places
one limit order far from the market, sees it working in the venue's reports, and cancels it.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from pydantic import SecretStr
from tm_risk.venues.adapter import BrokerAdapter, VenueOrder
from tm_risk.venues.alpaca_venue import AlpacaVenue
from tm_risk.venues.ccxt_venue import CcxtVenue
from tm_risk.venues.credentials import VenueCredentials

pytestmark = [pytest.mark.testnet, pytest.mark.integration]


def _keys(prefix: str) -> tuple[str, str]:
    if os.environ.get("TM_TESTNET") != "1":
        pytest.skip("real-venue runs are opt-in: TM_TESTNET=1 and keys in the environment")
    key, secret = (
        os.environ.get(f"{prefix}_KEY_ID") or os.environ.get(f"{prefix}_KEY"),
        os.environ.get(f"{prefix}_SECRET"),
    )
    if not key or not secret:
        pytest.skip(f"{prefix}_KEY(_ID) / {prefix}_SECRET are not set")
    return key, secret


async def _place_see_cancel(adapter: BrokerAdapter, order: VenueOrder) -> None:
    await adapter.connect()
    try:
        outcome = await adapter.submit(order)
        assert outcome.ok, outcome
        await asyncio.sleep(1.0)
        held = {r.client_order_id for r in await adapter.order_reports(order.account_id)}
        assert order.client_order_id in held
        assert (await adapter.cancel(order.account_id, order.client_order_id)).ok
    finally:
        await adapter.disconnect()


async def test_alpaca_paper_round_trip() -> None:
    key, secret = _keys("TM_TESTNET_ALPACA")
    creds = VenueCredentials(venue="alpaca", key_id=SecretStr(key), secret=SecretStr(secret))
    account = str(uuid.uuid4())
    order = VenueOrder(account, f"tn-{uuid.uuid4().hex[:12]}", "AAPL", 1, 1.0, "LIMIT", 1.0, "GTC")
    await _place_see_cancel(AlpacaVenue(account, creds), order)


async def test_binance_spot_testnet_round_trip() -> None:
    key, secret = _keys("TM_TESTNET_BINANCE")
    creds = VenueCredentials(
        venue="ccxt", exchange="binance", key_id=SecretStr(key), secret=SecretStr(secret)
    )
    account = str(uuid.uuid4())
    order = VenueOrder(
        account, f"tn-{uuid.uuid4().hex[:12]}", "BTC-USDT", 1, 0.001, "LIMIT", 10_000.0, "GTC"
    )
    await _place_see_cancel(CcxtVenue(account, creds, instruments=("BTC-USDT",)), order)
