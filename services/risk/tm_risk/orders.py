"""Orders: decide (rule engine) → persist (decision + order row, one transaction) → route.

No order reaches the venue unless its ALLOW decision and order row are committed. Idempotency
is per (account, client_order_id): a repeat, also a concurrent one, returns the first decision.
Venue events (acks, fills, cancels) update orders, fills, positions and balances through the
same writer, and feed the breakers.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.risk.model import BUY, SELL, OrderIntent
from trademaster.service.domain_metrics import RiskMetrics, risk_metrics
from trademaster.service.errors import NotFound, Unavailable

from tm_risk import convert, store
from tm_risk.publisher import Publisher
from tm_risk.records import FillRow, OrderRow
from tm_risk.runtime import AccountState, Runtime
from tm_risk.states import StateDesk
from tm_risk.store import RiskReader
from tm_risk.venues.adapter import (
    BrokerAdapter,
    Certainty,
    EventKind,
    Execution,
    VenueEvent,
    VenueOrder,
)
from tm_risk.writer import AuditEntry, Writer

_LOGGER = logging.getLogger(__name__)


def _logged(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        _LOGGER.error("orders.write_failed error=%r", future.exception())


class OrderDesk:
    """Submit, dry-run check, cancel, and venue event handling for every account."""

    def __init__(
        self,
        runtime: Runtime,
        writer: Writer,
        reader: RiskReader,
        venue: BrokerAdapter,
        publisher: Publisher,
        states: StateDesk,
        metrics: RiskMetrics | None = None,
    ) -> None:
        self._runtime = runtime
        self._metrics = metrics or risk_metrics()
        self._writer = writer
        self._reader = reader
        self._venue = venue
        self._publisher = publisher
        self._states = states
        self._tasks: set[asyncio.Task[None]] = set()

    # --- decide + persist ------------------------------------------------------------------
    async def check(
        self, account: AccountState, intent: OrderIntent, fields: dict[str, Any], actor: str
    ) -> pb.OrderDecision:
        """Audited dry run: no order row, no reservation, no rate tokens."""
        entry, _verdict = self.decide(account, intent, fields, actor, dry_run=True)
        try:
            [link] = await self._writer.write([], [entry])
        except Exception as error:
            raise Unavailable(
                "the decision could not be audited", reason="AUDIT_WRITE_FAILED"
            ) from error
        self.publish_decision(account, entry)
        return convert.decision(entry.body, link)

    async def submit(
        self, account: AccountState, intent: OrderIntent, fields: dict[str, Any], actor: str
    ) -> tuple[pb.OrderDecision, OrderRow, bool]:
        """Returns (decision, order, replayed)."""
        key = intent.client_order_id
        existing = account.orders.get(key)
        if existing is not None:
            return await self._replay(existing)
        pending = account.pending.get(key)
        if pending is not None:
            await asyncio.shield(pending)
            return await self._replay(account.orders[key])
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        account.pending[key] = future
        try:
            decision, row = await self._submit_new(account, intent, fields, actor)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters re-raise it, nobody else needs to
            raise
        finally:
            account.pending.pop(key, None)
        future.set_result(None)
        return decision, row, False

    async def _replay(self, row: OrderRow) -> tuple[pb.OrderDecision, OrderRow, bool]:
        return await self.stored_decision(row.decision_id, row), row, True

    async def stored_decision(self, decision_id: uuid.UUID, row: OrderRow) -> pb.OrderDecision:
        """A committed decision as the API returns it, with the order as it is now."""
        stored = await self._reader.decision(decision_id)
        if stored is None:
            raise NotFound(f"decision {decision_id} of order {row.client_order_id!r} is missing")
        msg = convert.decision_from_row(
            stored["body"], stored["seq"], stored["prev_hash"], stored["entry_hash"]
        )
        msg.order.CopyFrom(convert.order(row))
        return msg

    def decide(
        self,
        account: AccountState,
        intent: OrderIntent,
        fields: dict[str, Any],
        actor: str,
        *,
        dry_run: bool,
        modify: bool = False,
    ) -> tuple[AuditEntry, Any]:
        """Run the engine (``modify``: as a replacement of the working order, see
        ``RiskEngine.check_modify``) and build the audit entry of its verdict."""
        now = time.time_ns()
        state = self._runtime.effective_state(
            account.key, intent.deployment_id, intent.instrument_id
        )
        started = time.perf_counter()
        engine, rules = account.engine, self._runtime.instruments
        if modify:
            verdict = engine.check_modify(account.book, account.limits, rules, intent, state, now)
        else:
            verdict = engine.check(
                account.book, account.limits, rules, intent, state, now, dry_run=dry_run
            )
        seconds = time.perf_counter() - started
        body = convert.decision_body(
            verdict, fields, account.key, actor, dry_run, account.limits.version, now
        )
        reasons = [v.reason for v in verdict.violations]
        if dry_run:
            # CheckOrder dry runs are timed but not counted: the decision counters (and the
            # denial-spike alert) are about orders that were really submitted.
            self._metrics.check_duration.observe(seconds)
        else:
            self._metrics.record_decision(body["decision"], reasons, seconds)
        entry = AuditEntry(
            "decision",
            body,
            account_id=account.row.id,
            instrument_id=intent.instrument_id,
            client_order_id=intent.client_order_id,
            decision=body["decision"],
            dry_run=dry_run,
            reasons=reasons,
            at_ns=now,
        )
        return entry, verdict

    async def _submit_new(
        self, account: AccountState, intent: OrderIntent, fields: dict[str, Any], actor: str
    ) -> tuple[pb.OrderDecision, OrderRow]:
        entry, verdict = self.decide(account, intent, fields, actor, dry_run=False)
        at = datetime.now(UTC)
        row = OrderRow(
            account_id=account.row.id,
            status="PENDING_NEW" if verdict.allowed else "DENIED",
            decision_id=entry.entry_id,
            created_at=at,
            updated_at=at,
            status_reason="" if verdict.allowed else verdict.violations[0].message,
            **fields,
        )
        trip = account.breakers.on_decision(verdict.allowed, account.limits)
        try:
            [link] = await self._writer.write([store.insert_order(row)], [entry])
        except Exception as error:
            if verdict.allowed:
                account.engine.release(account.book, intent, account.limits)
            raise Unavailable(
                "the decision could not be audited; the order is refused",
                reason="AUDIT_WRITE_FAILED",
            ) from error
        account.orders[row.client_order_id] = row
        self.publish_decision(account, entry)
        if verdict.allowed:
            await self._route(account, row, intent)
        if trip is not None:
            await self._states.trip(account, trip)
        decision = convert.decision(entry.body, link, row)
        return decision, row

    async def _route(self, account: AccountState, row: OrderRow, intent: OrderIntent) -> None:
        order = VenueOrder(
            account.key,
            row.client_order_id,
            row.instrument_id,
            intent.side,
            intent.quantity,
            row.order_type,
            intent.limit_price,
            row.time_in_force,
        )
        try:
            outcome = await self._venue.submit(order)
        except Exception as error:  # noqa: BLE001 - an unknown failure is ambiguous
            _LOGGER.warning(
                "orders.venue_submit_failed order=%s error=%r", row.client_order_id, error
            )
            row.status_reason = f"venue outcome unknown: {error!r}"
        else:
            if outcome.ok:
                row.status, row.broker_order_id = "ACCEPTED", outcome.broker_order_id
            elif outcome.certainty is Certainty.DEFINITIVE:
                row.status, row.status_reason = "REJECTED", outcome.reason
                account.book.reduce_working(row.client_order_id)
            else:
                row.status_reason = f"venue outcome ambiguous: {outcome.reason}"
        row.updated_at = datetime.now(UTC)
        self._writer.submit([store.update_order(row)]).add_done_callback(_logged)
        self.publish_order(account, row)

    # --- cancel ------------------------------------------------------------------------------
    async def cancel(self, account: AccountState, client_order_id: str, actor: str) -> OrderRow:
        row = account.orders.get(client_order_id)
        if row is None:
            raise NotFound(f"order {client_order_id!r} not found in account {account.key}")
        if not row.working:
            return row
        outcome = await self._venue.cancel(account.key, client_order_id)
        if outcome.ok or outcome.certainty is Certainty.DEFINITIVE:
            # definitive "not working" at the venue: nothing is left to cancel there
            self._close(
                account,
                row,
                "CANCELLED",
                f"cancelled by {actor}"
                if outcome.ok
                else f"venue holds no working order: {outcome.reason}",
            )
        else:
            row.status, row.status_reason = "PENDING_CANCEL", f"cancel ambiguous: {outcome.reason}"
            row.updated_at = datetime.now(UTC)
        await self._writer.write([store.update_order(row)])
        self.publish_order(account, row)
        return row

    def _close(self, account: AccountState, row: OrderRow, status: str, reason: str) -> None:
        row.status, row.status_reason, row.updated_at = status, reason, datetime.now(UTC)
        account.book.reduce_working(row.client_order_id)

    # --- market data -----------------------------------------------------------------------
    def on_bar(self, instrument_id: str, price: float, received_ns: int) -> None:
        """New reference price: re-mark every book, then check the equity breakers of accounts
        holding the instrument (a falling price alone can breach the daily loss)."""
        self._runtime.set_price(instrument_id, price, received_ns)
        for account in self._runtime.accounts.values():
            ib = account.book.instruments.get(instrument_id)
            if ib is None or not ib.position:
                continue
            trip = account.breakers.on_equity(account.book.equity, account.limits)
            if trip is not None:
                task = asyncio.create_task(self._states.trip(account, trip))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    # --- venue events ------------------------------------------------------------------------
    async def on_venue_event(self, event: VenueEvent) -> None:
        account = self._runtime.accounts.get(uuid.UUID(event.account_id))
        row = None if account is None else account.orders.get(event.client_order_id)
        if account is None or row is None:
            _LOGGER.warning(
                "orders.unknown_venue_order account=%s order=%s",
                event.account_id,
                event.client_order_id,
            )
            return
        if event.kind is EventKind.FILLED and event.execution is not None:
            await self._fill(account, row, event.execution)
            return
        if event.kind in (EventKind.CANCELLED, EventKind.REJECTED, EventKind.EXPIRED):
            self._close(account, row, event.kind.value, event.reason)
            self._writer.submit([store.update_order(row)]).add_done_callback(_logged)
            self.publish_order(account, row)

    async def _fill(self, account: AccountState, row: OrderRow, ex: Execution) -> None:
        key = (account.row.id, ex.broker_fill_id)
        if key in self._runtime.fill_ids:
            return
        self._runtime.fill_ids.add(key)
        side = BUY if row.side == "BUY" else SELL
        book = account.book
        before = book.instrument(row.instrument_id).position
        realized = book.apply_fill(row.instrument_id, side, ex.quantity, ex.price, ex.fee)
        book.reduce_working(row.client_order_id, ex.quantity)
        qty, price = Decimal(repr(ex.quantity)), Decimal(repr(ex.price))
        filled = row.filled_quantity + qty
        old_value = (row.avg_fill_price or Decimal(0)) * row.filled_quantity
        row.avg_fill_price = (old_value + price * qty) / filled
        row.filled_quantity = filled
        row.status = "FILLED" if filled >= row.quantity else "PARTIALLY_FILLED"
        now = datetime.now(UTC)
        row.updated_at = now
        fill = FillRow(
            uuid.uuid4(),
            account.row.id,
            row.client_order_id,
            row.instrument_id,
            row.side,
            qty,
            price,
            Decimal(repr(ex.fee)),
            datetime.fromtimestamp(ex.time_ns / 1e9, UTC),
            ex.broker_fill_id,
        )
        ib = book.instrument(row.instrument_id)
        breakers = account.breakers
        self._writer.submit(
            [
                store.insert_fill(fill),
                store.update_order(row),
                store.upsert_position(
                    account.row.id,
                    row.instrument_id,
                    ib.position,
                    ib.average_price,
                    ib.realized_pnl,
                    now,
                ),
                store.update_account_balances(
                    account.row.id,
                    book.cash,
                    breakers.day_start_equity,
                    max(breakers.high_water_mark, book.equity),
                ),
            ]
        ).add_done_callback(_logged)
        self._publish_fill(account, row, fill, ib)
        closing = before != 0 and (before > 0) != (side > 0)
        for trip in (
            breakers.on_fill(realized, closing, account.limits),
            breakers.on_equity(book.equity, account.limits),
        ):
            if trip is not None:
                await self._states.trip(account, trip)

    # --- events --------------------------------------------------------------------------
    def publish_decision(self, account: AccountState, entry: AuditEntry) -> None:
        body, order = entry.body, entry.body["order"]
        self._publisher.account(
            account.key,
            account.row.owner,
            "order_decided",
            {
                "decision_id": str(entry.entry_id),
                "account_id": account.key,
                "client_order_id": order["client_order_id"],
                "instrument_id": order["instrument_id"],
                "side": order["side"],
                "quantity": order["quantity"],
                "decision": body["decision"],
                "violation_reasons": list(entry.reasons),
                "dry_run": body["dry_run"],
            },
        )

    async def settled(self) -> None:
        """Wait for the writes fills and venue events queued without waiting (fill rows, order
        statuses): a listing from the database then agrees with the order the API returns."""
        await self._writer.flushed()

    def publish_order(self, account: AccountState, row: OrderRow) -> None:
        self._publisher.account(
            account.key,
            account.row.owner,
            "order_updated",
            {
                "account_id": account.key,
                "client_order_id": row.client_order_id,
                "instrument_id": row.instrument_id,
                "status": row.status,
                "filled_quantity": convert.num(row.filled_quantity),
                "average_fill_price": convert.num(row.avg_fill_price),
                "reason": row.status_reason,
            },
        )

    def _publish_fill(self, account: AccountState, row: OrderRow, fill: FillRow, ib: Any) -> None:
        owner = account.row.owner
        self._publisher.account(
            account.key,
            owner,
            "fill_received",
            {
                "account_id": account.key,
                "client_order_id": row.client_order_id,
                "fill_id": str(fill.fill_id),
                "instrument_id": row.instrument_id,
                "side": row.side,
                "quantity": convert.num(fill.quantity),
                "price": convert.num(fill.price),
                "fee": convert.num(fill.fee),
            },
        )
        self.publish_order(account, row)
        self._publisher.account(
            account.key,
            owner,
            "position_changed",
            {
                "account_id": account.key,
                "instrument_id": row.instrument_id,
                "quantity": convert.num(ib.position),
                "average_price": convert.num(ib.average_price),
                "realized_pnl": convert.num(ib.realized_pnl),
            },
        )
