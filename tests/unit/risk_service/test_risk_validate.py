"""Edge validation of risk requests: INVALID_ARGUMENT naming the field, never a crash."""

from __future__ import annotations

import pytest
from tm_risk import validate
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.risk.model import BUY, INF
from trademaster.service.errors import InvalidArgument

pytestmark = pytest.mark.unit


def _order(**fields: object) -> pb.Order:
    base: dict[str, object] = {
        "client_order_id": "c1",
        "account_id": "a",
        "instrument_id": "AAPL",
        "side": pb.ORDER_SIDE_BUY,
        "order_type": pb.ORDER_TYPE_LIMIT,
        "quantity": "10",
        "limit_price": "101.5",
    }
    base.update(fields)
    return pb.Order(**base)  # type: ignore[arg-type]


def _field(error: pytest.ExceptionInfo[InvalidArgument]) -> str:
    return error.value.field_violations()[0][0]


def test_valid_limit_order_becomes_an_intent() -> None:
    intent, fields = validate.order(_order(deployment_id="dep-1", reduce_only=True))
    assert (intent.side, intent.quantity, intent.limit_price) == (BUY, 10.0, 101.5)
    assert intent.reduce_only and intent.deployment_id == "dep-1"
    assert fields["time_in_force"] == "DAY" and fields["order_type"] == "LIMIT"


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"quantity": "-1"}, "order.quantity"),
        ({"quantity": "abc"}, "order.quantity"),
        ({"quantity": "NaN"}, "order.quantity"),
        ({"quantity": ""}, "order.quantity"),
        ({"limit_price": ""}, "order.limit_price"),
        ({"order_type": pb.ORDER_TYPE_MARKET}, "order.limit_price"),
        ({"side": pb.ORDER_SIDE_UNSPECIFIED}, "order.side"),
        ({"order_type": pb.ORDER_TYPE_UNSPECIFIED}, "order.order_type"),
        ({"client_order_id": ""}, "order.client_order_id"),
        ({"client_order_id": " x"}, "order.client_order_id"),
        ({"client_order_id": "x" * 65}, "order.client_order_id"),
        ({"instrument_id": ""}, "order.instrument_id"),
    ],
)
def test_bad_orders_name_the_field(fields: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate.order(_order(**fields))
    assert _field(caught) == name


def test_market_gtc_is_refused() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate.order(
            _order(
                order_type=pb.ORDER_TYPE_MARKET, limit_price="", time_in_force=pb.TIME_IN_FORCE_GTC
            )
        )
    assert _field(caught) == "order.time_in_force"


def test_limits_parse_into_engine_limits() -> None:
    body, limits = validate.limits(
        pb.RiskLimits(
            max_position={"AAPL": "100", "*": "10"},
            max_order_notional="5000",
            max_orders_per_second="2.5",
            duplicate_window_ms=500,
            max_drawdown="0.2",
        ),
        version=3,
    )
    assert limits.position_limit("AAPL") == 100 and limits.position_limit("MSFT") == 10
    assert limits.max_order_notional == 5000 and limits.max_gross_exposure == INF
    assert limits.duplicate_window_ns == 500_000_000 and limits.version == 3
    assert body["max_order_notional"] == "5000"


@pytest.mark.parametrize(
    ("limits", "name"),
    [
        (pb.RiskLimits(max_order_quantity="-5"), "limits.max_order_quantity"),
        (pb.RiskLimits(max_drawdown="1.5"), "limits.max_drawdown"),
        (pb.RiskLimits(max_orders_per_second="0"), "limits.max_orders_per_second"),
        (pb.RiskLimits(max_leverage="0"), "limits.max_leverage"),
        (pb.RiskLimits(max_working_orders=-1), "limits.max_working_orders"),
        (pb.RiskLimits(max_position={"AAPL": "x"}), "limits.max_position[AAPL]"),
    ],
)
def test_bad_limits_name_the_field(limits: pb.RiskLimits, name: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate.limits(limits, 1)
    assert _field(caught) == name


def test_scope_ids_are_checked_per_scope() -> None:
    assert validate.scope(pb.SCOPE_GLOBAL, "") == ("GLOBAL", "")
    with pytest.raises(InvalidArgument):
        validate.scope(pb.SCOPE_GLOBAL, "x")
    with pytest.raises(InvalidArgument):
        validate.scope(pb.SCOPE_ACCOUNT, "not-a-uuid")
    with pytest.raises(InvalidArgument):
        validate.scope(pb.SCOPE_UNSPECIFIED, "")
    assert validate.scope(pb.SCOPE_INSTRUMENT, "AAPL") == ("INSTRUMENT", "AAPL")


def test_instrument_needs_positive_tick_and_lot() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate.instrument(pb.Instrument(instrument_id="X", tick_size="0", lot_size="1"))
    assert _field(caught) == "instrument.tick_size"
    rules = validate.instrument(
        pb.Instrument(instrument_id="X", tick_size="0.5", lot_size="1", disabled=True)
    )
    assert not rules.enabled and rules.max_quantity == INF
