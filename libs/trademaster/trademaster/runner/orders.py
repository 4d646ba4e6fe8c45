"""From a policy's target weights to the orders that reach them (a deployment's order logic).

Pure functions over decimals, so the rules are unit-testable without any server: the target
quantity is ``weight * equity * capital_fraction / price`` rounded toward zero to the lot, capped
by the deployment's position limit; the order is the difference to the current position
(working orders included, so an unfilled order is not sent again), capped by its order limit
and dropped below the instrument's minimum. Client order ids are derived from deployment, bar
and instrument, so the same decision sent twice is one order at the risk service.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Literal

Side = Literal["BUY", "SELL"]


@dataclass(frozen=True)
class InstrumentRules:
    """The risk service's trading rules of one instrument (lot, minimum order)."""

    lot_size: Decimal
    min_quantity: Decimal = Decimal(0)


@dataclass(frozen=True)
class OrderLimits:
    """The deployment's own limits (None = no limit)."""

    max_position_quantity: Decimal | None = None
    max_order_quantity: Decimal | None = None
    capital_fraction: Decimal = Decimal(1)


@dataclass(frozen=True)
class OrderIntent:
    """One market order to submit."""

    client_order_id: str
    instrument_id: str
    side: Side
    quantity: Decimal
    reduce_only: bool = False


def client_order_id(deployment_id: str, bar_time_ns: int, index: int) -> str:
    """``<deployment hex>-<bar time hex>-<instrument index>`` (at most 56 characters)."""
    return f"{deployment_id.replace('-', '')}-{bar_time_ns:x}-{index}"


def flatten_order_id(deployment_id: str, index: int) -> str:
    """The one flattening order of an instrument when the deployment stops."""
    return f"{deployment_id.replace('-', '')}-flat-{index}"


def _to_lot(quantity: Decimal, lot: Decimal) -> Decimal:
    """Round toward zero to a multiple of ``lot``."""
    if lot <= 0:
        raise ValueError(f"lot_size must be > 0, was {lot}")
    return (quantity / lot).to_integral_value(rounding=ROUND_DOWN) * lot


def target_quantity(
    weight: float, equity: Decimal, price: Decimal, rules: InstrumentRules, limits: OrderLimits
) -> Decimal:
    """Signed position the weight asks for, in whole lots, within the position limit."""
    if not math.isfinite(weight) or price <= 0 or equity <= 0:
        return Decimal(0)
    raw = Decimal(repr(weight)) * equity * limits.capital_fraction / price
    cap = limits.max_position_quantity
    if cap is not None:
        raw = max(-cap, min(cap, raw))
    return _to_lot(raw, rules.lot_size)


def order_for_target(
    coid: str,
    instrument_id: str,
    target: Decimal,
    position: Decimal,
    rules: InstrumentRules,
    limits: OrderLimits,
) -> OrderIntent | None:
    """The order moving ``position`` (working orders included) toward ``target``, or None."""
    delta = target - position
    quantity = _to_lot(abs(delta), rules.lot_size)
    if limits.max_order_quantity is not None:
        quantity = min(quantity, _to_lot(limits.max_order_quantity, rules.lot_size))
    if quantity <= 0 or quantity < rules.min_quantity:
        return None
    side: Side = "BUY" if delta > 0 else "SELL"
    # Only shrinking towards zero on the same side is reduce-only.
    reduces = position != 0 and abs(target) < abs(position) and target * position >= 0
    return OrderIntent(coid, instrument_id, side, quantity, reduce_only=reduces)


def orders_for_targets(
    deployment_id: str,
    bar_time_ns: int,
    instruments: Sequence[str],
    weights: Sequence[float],
    equity: Decimal,
    prices: Mapping[str, Decimal],
    positions: Mapping[str, Decimal],
    rules: Mapping[str, InstrumentRules],
    limits: OrderLimits,
) -> list[OrderIntent]:
    """The orders of one bar's decision: one per instrument whose position must change."""
    orders: list[OrderIntent] = []
    for index, (instrument, weight) in enumerate(zip(instruments, weights, strict=True)):
        price = prices.get(instrument)
        if price is None:
            continue
        target = target_quantity(weight, equity, price, rules[instrument], limits)
        order = order_for_target(
            client_order_id(deployment_id, bar_time_ns, index),
            instrument,
            target,
            positions.get(instrument, Decimal(0)),
            rules[instrument],
            limits,
        )
        if order is not None:
            orders.append(order)
    return orders


def flatten_orders(
    deployment_id: str, instruments: Sequence[str], positions: Mapping[str, Decimal]
) -> list[OrderIntent]:
    """Reduce-only orders closing every open position of the deployment's instruments."""
    orders = []
    for index, instrument in enumerate(instruments):
        held = positions.get(instrument, Decimal(0))
        if held != 0:
            side: Side = "SELL" if held > 0 else "BUY"
            coid = flatten_order_id(deployment_id, index)
            orders.append(OrderIntent(coid, instrument, side, abs(held), reduce_only=True))
    return orders
