"""ModifyOrder: a working order's new quantity / limit price through the same gate as a submit.

decide (``RiskEngine.check_modify``: the order as modified replaces its own working quantity)
→ persist (audit decision + ``risk.order_modifies`` row, one transaction, before anything is
sent) → apply at the venue → store the order's new terms. Idempotent per (account,
request_id), also under concurrent repeats; one modification of an order at a time (a second
concurrent one is ABORTED, safe to retry), so the book and the venue apply them in one order.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.risk.model import BUY, SELL, OrderIntent
from trademaster.service.errors import Aborted, FailedPrecondition, NotFound, Unavailable

from tm_risk import convert, store
from tm_risk.orders import OrderDesk
from tm_risk.records import ModifyRow, OrderRow
from tm_risk.runtime import AccountState
from tm_risk.states import StateDesk
from tm_risk.validate import bad
from tm_risk.venues.adapter import BrokerAdapter, Certainty, Outcome
from tm_risk.writer import Writer


@dataclasses.dataclass(frozen=True)
class ModifyResult:
    decision: pb.OrderDecision
    order: OrderRow
    replayed: bool
    venue_reason: str


@dataclasses.dataclass(frozen=True)
class _Terms:
    """A validated modification: new total quantity and limit price, and what is checked."""

    quantity: Decimal
    limit_price: Decimal | None
    intent: OrderIntent
    old_open: float
    filled: Decimal


class ModifyDesk:
    """Modifications of working orders for every account."""

    def __init__(
        self, orders: OrderDesk, writer: Writer, venue: BrokerAdapter, states: StateDesk
    ) -> None:
        self._orders = orders
        self._states = states
        self._writer = writer
        self._venue = venue
        self._busy: set[tuple[str, str]] = set()

    async def modify(
        self,
        account: AccountState,
        client_order_id: str,
        quantity: Decimal | None,
        limit_price: Decimal | None,
        request_id: str,
        actor: str,
    ) -> ModifyResult:
        existing = account.modifies.get(request_id)
        if existing is not None:
            return await self._replay(account, existing)
        pending = account.pending_modifies.get(request_id)
        if pending is not None:
            await asyncio.shield(pending)
            return await self._replay(account, account.modifies[request_id])
        key = (account.key, client_order_id)
        if key in self._busy:
            raise Aborted(
                f"another modification of order {client_order_id!r} is in flight; retry",
                reason="MODIFY_IN_FLIGHT",
            )
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        account.pending_modifies[request_id] = future
        self._busy.add(key)
        try:
            result = await self._modify_new(
                account, client_order_id, quantity, limit_price, request_id, actor
            )
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters re-raise it
            raise
        finally:
            account.pending_modifies.pop(request_id, None)
            self._busy.discard(key)
        future.set_result(None)
        return result

    async def _replay(self, account: AccountState, mrow: ModifyRow) -> ModifyResult:
        row = account.orders[mrow.client_order_id]
        decision = await self._orders.stored_decision(mrow.decision_id, row)
        return ModifyResult(decision, row, True, mrow.venue_reason)

    @staticmethod
    def _terms(
        account: AccountState, row: OrderRow, quantity: Decimal | None, limit: Decimal | None
    ) -> _Terms:
        if not row.working or row.status == "PENDING_CANCEL":
            raise FailedPrecondition(
                f"order {row.client_order_id!r} is {row.status}: only working orders can be "
                "modified",
                reason="ORDER_NOT_WORKING",
            )
        if limit is not None and row.order_type != "LIMIT":
            raise bad("limit_price", f"must be empty: order is {row.order_type}, not LIMIT")
        new_quantity = row.quantity if quantity is None else quantity
        new_limit = row.limit_price if limit is None else limit
        if new_quantity == row.quantity and new_limit == row.limit_price:
            raise bad("quantity", "or limit_price must change the order")
        if new_quantity <= row.filled_quantity:
            raise bad(
                "quantity", f"must be above the filled quantity {convert.num(row.filled_quantity)}"
            )
        working = account.book.working.get(row.client_order_id)
        intent = OrderIntent(
            row.client_order_id,
            row.instrument_id,
            BUY if row.side == "BUY" else SELL,
            float(new_quantity - row.filled_quantity),
            None if new_limit is None else float(new_limit),
            row.reduce_only,
            row.deployment_id,
        )
        old_open = 0.0 if working is None else working.open_quantity
        return _Terms(new_quantity, new_limit, intent, old_open, row.filled_quantity)

    async def _modify_new(
        self,
        account: AccountState,
        client_order_id: str,
        quantity: Decimal | None,
        limit_price: Decimal | None,
        request_id: str,
        actor: str,
    ) -> ModifyResult:
        row = account.orders.get(client_order_id)
        if row is None:
            raise NotFound(
                f"order {client_order_id!r} not found in account {account.key}",
                reason="ORDER_NOT_FOUND",
            )
        terms = self._terms(account, row, quantity, limit_price)
        fields = {
            k: getattr(row, k)
            for k in (
                "client_order_id",
                "instrument_id",
                "side",
                "order_type",
                "time_in_force",
                "reduce_only",
                "deployment_id",
                "model_version",
            )
        }
        fields.update(quantity=terms.quantity, limit_price=terms.limit_price)
        entry, verdict = self._orders.decide(
            account, terms.intent, fields, actor, dry_run=False, modify=True
        )
        entry.body.update(action="MODIFY", request_id=request_id)
        now = datetime.now(UTC)
        mrow = ModifyRow(
            account.row.id,
            request_id,
            client_order_id,
            entry.entry_id,
            terms.quantity,
            terms.limit_price,
            "PENDING" if verdict.allowed else "DENIED",
            now,
            now,
        )
        trip = account.breakers.on_decision(verdict.allowed, account.limits)
        try:
            [link] = await self._writer.write([store.insert_modify(mrow)], [entry])
        except Exception as error:
            if verdict.allowed:
                account.engine.release(account.book, terms.intent, account.limits)
                self._restore(account, row, terms, terms.old_open)
            raise Unavailable(
                "the decision could not be audited; the modification is refused",
                reason="AUDIT_WRITE_FAILED",
            ) from error
        account.modifies[request_id] = mrow
        self._orders.publish_decision(account, entry)
        if verdict.allowed:
            await self._apply(account, row, mrow, terms)
        if trip is not None:
            await self._states.trip(account, trip)
        return ModifyResult(convert.decision(entry.body, link, row), row, False, mrow.venue_reason)

    async def _apply(
        self, account: AccountState, row: OrderRow, mrow: ModifyRow, terms: _Terms
    ) -> None:
        """Send an allowed (and audited) modification to the venue; store what it answered."""
        limit = None if terms.limit_price is None else float(terms.limit_price)
        try:
            outcome = await self._venue.modify(
                account.key, row.client_order_id, float(terms.quantity), limit
            )
        except Exception as error:  # noqa: BLE001 - an unknown failure is ambiguous
            outcome = Outcome(False, Certainty.AMBIGUOUS, reason=f"venue error: {error!r}")
        now = datetime.now(UTC)
        mrow.updated_at = now
        statements = []
        if outcome.ok:
            mrow.outcome = "APPLIED"
            row.quantity, row.limit_price, row.updated_at = terms.quantity, terms.limit_price, now
            statements.append(store.update_order_terms(row))
        else:
            definitive = outcome.certainty is Certainty.DEFINITIVE
            mrow.outcome = "REJECTED" if definitive else "AMBIGUOUS"
            mrow.venue_reason = outcome.reason or "venue refused the modification"
            # Fills since the decision already reduced the working quantity; an ambiguous
            # outcome counts the larger of the old and new quantities until reconciled.
            filled_since = float(row.filled_quantity - terms.filled)
            keep = terms.old_open if definitive else max(terms.old_open, terms.intent.quantity)
            self._restore(account, row, terms, max(0.0, keep - filled_since))
        statements.append(store.update_modify(mrow))
        await self._writer.write(statements)
        self._orders.publish_order(account, row)

    @staticmethod
    def _restore(account: AccountState, row: OrderRow, terms: _Terms, open_qty: float) -> None:
        if row.working:  # a cancel or the last fill meanwhile closed it: nothing to count
            account.engine.restore(account.book, terms.intent, open_qty)
