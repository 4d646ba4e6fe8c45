"""The paper venue fills with the backtest's ExecutionModel: next bar, limit cross, volume cap."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from tm_risk.marketdata import Bar
from tm_risk.venues.adapter import CancelScope, EventKind, VenueEvent, VenueOrder
from tm_risk.venues.paper import PaperVenue
from trademaster.backtest.config import SlippageConfig
from trademaster.backtest.fill_costs import ExecutionModel
from trademaster.market.costs import CostModel

pytestmark = pytest.mark.unit


def _order(
    coid: str,
    side: int,
    qty: float,
    kind: str = "MARKET",
    limit: float | None = None,
    tif: str = "DAY",
) -> VenueOrder:
    return VenueOrder("acct", coid, "X", side, qty, kind, limit, tif)


def _bar(
    open_: float, low: float | None = None, high: float | None = None, volume: float = math.nan
) -> Bar:
    return Bar(
        "X",
        1,
        open_,
        high if high is not None else open_,
        low if low is not None else open_,
        open_,
        volume,
    )


def _drain(venue: PaperVenue) -> list[VenueEvent]:
    events = []
    while not venue._events.empty():
        events.append(venue._events.get_nowait())
    return events


async def _venue(**kwargs: object) -> PaperVenue:
    venue = PaperVenue(**kwargs)  # type: ignore[arg-type]
    await venue.connect()
    return venue


async def test_market_order_fills_on_next_bar_with_backtest_costs() -> None:
    slip = SlippageConfig(kind="fixed_bps", bps=10)
    venue = await _venue(fee_rate=0.001, slippage=slip)
    assert (await venue.submit(_order("a", 1, 10))).ok
    assert _drain(venue) == []  # nothing before the next bar
    venue.on_bar(_bar(100.0))
    [event] = _drain(venue)
    assert event.kind is EventKind.FILLED and event.execution is not None
    model = ExecutionModel(CostModel(fee_rate=0.001, slippage_bps=10), slip)
    costs = model.costs(
        torch.tensor([100.0], dtype=torch.float64),
        torch.tensor([10.0], dtype=torch.float64),
        slice(None),
        slice(None),
    )
    assert event.execution.price == pytest.approx(float(costs.price[0])) == pytest.approx(100.1)
    assert event.execution.fee == pytest.approx(float(costs.fee[0]))
    assert await venue.position_reports("acct") == {"X": 10.0}


async def test_limit_buy_fills_only_when_crossed_at_limit_or_open() -> None:
    venue = await _venue()
    await venue.submit(_order("l", 1, 5, "LIMIT", 95.0, "GTC"))
    venue.on_bar(_bar(99.0, low=96.0))
    assert _drain(venue) == []
    venue.on_bar(_bar(98.0, low=94.0))
    [event] = _drain(venue)
    assert event.execution is not None and event.execution.price == 95.0
    await venue.submit(_order("m", -1, 5, "LIMIT", 95.0, "GTC"))
    venue.on_bar(_bar(97.0, high=97.5))
    [sell] = _drain(venue)
    assert sell.execution is not None and sell.execution.price == 97.0  # gapped through: open


async def test_volume_cap_gives_partial_fills_across_bars() -> None:
    venue = await _venue(slippage=SlippageConfig(volume_limit=0.1))
    await venue.submit(_order("p", 1, 25))
    venue.on_bar(_bar(10.0, volume=100.0))
    venue.on_bar(_bar(10.0, volume=100.0))
    venue.on_bar(_bar(10.0, volume=100.0))
    quantities = [e.execution.quantity for e in _drain(venue) if e.execution]
    assert quantities == [10.0, 10.0, 5.0]
    assert await venue.order_reports() == []


async def test_volume_share_impact_matches_backtest_model() -> None:
    slip = SlippageConfig(kind="volume_share", price_impact=0.1, volume_limit=0.5)
    venue = await _venue(slippage=slip)
    await venue.submit(_order("v", 1, 20))
    venue.on_bar(_bar(50.0, volume=100.0))
    [event] = _drain(venue)
    model = ExecutionModel(CostModel(), slip, volume=np.array([[100.0]]))
    index = np.zeros(1, dtype=np.int64)
    costs = model.costs(
        torch.tensor([50.0], dtype=torch.float64),
        torch.tensor([20.0], dtype=torch.float64),
        index,
        index,
    )
    assert event.execution is not None
    assert event.execution.price == pytest.approx(float(costs.price[0]))
    assert event.execution.price == pytest.approx(50.0 * (1 + 0.1 * 0.2**2))


async def test_ioc_cancels_rest_and_fok_needs_everything() -> None:
    venue = await _venue(slippage=SlippageConfig(volume_limit=0.1))
    await venue.submit(_order("i", 1, 25, tif="IOC"))
    await venue.submit(_order("f", -1, 25, tif="FOK"))
    venue.on_bar(_bar(10.0, volume=100.0))
    kinds = [(e.client_order_id, e.kind) for e in _drain(venue)]
    assert kinds == [
        ("i", EventKind.FILLED),
        ("i", EventKind.CANCELLED),
        ("f", EventKind.CANCELLED),
    ]


async def test_cancel_all_by_scope_and_unknown_cancel_is_definitive() -> None:
    venue = await _venue()
    for n in range(5):
        await venue.submit(_order(f"o{n}", 1, 1, "LIMIT", 1.0, "GTC"))
    outcomes = await venue.cancel_all(CancelScope(account_id="acct"))
    assert len(outcomes) == 5 and all(o.ok for o in outcomes.values())
    missing = await venue.cancel("acct", "o1")
    assert not missing.ok and missing.certainty.value == "definitive"


async def test_disconnected_venue_outcome_is_ambiguous() -> None:
    venue = PaperVenue()
    outcome = await venue.submit(_order("z", 1, 1))
    assert not outcome.ok and outcome.certainty.value == "ambiguous"


def test_the_risk_service_and_its_fill_model_do_not_import_torch() -> None:
    code = (
        "import sys, trademaster.backtest.fill_costs, tm_risk.venues.paper, tm_risk.server;"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "False"
