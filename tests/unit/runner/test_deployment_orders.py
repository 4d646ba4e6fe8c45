"""A deployment's order logic: target weights → lot-rounded orders within its limits, with
client order ids derived from deployment + bar (so the same decision is one order)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from trademaster.runner.live_policy import BarHistory, StreamBar, parse_bar
from trademaster.runner.orders import (
    InstrumentRules,
    OrderLimits,
    client_order_id,
    flatten_orders,
    order_for_target,
    orders_for_targets,
    target_quantity,
)

pytestmark = pytest.mark.unit

DEP = "5b0f3c1e-2f5d-4a8e-9a43-0c7d9c1e2b11"
LOT = InstrumentRules(Decimal("1"))
NO_LIMITS = OrderLimits()


def test_target_quantity_rounds_toward_zero_to_the_lot() -> None:
    rules = InstrumentRules(Decimal("0.5"))
    assert target_quantity(0.5, Decimal(1000), Decimal(30), rules, NO_LIMITS) == Decimal("16.5")
    assert target_quantity(-0.5, Decimal(1000), Decimal(30), rules, NO_LIMITS) == Decimal("-16.5")


def test_target_quantity_applies_capital_fraction_and_position_cap() -> None:
    half = OrderLimits(capital_fraction=Decimal("0.5"))
    capped = OrderLimits(max_position_quantity=Decimal(7))
    assert target_quantity(1.0, Decimal(1000), Decimal(10), LOT, half) == Decimal(50)
    assert target_quantity(1.0, Decimal(1000), Decimal(10), LOT, capped) == Decimal(7)
    assert target_quantity(-1.0, Decimal(1000), Decimal(10), LOT, capped) == Decimal(-7)


@pytest.mark.parametrize("weight", [float("nan"), float("inf")])
def test_no_finite_weight_means_flat(weight: float) -> None:
    assert target_quantity(weight, Decimal(1000), Decimal(10), LOT, NO_LIMITS) == 0


def test_order_is_the_difference_to_the_position_including_working_orders() -> None:
    buy = order_for_target("c1", "BTC", Decimal(10), Decimal(4), LOT, NO_LIMITS)
    sell = order_for_target("c2", "BTC", Decimal(-2), Decimal(4), LOT, NO_LIMITS)
    assert buy is not None and (buy.side, buy.quantity, buy.reduce_only) == ("BUY", 6, False)
    assert sell is not None and (sell.side, sell.quantity, sell.reduce_only) == ("SELL", 6, False)
    assert order_for_target("c3", "BTC", Decimal(4), Decimal(4), LOT, NO_LIMITS) is None


def test_shrinking_on_the_same_side_is_reduce_only() -> None:
    order = order_for_target("c", "BTC", Decimal(1), Decimal(4), LOT, NO_LIMITS)
    assert order is not None and order.reduce_only and order.side == "SELL"


def test_order_limit_caps_and_minimum_drops() -> None:
    capped = OrderLimits(max_order_quantity=Decimal(3))
    order = order_for_target("c", "BTC", Decimal(10), Decimal(0), LOT, capped)
    assert order is not None and order.quantity == 3
    rules = InstrumentRules(Decimal(1), min_quantity=Decimal(5))
    assert order_for_target("c", "BTC", Decimal(4), Decimal(0), rules, NO_LIMITS) is None


def test_orders_for_targets_ids_derive_from_deployment_bar_and_instrument() -> None:
    args = (
        DEP,
        1_700_000_000_000_000_000,
        ["AAA", "BBB"],
        [0.5, -0.25],
        Decimal(10_000),
        {"AAA": Decimal(100), "BBB": Decimal(50)},
        {"AAA": Decimal(10)},
        {"AAA": LOT, "BBB": LOT},
        NO_LIMITS,
    )
    first = orders_for_targets(*args)
    again = orders_for_targets(*args)

    assert [(o.instrument_id, o.side, o.quantity) for o in first] == [
        ("AAA", "BUY", 40),
        ("BBB", "SELL", 50),
    ]
    assert [o.client_order_id for o in first] == [o.client_order_id for o in again]
    assert first[0].client_order_id == client_order_id(DEP, 1_700_000_000_000_000_000, 0)
    assert len({o.client_order_id for o in first}) == 2
    assert all(len(o.client_order_id) <= 64 for o in first)
    later = orders_for_targets(DEP, 1_700_000_060_000_000_000, *args[2:])
    assert {o.client_order_id for o in later}.isdisjoint(o.client_order_id for o in first)


def test_instrument_without_price_gets_no_order() -> None:
    orders = orders_for_targets(
        DEP, 1, ["AAA"], [1.0], Decimal(1000), {}, {}, {"AAA": LOT}, NO_LIMITS
    )
    assert orders == []


def test_flatten_closes_every_open_position_reduce_only() -> None:
    orders = flatten_orders(DEP, ["AAA", "BBB", "CCC"], {"AAA": Decimal(3), "BBB": Decimal(-2)})
    assert [(o.instrument_id, o.side, o.quantity, o.reduce_only) for o in orders] == [
        ("AAA", "SELL", 3, True),
        ("BBB", "BUY", 2, True),
    ]


def _bar(iid: str, t: int, close: float = 10.0) -> StreamBar:
    return StreamBar(iid, t, close, close, close, close, 1.0)


def test_history_completes_a_time_when_every_instrument_has_its_bar() -> None:
    history = BarHistory(["AAA", "BBB"], max_bars=3)
    assert history.add(_bar("AAA", 1)) is None
    assert history.add(_bar("ZZZ", 1)) is None
    assert history.add(_bar("BBB", 1)) == 1
    assert history.add(_bar("BBB", 1)) is None  # repeated: decided once
    for t in (2, 3, 4):
        history.add(_bar("AAA", t))
        history.add(_bar("BBB", t))
    frame = history.frame()
    assert history.complete_bars == 3
    assert list(frame["date"].astype("int64").unique()) == [2, 3, 4]
    assert list(frame["tic"][:2]) == ["AAA", "BBB"]


def test_parse_bar_reads_the_stream_fields_and_refuses_partial_entries() -> None:
    fields = {"i": "AAA", "t": "5", "o": "1.0", "h": "2.0", "l": "0.5", "c": "1.5", "v": "nan"}
    assert parse_bar(fields) == StreamBar("AAA", 5, 1.0, 2.0, 0.5, 1.5, 0.0)
    assert parse_bar({"i": "AAA"}) is None
