"""Venue payload parsers on the shapes of Alpaca's and Binance's published API references, the
complete Alpaca status mapping, and credentials that never show their secrets."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path

import pytest
from alpaca.trading.enums import OrderStatus, TradeEvent
from alpaca.trading.models import Order, TradeUpdate
from pydantic import SecretStr
from tm_risk.venues import alpaca_parse, ccxt_parse
from tm_risk.venues.adapter import EventKind
from tm_risk.venues.alpaca_venue import AlpacaVenue
from tm_risk.venues.credentials import CredentialsError, VenueCredentials, load

pytestmark = pytest.mark.unit

# Alpaca's order object as its Orders reference documents it (values from its example).
ALPACA_ORDER = {
    "id": "61e69015-8549-4bfd-b9c3-01e75843f47d",
    "client_order_id": "eb9e2aaa-f71a-4f51-b5b4-52a6c565dad4",
    "created_at": "2021-03-16T18:38:01.942282Z",
    "updated_at": "2021-03-16T18:38:01.942282Z",
    "submitted_at": "2021-03-16T18:38:01.937734Z",
    "filled_at": None,
    "expired_at": None,
    "canceled_at": None,
    "failed_at": None,
    "replaced_at": None,
    "replaced_by": None,
    "replaces": None,
    "asset_id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415",
    "symbol": "AAPL",
    "asset_class": "us_equity",
    "notional": None,
    "qty": "10",
    "filled_qty": "4",
    "filled_avg_price": "120.5",
    "order_class": "",
    "order_type": "limit",
    "type": "limit",
    "side": "buy",
    "time_in_force": "gtc",
    "limit_price": "121",
    "stop_price": None,
    "status": "partially_filled",
    "extended_hours": False,
    "legs": None,
    "trail_percent": None,
    "trail_price": None,
    "hwm": None,
}


def test_every_alpaca_order_status_is_mapped() -> None:
    assert set(alpaca_parse.STATUS) == set(OrderStatus)
    assert {str(e.value) for e in TradeEvent} <= set(alpaca_parse.EVENTS)


@pytest.mark.parametrize(
    ("status", "filled", "ours"),
    [
        ("new", "0", "ACCEPTED"),
        ("partially_filled", "4", "PARTIALLY_FILLED"),
        ("filled", "10", "FILLED"),
        ("pending_new", "0", "PENDING_NEW"),
        ("pending_cancel", "4", "PENDING_CANCEL"),
        ("canceled", "4", "CANCELLED"),
        ("expired", "0", "EXPIRED"),
        ("rejected", "0", "REJECTED"),
        ("done_for_day", "4", "PARTIALLY_FILLED"),
        ("calculated", "10", "FILLED"),
        ("held", "0", "ACCEPTED"),
        ("replaced", "0", "REPLACED"),
    ],
)
def test_alpaca_order_report(status: str, filled: str, ours: str) -> None:
    order = Order(**(ALPACA_ORDER | {"status": status, "filled_qty": filled}))
    report = alpaca_parse.report("acct", order)
    assert report.status == ours and report.filled_quantity == float(filled)
    assert report.open_quantity == (10 - float(filled) if ours in alpaca_parse.OPEN else 0.0)
    assert report.broker_order_id == ALPACA_ORDER["id"]


def test_alpaca_trade_update_fill_and_cancel() -> None:
    fill = TradeUpdate(
        event="partial_fill",
        execution_id="9b3e0f8a-4a1b-4a59-a8b6-4c1f7f1a3a7e",
        order=ALPACA_ORDER,
        position_qty="4",
        price="120.5",
        qty="4",
        timestamp="2021-03-16T18:38:02.1Z",
    )
    event = alpaca_parse.event("acct", fill)
    assert event is not None and event.kind is EventKind.FILLED and event.execution is not None
    assert (event.execution.quantity, event.execution.price, event.execution.fee) == (
        4.0,
        120.5,
        0.0,
    )
    assert event.execution.broker_fill_id == "9b3e0f8a-4a1b-4a59-a8b6-4c1f7f1a3a7e"
    assert event.client_order_id == ALPACA_ORDER["client_order_id"]
    cancel = TradeUpdate(event="canceled", order=ALPACA_ORDER, timestamp="2021-03-16T18:39:00Z")
    assert alpaca_parse.event("acct", cancel).kind is EventKind.CANCELLED  # type: ignore[union-attr]
    pending = TradeUpdate(event="pending_cancel", order=ALPACA_ORDER, timestamp="2021-03-16T18:39Z")
    assert alpaca_parse.event("acct", pending) is None


def test_alpaca_fill_activity_position_and_error() -> None:
    activity = {  # the FILL account activity as Alpaca's Account Activities reference shows it
        "id": "20190524113406977::8efc7b9a-8b2b-4000-9955-d36e7db0df74",
        "activity_type": "FILL",
        "transaction_time": "2019-05-24T15:34:06.977Z",
        "type": "fill",
        "price": "3.1",
        "qty": "1",
        "side": "buy",
        "symbol": "LPCN",
        "leaves_qty": "0",
        "order_id": "904837e3-3b76-47ec-b432-046db621571b",
        "cum_qty": "1",
        "order_status": "filled",
    }
    order_id, execution = alpaca_parse.fill_activity(activity)
    assert order_id == "904837e3-3b76-47ec-b432-046db621571b"
    assert execution.broker_fill_id == "8efc7b9a-8b2b-4000-9955-d36e7db0df74"
    assert (execution.quantity, execution.price) == (1.0, 3.1)
    assert alpaca_parse.position({"symbol": "AAPL", "qty": "5", "side": "short"}) == ("AAPL", -5.0)
    body = json.dumps({"code": 40010001, "message": "client_order_id must be unique"})
    assert alpaca_parse.error_code(body) == (40010001, "client_order_id must be unique")
    assert alpaca_parse.error_code("<html>bad gateway</html>")[0] == 0


def test_replacement_ids_keep_ours() -> None:
    first = alpaca_parse.replacement_id("dep-7-bar-42")
    assert first == "dep-7-bar-42.r1" and alpaca_parse.replacement_id(first) == "dep-7-bar-42.r2"
    assert alpaca_parse.our_id("dep-7-bar-42.r2") == "dep-7-bar-42"
    assert alpaca_parse.our_id("a.rx") == "a.rx"


def test_binance_order_and_trade_via_ccxt_shapes() -> None:
    open_order = {  # ccxt's unified order, ``info`` as Binance's GET /api/v3/order documents it
        "id": "28",
        "clientOrderId": "6gCrw2kRUAF9CvJDGP16IP",
        "symbol": "BTC/USDT",
        "status": "open",
        "filled": 0.4,
        "remaining": 0.6,
        "info": {"status": "PARTIALLY_FILLED", "orderId": 28},
    }
    report = ccxt_parse.report("acct", open_order)
    assert (report.status, report.filled_quantity, report.open_quantity) == (
        "PARTIALLY_FILLED",
        0.4,
        0.6,
    )
    for raw, ours in ccxt_parse.BINANCE_STATUS.items():
        assert ccxt_parse.status({"status": "open", "info": {"status": raw}}) == ours
    with pytest.raises(ValueError, match="unknown order status"):
        ccxt_parse.status({"status": "weird", "info": {"status": "NOPE"}})
    buy = {"id": "28457", "order": "100234", "symbol": "BTC/USDT", "amount": 0.5, "price": 4000.0,
           "timestamp": 1499865549590, "fee": {"cost": 0.0005, "currency": "BTC"}}  # fmt: skip
    order_id, execution = ccxt_parse.execution(buy)
    assert order_id == "100234" and execution.fee == pytest.approx(2.0)  # base fee valued at price
    sell = buy | {"fee": {"cost": 2.0, "currency": "USDT"}}
    assert ccxt_parse.execution(sell)[1].fee == 2.0
    with pytest.raises(ValueError, match="BNB"):
        ccxt_parse.execution(buy | {"fee": {"cost": 0.01, "currency": "BNB"}})
    assert ccxt_parse.symbol("btc-usdt") == "BTC/USDT"


def test_credentials_never_show_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    account = "user-1/alpaca-main"
    monkeypatch.setenv("TEST_ALPACA_SECRET", "s3cr3t-from-env-value")
    path = tmp_path / "venues.json"
    entry = {"venue": "alpaca", "key_id": "PKINLINEKEY", "secret_env": "TEST_ALPACA_SECRET"}
    path.write_text(json.dumps({"accounts": {account: entry}}))
    [(key, creds)] = load(path).items()
    assert key == account and creds.secret.get_secret_value() == "s3cr3t-from-env-value"
    caplog.set_level(logging.DEBUG)
    venue = AlpacaVenue(str(uuid.uuid4()), creds)
    logging.getLogger("test").info("venue %r creds %s %r", venue, creds, creds)
    shown = caplog.text + repr(venue) + str(creds) + repr(creds) + creds.model_dump_json()
    assert "s3cr3t-from-env-value" not in shown and "PKINLINEKEY" not in shown
    bad = {"venue": "alpaca", "key_id": "PKINLINEKEY", "secret": "inline-secret", "paper": "maybe"}
    path.write_text(json.dumps({"accounts": {account: bad}}))
    with pytest.raises(CredentialsError) as error:
        load(path)
    assert "paper" in str(error.value) and "inline-secret" not in str(error.value)
    assert "PKINLINEKEY" not in str(error.value)
    assert load(None) == {}
    path.write_text(json.dumps({"accounts": {"no-slash": entry}}))
    with pytest.raises(CredentialsError, match="owner"):
        load(path)
    assert VenueCredentials(venue="ccxt", key_id=SecretStr("k"), secret=SecretStr("s")).paper
