"""Trading-state commands: manual (audited, with a reason) and breaker trips (toward safety).

A manual return to ACTIVE is refused while a breaker's cooldown runs. Breakers only ever move a
scope to a more restrictive state; they never lift one.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from trademaster.risk.breakers import Trip
from trademaster.risk.model import TradingState
from trademaster.service.errors import FailedPrecondition

from tm_risk import store
from tm_risk.publisher import GLOBAL_TOPIC, Publisher, account_topic
from tm_risk.records import StateRow
from tm_risk.runtime import AccountState, Runtime
from tm_risk.writer import AuditEntry, Writer

_LOGGER = logging.getLogger(__name__)


class StateDesk:
    """Sets trading states: persisted, audited, published."""

    def __init__(self, runtime: Runtime, writer: Writer, publisher: Publisher) -> None:
        self._runtime = runtime
        self._writer = writer
        self._publisher = publisher
        self._tripping: set[str] = set()

    async def set(
        self,
        scope: str,
        scope_id: str,
        state: TradingState,
        reason: str,
        actor: str,
        *,
        cooldown_s: int = 0,
        manual: bool = True,
    ) -> StateRow:
        now = datetime.now(UTC)
        old = self._runtime.states.get((scope, scope_id))
        if (
            manual
            and state is TradingState.ACTIVE
            and old is not None
            and old.cooldown_until is not None
            and old.cooldown_until > now
        ):
            raise FailedPrecondition(
                f"{scope.lower()} {scope_id or ''} is in a breaker cooldown until "
                f"{old.cooldown_until.isoformat()}; ACTIVE is refused before then".replace(
                    "  ", " "
                ),
                reason="BREAKER_COOLDOWN",
            )
        row = StateRow(
            scope,
            scope_id,
            state.name,
            old.state if old else "",
            reason,
            actor,
            now,
            now + timedelta(seconds=cooldown_s) if cooldown_s else None,
            uuid.uuid4(),
        )
        account_id = uuid.UUID(scope_id) if scope == "ACCOUNT" else None
        entry = AuditEntry(
            "trading_state",
            {
                "scope": scope,
                "scope_id": scope_id,
                "state": row.state,
                "previous_state": row.previous_state,
                "reason": reason,
                "actor": actor,
                "change_id": str(row.change_id),
                "cooldown_until": row.cooldown_until.isoformat() if row.cooldown_until else "",
            },
            account_id=account_id,
        )
        await self._writer.write(store.set_state(row), [entry])
        self._runtime.states[(scope, scope_id)] = row
        payload = {
            "account_id": scope_id if scope == "ACCOUNT" else "",
            "old_state": row.previous_state or "ACTIVE",
            "new_state": row.state,
            "reason": reason,
            "changed_by": actor,
            "scope": scope,
            "scope_id": scope_id,
        }
        if account_id is not None and account_id in self._runtime.accounts:
            owner = self._runtime.accounts[account_id].row.owner
            self._publisher.emit(account_topic(scope_id), owner, "trading_state_changed", payload)
        else:
            self._publisher.emit(GLOBAL_TOPIC, "", "trading_state_changed", payload)
        _LOGGER.info(
            "state.set scope=%s id=%s state=%s actor=%s", scope, scope_id, state.name, actor
        )
        return row

    async def trip(self, account: AccountState, trip: Trip) -> None:
        """Apply a breaker trip if it makes the account's state more restrictive."""
        current = self._runtime.state_of("ACCOUNT", account.key)
        if trip.state <= current:
            return
        await self.set(
            "ACCOUNT",
            account.key,
            trip.state,
            trip.reason,
            f"breaker:{trip.breaker}",
            cooldown_s=trip.cooldown_s,
            manual=False,
        )
