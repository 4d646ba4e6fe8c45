"""Reconciliation of a live adapter's books with ours: fills, working orders, positions.

``compare`` reads the venue's fill, order and position reports and says what differs from what
the risk service holds: fills it never booked (a stream gap, a crash between the venue's fill and
our write — they are returned as FILLED events to book through the normal fill path), orders
working at the venue that we never placed (external: tagged, never adopted), orders we think are
working that the venue has no trace of, and positions that still differ once the missing fills
are counted. The account stays REDUCING until a comparison passes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tm_risk.venues.adapter import BrokerAdapter, EventKind, OrderReport, VenueEvent

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Discrepancies:
    """What one comparison found; ``passed`` when nothing but bookable fills differ."""

    missing_fills: list[VenueEvent] = field(default_factory=list)
    external_orders: list[OrderReport] = field(default_factory=list)
    unknown_orders: list[str] = field(default_factory=list)
    position_diffs: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not (self.external_orders or self.unknown_orders or self.position_diffs)


async def compare(
    adapter: BrokerAdapter,
    account_id: str,
    *,
    known_fill_ids: Iterable[str],
    sides: Mapping[str, int],
    working: Iterable[str],
    positions: Mapping[str, float],
    instruments: Mapping[str, str],
) -> Discrepancies:
    """Compare the venue's reports with ours.

    ``sides``: our orders by client_order_id (+1/-1); ``working``: those we think are working;
    ``positions``: our signed positions; ``instruments``: our orders' instrument ids.
    """
    known = set(known_fill_ids)
    missing = []
    ours = dict(positions)
    filled_orders = set()
    for client_order_id, execution in await adapter.fill_reports(account_id):
        filled_orders.add(client_order_id)
        if execution.broker_fill_id in known or client_order_id not in sides:
            continue  # booked already / an external order's fill (shows as a position diff)
        known.add(execution.broker_fill_id)
        missing.append(VenueEvent(EventKind.FILLED, account_id, client_order_id, "", execution))
        instrument = instruments[client_order_id]
        ours[instrument] = ours.get(instrument, 0.0) + sides[client_order_id] * execution.quantity
    reports = await adapter.order_reports(account_id)
    at_venue = {r.client_order_id for r in reports}
    external = [r for r in reports if r.client_order_id not in sides]
    unknown = sorted(c for c in working if c not in at_venue and c not in filled_orders)
    theirs = await adapter.position_reports(account_id)
    diffs = {
        i: (ours.get(i, 0.0), theirs.get(i, 0.0))
        for i in set(ours) | set(theirs)
        if abs(ours.get(i, 0.0) - theirs.get(i, 0.0)) > _EPS
    }
    return Discrepancies(missing, external, unknown, diffs)
