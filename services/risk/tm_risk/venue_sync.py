"""Reconciliation of a live adapter's books with ours: fills, working orders, positions.

``compare`` reads the venue's fill, order and position reports and says what differs from what
the risk service holds: fills it never booked (a stream gap, a crash between the venue's fill and
our write — they are returned as FILLED events to book through the normal fill path), orders
working at the venue that we never placed (external: tagged, never adopted), orders we think are
working that the venue has no trace of, and positions that still differ once the missing fills
are counted. The account stays REDUCING until a comparison passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from trademaster.risk.model import BUY, SELL, TradingState

from tm_risk.orders import OrderDesk
from tm_risk.runtime import AccountState, Runtime
from tm_risk.states import StateDesk
from tm_risk.venues.adapter import BrokerAdapter, EventKind, OrderReport, VenueEvent
from tm_risk.venues.router import VenueRouter

_LOGGER = logging.getLogger(__name__)
_EPS = 1e-9
_CLOSED = {
    "CANCELLED": EventKind.CANCELLED,
    "EXPIRED": EventKind.EXPIRED,
    "REJECTED": EventKind.REJECTED,
}
REASON = "reconciliation"
ACTOR = "risk-reconciler"


@dataclass(frozen=True, slots=True)
class Discrepancies:
    """What one comparison found; ``passed`` when nothing but bookable fills differ."""

    missing_fills: list[VenueEvent] = field(default_factory=list)
    closed_orders: list[VenueEvent] = field(default_factory=list)
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
    closed: list[VenueEvent] = []
    unknown: list[str] = []
    for coid in sorted(c for c in working if c not in at_venue and c not in filled_orders):
        status = await adapter.order_status(account_id, coid, instruments[coid])
        kind = None if status is None else _CLOSED.get(status.status)
        if status is None or kind is None:
            unknown.append(coid)  # no trace at the venue, or open there but not listed
            continue
        reason = f"{REASON}: {status.status.lower()} at the venue"  # closed while we were away
        closed.append(VenueEvent(kind, account_id, coid, status.broker_order_id, None, reason))
    theirs = await adapter.position_reports(account_id)
    diffs = {
        i: (ours.get(i, 0.0), theirs.get(i, 0.0))
        for i in set(ours) | set(theirs)
        if abs(ours.get(i, 0.0) - theirs.get(i, 0.0)) > _EPS
    }
    return Discrepancies(missing, closed, external, unknown, diffs)


def _summary(found: Discrepancies) -> str:
    parts = []
    if found.external_orders:
        parts.append(f"{len(found.external_orders)} external order(s)")
    if found.unknown_orders:
        parts.append(f"{len(found.unknown_orders)} order(s) unknown to the venue")
    for instrument, (ours, theirs) in sorted(found.position_diffs.items()):
        parts.append(f"{instrument} position {ours:g} here, {theirs:g} at the venue")
    return "; ".join(parts)


class LiveReconciler:
    """Runs ``compare`` for every live account on start and every ``interval_s``: books the
    missing fills, logs (tags) external orders, and holds an account REDUCING while its
    comparison fails — lifted only by a pass, and only if reconciliation put it there."""

    def __init__(
        self,
        runtime: Runtime,
        router: VenueRouter,
        orders: OrderDesk,
        states: StateDesk,
        *,
        interval_s: float = 30.0,
    ) -> None:
        self._runtime = runtime
        self._router = router
        self._orders = orders
        self._states = states
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        self.last: dict[str, Discrepancies | None] = {}

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="risk-venue-sync")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            await self.run_once()

    async def run_once(self) -> None:
        for account_id, adapter in self._router.live.items():
            account = self._runtime.accounts.get(uuid.UUID(account_id))
            if account is None:
                continue
            try:
                found: Discrepancies | None = await self._account(account, adapter)
            except Exception as error:  # noqa: BLE001 - an unreadable venue fails the pass
                _LOGGER.warning(
                    "venue_sync.failed account=%s error=%s", account_id, type(error).__name__
                )
                found = None
            self.last[account_id] = found
            await self._hold_or_release(account, found)

    async def _account(self, account: AccountState, adapter: BrokerAdapter) -> Discrepancies:
        rows = account.orders.values()
        found = await compare(
            adapter,
            account.key,
            known_fill_ids={fid for aid, fid in self._runtime.fill_ids if aid == account.row.id},
            sides={r.client_order_id: BUY if r.side == "BUY" else SELL for r in rows},
            working={r.client_order_id for r in rows if r.working and r.status != "PENDING_NEW"},
            positions={i: b.position for i, b in account.book.instruments.items() if b.position},
            instruments={r.client_order_id: r.instrument_id for r in rows},
        )
        for event in (*found.missing_fills, *found.closed_orders):
            await self._orders.on_venue_event(event)
        for report in found.external_orders:
            _LOGGER.warning(
                "venue_sync.external_order account=%s order=%s broker_order=%s status=%s",
                account.key, report.client_order_id, report.broker_order_id, report.status,
            )  # fmt: skip
        if found.missing_fills:
            _LOGGER.info(
                "venue_sync.fills_recovered account=%s count=%d",
                account.key,
                len(found.missing_fills),
            )
        return found

    async def _hold_or_release(self, account: AccountState, found: Discrepancies | None) -> None:
        row = self._runtime.states.get(("ACCOUNT", account.key))
        state = self._runtime.state_of("ACCOUNT", account.key)
        ours = row is not None and row.reason.startswith(REASON)
        if found is not None and found.passed:
            if ours and state is TradingState.REDUCING:
                await self._states.set("ACCOUNT", account.key, TradingState.ACTIVE,
                                       f"{REASON} passed", ACTOR, manual=False)  # fmt: skip
            return
        if state is TradingState.ACTIVE:
            why = "venue reports unavailable" if found is None else _summary(found)
            await self._states.set("ACCOUNT", account.key, TradingState.REDUCING,
                                   f"{REASON} failed: {why}", ACTOR, manual=False)  # fmt: skip
