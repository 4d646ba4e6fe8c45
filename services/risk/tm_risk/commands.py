"""Account, limit and instrument commands: validated, audited, written by the one writer."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.service.errors import AlreadyExists, FailedPrecondition

from tm_risk import store, validate
from tm_risk.records import AccountRow, LimitsRow
from tm_risk.runtime import AccountState, Runtime
from tm_risk.store import RiskReader
from tm_risk.validate import bad
from tm_risk.writer import AuditEntry, Writer

_LOGGER = logging.getLogger(__name__)
BROKERS = frozenset({"paper"})


class Commands:
    """CreateAccount, SetLimits, PutInstrument."""

    def __init__(self, runtime: Runtime, writer: Writer, reader: RiskReader) -> None:
        self._runtime = runtime
        self._writer = writer
        self._reader = reader

    async def create_account(self, owner: str, msg: pb.Account, request_id: str) -> AccountState:
        if request_id:
            existing = await self._reader.account_by_request(owner, request_id)
            if existing is not None and existing in self._runtime.accounts:
                return self._runtime.accounts[existing]
        name = msg.name.strip()
        if not name or len(name) > 100:
            raise bad("account.name", f"must be 1-100 characters, was {msg.name!r}")
        if msg.mode == pb.ACCOUNT_MODE_LIVE:
            raise FailedPrecondition(
                "live accounts need a live broker adapter; this service routes to 'paper' only",
                reason="NO_LIVE_BROKER",
            )
        if msg.mode != pb.ACCOUNT_MODE_PAPER:
            raise bad("account.mode", "must be ACCOUNT_MODE_PAPER")
        broker = msg.broker or "paper"
        if broker not in BROKERS:
            raise bad("account.broker", f"must be one of {sorted(BROKERS)}, was {broker!r}")
        currency = msg.base_currency or "USD"
        if not (1 <= len(currency) <= 10 and currency.isalnum()):
            raise bad("account.base_currency", f"must be 1-10 letters or digits, was {currency!r}")
        cash = validate.decimal(
            msg.initial_cash, "account.initial_cash", required=True, positive=True
        )
        assert cash is not None
        row = AccountRow(
            uuid.uuid4(),
            owner,
            name,
            "PAPER",
            currency,
            broker,
            cash,
            cash,
            cash,
            cash,
            datetime.now(UTC),
        )
        entry = AuditEntry(
            "account",
            {
                "account_id": str(row.id),
                "owner": owner,
                "name": name,
                "mode": row.mode,
                "broker": broker,
                "initial_cash": format(cash, "f"),
                "base_currency": currency,
            },
            account_id=row.id,
        )
        try:
            await self._writer.write([store.insert_account(row, request_id)], [entry])
        except psycopg.errors.UniqueViolation as error:
            if request_id:
                existing = await self._reader.account_by_request(owner, request_id)
                if existing is not None and existing in self._runtime.accounts:
                    return self._runtime.accounts[existing]
            raise AlreadyExists(
                f"an account named {name!r} already exists", reason="ACCOUNT_EXISTS"
            ) from error
        return self._runtime.add_account(row)

    async def set_limits(
        self, account: AccountState, msg: pb.RiskLimits, reason: str, actor: str
    ) -> LimitsRow:
        version = account.limits_row.version + 1
        body, limits = validate.limits(msg, version)
        row = LimitsRow(body, version, actor, datetime.now(UTC))
        entry = AuditEntry(
            "limits",
            {
                "account_id": account.key,
                "limits": body,
                "version": version,
                "actor": actor,
                "reason": reason,
            },
            account_id=account.row.id,
        )
        await self._writer.write([store.upsert_limits(account.row.id, row)], [entry])
        account.limits_row, account.limits = row, limits
        return row

    async def put_instrument(self, msg: pb.Instrument, actor: str) -> dict[str, object]:
        rules = validate.instrument(msg)

        def dec(text: str) -> Decimal | None:
            return Decimal(text) if text else None

        values: dict[str, object] = {
            "tick_size": Decimal(msg.tick_size),
            "lot_size": Decimal(msg.lot_size),
            "min_quantity": dec(msg.min_quantity),
            "max_quantity": dec(msg.max_quantity),
            "min_notional": dec(msg.min_notional),
            "enabled": rules.enabled,
        }
        at = datetime.now(UTC)
        entry = AuditEntry(
            "instrument",
            {
                "instrument_id": rules.instrument_id,
                "actor": actor,
                **{k: ("" if v is None else str(v)) for k, v in values.items()},
            },
            instrument_id=rules.instrument_id,
        )
        await self._writer.write(
            [store.upsert_instrument(rules.instrument_id, values, at)], [entry]
        )
        row = {"instrument_id": rules.instrument_id, **values, "updated_at": at}
        self._runtime.put_instrument(row)
        return row
