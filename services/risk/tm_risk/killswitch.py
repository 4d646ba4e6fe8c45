"""The kill switch: HALTED persisted first, then every working order in scope cancelled at the
venue, then (optionally) positions flattened with reduce-only market orders through the same
risk path, then a completion record (audited) and event with counts and timings."""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from trademaster.risk.model import BUY, SELL, OrderIntent, TradingState
from trademaster.service.errors import InvalidArgument

from tm_risk import store
from tm_risk.orders import OrderDesk
from tm_risk.publisher import GLOBAL_TOPIC, Publisher, account_topic
from tm_risk.records import OrderRow, StateRow
from tm_risk.runtime import AccountState, Runtime
from tm_risk.states import StateDesk
from tm_risk.venues.adapter import BrokerAdapter, CancelScope
from tm_risk.writer import AuditEntry, Writer

_LOGGER = logging.getLogger(__name__)


@dataclass
class KillReport:
    kill_id: uuid.UUID
    state: StateRow
    working_orders: int = 0
    cancels_acknowledged: int = 0
    cancels_failed: int = 0
    flatten_submitted: int = 0
    flatten_denied: int = 0
    halt_s: float = 0.0
    cancel_s: float = 0.0
    """Until the venue acknowledged the last cancel."""
    persisted_s: float = 0.0
    """Until the cancelled statuses were committed."""
    total_s: float = 0.0

    def payload(self, scope: str, scope_id: str) -> dict[str, object]:
        return {
            "kill_id": str(self.kill_id),
            "scope": scope,
            "scope_id": scope_id,
            "working_orders": self.working_orders,
            "cancels_acknowledged": self.cancels_acknowledged,
            "cancels_failed": self.cancels_failed,
            "flatten_orders_submitted": self.flatten_submitted,
            "flatten_orders_denied": self.flatten_denied,
            "halt_ms": self.halt_s * 1e3,
            "cancel_ms": self.cancel_s * 1e3,
            "total_ms": self.total_s * 1e3,
        }


class KillSwitch:
    """Pulls the kill switch for one scope."""

    def __init__(
        self,
        runtime: Runtime,
        writer: Writer,
        venue: BrokerAdapter,
        orders: OrderDesk,
        states: StateDesk,
        publisher: Publisher,
    ) -> None:
        self._runtime = runtime
        self._writer = writer
        self._venue = venue
        self._orders = orders
        self._states = states
        self._publisher = publisher

    def _accounts(self, scope: str, scope_id: str) -> list[AccountState]:
        if scope == "ACCOUNT":
            return [self._runtime.accounts[uuid.UUID(scope_id)]]
        return list(self._runtime.accounts.values())

    @staticmethod
    def _matches(scope: str, scope_id: str, row: OrderRow) -> bool:
        if scope == "DEPLOYMENT":
            return row.deployment_id == scope_id
        if scope == "INSTRUMENT":
            return row.instrument_id == scope_id
        return True

    def _emit(self, scope: str, scope_id: str, type_: str, payload: dict[str, object]) -> None:
        if scope == "ACCOUNT":
            owner = self._runtime.accounts[uuid.UUID(scope_id)].row.owner
            self._publisher.emit(account_topic(scope_id), owner, type_, payload)
        else:
            self._publisher.emit(GLOBAL_TOPIC, "", type_, payload)

    async def pull(
        self, scope: str, scope_id: str, reason: str, actor: str, flatten: bool
    ) -> KillReport:
        if flatten and scope == "DEPLOYMENT":
            raise InvalidArgument(
                "flatten is not available for SCOPE_DEPLOYMENT: positions are kept per account",
                [("flatten", "must be false for SCOPE_DEPLOYMENT")],
            )
        started = time.perf_counter()
        kill_id = uuid.uuid4()
        self._emit(
            scope,
            scope_id,
            "kill_switch_engaged",
            {
                "kill_id": str(kill_id),
                "scope": scope,
                "scope_id": scope_id,
                "reason": reason,
                "actor": actor,
                "flatten": flatten,
            },
        )
        state = await self._states.set(
            scope, scope_id, TradingState.HALTED, f"kill switch: {reason}", actor, manual=False
        )
        report = KillReport(kill_id, state, halt_s=time.perf_counter() - started)
        await self._cancel_all(scope, scope_id, actor, report, started)
        report.persisted_s = time.perf_counter() - started
        if flatten:
            await self._flatten(scope, scope_id, actor, report)
        report.total_s = time.perf_counter() - started
        payload = report.payload(scope, scope_id)
        await self._writer.write(
            [],
            [
                AuditEntry(
                    "kill_switch",
                    {
                        **payload,
                        "persisted_ms": report.persisted_s * 1e3,
                        "reason": reason,
                        "actor": actor,
                        "flatten": flatten,
                    },
                    account_id=uuid.UUID(scope_id) if scope == "ACCOUNT" else None,
                )
            ],
        )
        self._emit(scope, scope_id, "kill_switch_completed", payload)
        _LOGGER.info("kill.done %s", payload)
        return report

    async def _cancel_all(
        self, scope: str, scope_id: str, actor: str, report: KillReport, started: float
    ) -> None:
        targets: dict[str, dict[str, OrderRow]] = defaultdict(dict)
        accounts = self._accounts(scope, scope_id)
        for account in accounts:
            for row in account.orders.values():
                if row.working and self._matches(scope, scope_id, row):
                    targets[account.key][row.client_order_id] = row
        report.working_orders = sum(len(rows) for rows in targets.values())
        updated: list[OrderRow] = []
        by_key = {a.key: a for a in accounts}
        for key, rows in targets.items():
            account = by_key[key]
            outcomes = await self._venue.cancel_all(
                CancelScope(account_id=key, client_order_ids=frozenset(rows))
            )
            for coid, row in rows.items():
                outcome = outcomes.get((key, coid))
                if outcome is not None and outcome.ok:
                    row.status, row.status_reason = "CANCELLED", f"kill switch by {actor}"
                    account.book.reduce_working(coid)
                    report.cancels_acknowledged += 1
                else:
                    row.status = "PENDING_CANCEL"
                    row.status_reason = "kill switch: venue did not confirm the cancel"
                    report.cancels_failed += 1
                updated.append(row)
        report.cancel_s = time.perf_counter() - started
        if updated:
            await self._writer.write([store.update_orders(updated)])
        for key, rows in targets.items():
            for row in rows.values():
                self._orders.publish_order(by_key[key], row)

    async def _flatten(self, scope: str, scope_id: str, actor: str, report: KillReport) -> None:
        prefix = f"kill-{report.kill_id.hex[:12]}"
        for account in self._accounts(scope, scope_id):
            for iid, ib in list(account.book.instruments.items()):
                if ib.position == 0 or (scope == "INSTRUMENT" and iid != scope_id):
                    continue
                side = SELL if ib.position > 0 else BUY
                qty = abs(ib.position)
                intent = OrderIntent(f"{prefix}-{iid}"[:64], iid, side, qty, None, True)
                fields: dict[str, object] = {
                    "client_order_id": intent.client_order_id,
                    "instrument_id": iid,
                    "side": "BUY" if side == BUY else "SELL",
                    "order_type": "MARKET",
                    "quantity": Decimal(repr(qty)),
                    "limit_price": None,
                    "time_in_force": "DAY",
                    "reduce_only": True,
                    "deployment_id": "",
                    "model_version": "",
                }
                decision, _row, _ = await self._orders.submit(account, intent, fields, actor)
                if decision.violations:
                    report.flatten_denied += 1
                else:
                    report.flatten_submitted += 1
