"""Account, limit and instrument commands: validated, audited, written by the one writer."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
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
from tm_risk.venues import credentials
from tm_risk.venues.credentials import VenueCredentials
from tm_risk.venues.router import VenueRouter
from tm_risk.writer import AuditEntry, Writer

_LOGGER = logging.getLogger(__name__)
BROKERS = frozenset({"paper"})


class Commands:
    """CreateAccount, SetLimits, PutInstrument."""

    def __init__(
        self,
        runtime: Runtime,
        writer: Writer,
        reader: RiskReader,
        router: VenueRouter | None = None,
        venue_credentials: Mapping[str, VenueCredentials] | None = None,
    ) -> None:
        self._runtime = runtime
        self._writer = writer
        self._reader = reader
        self._router = router
        self._credentials = venue_credentials or {}

    async def create_account(self, owner: str, msg: pb.Account, request_id: str) -> AccountState:
        if request_id:
            existing = await self._reader.account_by_request(owner, request_id)
            if existing is not None and existing in self._runtime.accounts:
                return self._runtime.accounts[existing]
        name = msg.name.strip()
        if not name or len(name) > 100:
            raise bad("account.name", f"must be 1-100 characters, was {msg.name!r}")
        mode, broker, creds = self._venue(owner, name, msg)
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
            mode,
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
        account = self._runtime.add_account(row)
        if creds is not None and self._router is not None:
            await self._router.attach(account.key, creds)
        return account

    def _venue(
        self, owner: str, name: str, msg: pb.Account
    ) -> tuple[str, str, VenueCredentials | None]:
        """(mode, broker, credentials): paper routes to the paper venue; a live account needs
        the operator's credentials entry for ``<owner>/<name>`` (``TM_RISK_VENUE_SECRETS_FILE``)."""
        if msg.mode == pb.ACCOUNT_MODE_LIVE:
            creds = self._credentials.get(credentials.key(owner, name))
            if creds is None or self._router is None:
                raise FailedPrecondition(
                    f"no live venue credentials are configured for account {name!r} of this "
                    "owner; an operator adds them to the risk service's venue secrets file",
                    reason="NO_LIVE_BROKER",
                )
            if msg.broker and msg.broker != creds.venue:
                raise bad(
                    "account.broker", f"must be {creds.venue!r} (configured), was {msg.broker!r}"
                )
            return "LIVE", creds.venue, creds
        if msg.mode != pb.ACCOUNT_MODE_PAPER:
            raise bad("account.mode", "must be ACCOUNT_MODE_PAPER or ACCOUNT_MODE_LIVE")
        broker = msg.broker or "paper"
        if broker not in BROKERS:
            raise bad("account.broker", f"paper accounts use 'paper', was {broker!r}")
        return "PAPER", broker, None

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
