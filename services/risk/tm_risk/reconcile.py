"""Reconciliation of in-flight orders with the venue's own reports.

An order whose send or cancel had an *ambiguous* outcome (timeout, lost connection) stays
PENDING_NEW / PENDING_CANCEL — it may or may not be working at the venue — and is never turned
into a rejection on a guess. Two things settle it, both from what the venue reports:

- at start (:func:`restore`): working orders go back on the paper book, whose state lived in the
  crashed process; PENDING_NEW ones are ACCEPTED there;
- while running (:class:`InFlight`): every ``interval_s``, when the venue is connected, orders in
  flight for longer than ``min_age_s`` are compared with ``order_reports()`` — a PENDING_NEW order
  the venue holds is ACCEPTED, one it holds no trace of (no working order, no fill) is REJECTED;
  a PENDING_CANCEL order the venue still works is cancelled again, one it no longer works is
  CANCELLED. Fills keep arriving as venue events and settle filled orders themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from trademaster.risk.model import BUY, SELL

from tm_risk import store
from tm_risk.records import OrderRow
from tm_risk.runtime import AccountState, Runtime
from tm_risk.venues.adapter import BrokerAdapter, OrderReport, VenueOrder
from tm_risk.venues.paper import PaperVenue
from tm_risk.writer import Writer

_LOGGER = logging.getLogger(__name__)

Publish = Callable[[AccountState, OrderRow], None]


def venue_order(account: AccountState, row: OrderRow) -> VenueOrder:
    return VenueOrder(
        account.key,
        row.client_order_id,
        row.instrument_id,
        BUY if row.side == "BUY" else SELL,
        float(row.quantity),
        row.order_type,
        None if row.limit_price is None else float(row.limit_price),
        row.time_in_force,
    )


async def restore(runtime: Runtime, venue: PaperVenue, writer: Writer) -> int:
    """Put working orders back on the paper book; orders still PENDING_NEW (the reply or the ack
    write was lost in a crash) are settled as ACCEPTED, the paper venue holds them now."""
    settled: list[OrderRow] = []
    for account in runtime.accounts.values():
        if account.row.mode == "LIVE":
            continue  # a live venue keeps its own book; LiveReconciler compares with it
        for row in account.orders.values():
            if not row.working:
                continue
            order = venue_order(account, row)
            outcome = venue.accept(order, float(row.filled_quantity), row.broker_order_id)
            if row.status == "PENDING_NEW" and outcome.ok:
                row.status, row.broker_order_id = "ACCEPTED", outcome.broker_order_id
                row.status_reason = "reconciled after restart"
                row.updated_at = datetime.now(UTC)
                settled.append(row)
    if settled:
        await writer.write([store.update_orders(settled)])
    return len(settled)


class InFlight:
    """Settles ambiguous in-flight orders while the service runs (see the module docstring)."""

    def __init__(
        self,
        runtime: Runtime,
        venue: BrokerAdapter,
        writer: Writer,
        publish: Publish,
        *,
        interval_s: float = 5.0,
        min_age_s: float = 5.0,
    ) -> None:
        self._runtime = runtime
        self._venue = venue
        self._writer = writer
        self._publish = publish
        self._interval_s = interval_s
        self._min_age = timedelta(seconds=min_age_s)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="risk-reconcile")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self.run_once()
            except Exception:  # noqa: BLE001 - the next pass tries again
                _LOGGER.exception("reconcile.failed")

    async def run_once(self) -> int:
        """One pass; the number of orders settled. Nothing is decided while disconnected."""
        cutoff = datetime.now(UTC) - self._min_age
        in_flight = [
            (account, row)
            for account in self._runtime.accounts.values()
            for row in account.orders.values()
            if row.status in ("PENDING_NEW", "PENDING_CANCEL")
            and row.updated_at <= cutoff
            and row.client_order_id not in account.pending  # a submit still on its way
        ]
        if not in_flight or not (await self._venue.health()).connected:
            return 0
        reports = {(r.account_id, r.client_order_id): r for r in await self._venue.order_reports()}
        settled: list[tuple[AccountState, OrderRow]] = []
        for account, row in in_flight:
            report = reports.get((account.key, row.client_order_id))
            if await self._settle(account, row, report):
                row.updated_at = datetime.now(UTC)
                settled.append((account, row))
        if settled:
            await self._writer.write([store.update_orders([row for _, row in settled])])
            for account, row in settled:
                self._publish(account, row)
            _LOGGER.info("reconcile.settled count=%d", len(settled))
        return len(settled)

    async def _settle(
        self, account: AccountState, row: OrderRow, report: OrderReport | None
    ) -> bool:
        """Move ``row`` to what the venue's report says; False when it stays in flight."""
        if row.status == "PENDING_NEW":
            if report is not None:
                row.status = "PARTIALLY_FILLED" if report.filled_quantity else "ACCEPTED"
                row.broker_order_id = report.broker_order_id or row.broker_order_id
                row.status_reason = "reconciled: the venue holds the order"
                return True
            fills = await self._venue.fill_reports(account.key)
            if any(coid == row.client_order_id for coid, _ in fills):
                return False  # filled and done at the venue: its fill events settle it
            row.status, row.status_reason = "REJECTED", "reconciled: the venue never took it"
            account.book.reduce_working(row.client_order_id)
            return True
        if report is not None:
            outcome = await self._venue.cancel(account.key, row.client_order_id)
            if not outcome.ok:
                return False
            row.status_reason = "reconciled: cancel repeated and acknowledged"
        else:
            row.status_reason = "reconciled: no longer working at the venue"
        row.status = "CANCELLED"
        account.book.reduce_working(row.client_order_id)
        return True
