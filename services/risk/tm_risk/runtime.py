"""The hot state of the risk service, rebuilt from PostgreSQL at start.

PostgreSQL is the record; this is its working copy for the single writer: per account the
``AccountBook`` (positions, working orders, marks), the rule engine's rate buckets, limits and
breakers, and every order by client_order_id (idempotency); plus instruments and trading states.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.risk.book import AccountBook
from trademaster.risk.breakers import Breakers
from trademaster.risk.engine import RiskEngine
from trademaster.risk.model import BUY, SELL, InstrumentRules, Limits, TradingState
from trademaster.service.errors import InvalidArgument

from tm_risk import validate
from tm_risk.records import AccountRow, LimitsRow, ModifyRow, OrderRow, StateRow
from tm_risk.store import RiskReader

_LOGGER = logging.getLogger(__name__)
_INF = math.inf


@dataclass
class AccountState:
    """One account's working copy."""

    row: AccountRow
    book: AccountBook
    limits_row: LimitsRow
    limits: Limits
    breakers: Breakers
    engine: RiskEngine = field(default_factory=RiskEngine)
    orders: dict[str, OrderRow] = field(default_factory=dict)
    pending: dict[str, asyncio.Future[Any]] = field(default_factory=dict)
    modifies: dict[str, ModifyRow] = field(default_factory=dict)
    """ModifyOrder requests by request_id (idempotency)."""
    pending_modifies: dict[str, asyncio.Future[Any]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return str(self.row.id)


def engine_limits(row: LimitsRow) -> Limits:
    msg = pb.RiskLimits()
    json_format.ParseDict(row.body, msg)
    try:
        return validate.limits(msg, row.version)[1]
    except InvalidArgument as error:  # stored limits were valid when set
        _LOGGER.error("runtime.bad_stored_limits error=%s", error)
        return Limits(max_order_quantity=0.0, version=row.version)


class Runtime:
    """Accounts, instruments, trading states and reference prices held by the service."""

    def __init__(self) -> None:
        self.accounts: dict[uuid.UUID, AccountState] = {}
        self.instruments: dict[str, InstrumentRules] = {}
        self.instrument_rows: dict[str, dict[str, Any]] = {}
        self.states: dict[tuple[str, str], StateRow] = {}
        self.fill_ids: set[tuple[uuid.UUID, str]] = set()
        self.prices: dict[str, tuple[float, int]] = {}

    def state_of(self, scope: str, scope_id: str) -> TradingState:
        row = self.states.get((scope, scope_id))
        return TradingState.ACTIVE if row is None else TradingState[row.state]

    def kill_switch_engaged(self) -> bool:
        """Whether any scope is HALTED by the kill switch (``KillSwitch.pull``'s reason)."""
        return any(
            row.state == TradingState.HALTED.name and row.reason.startswith("kill switch")
            for row in self.states.values()
        )

    def effective_state(
        self, account_id: str, deployment_id: str, instrument_id: str
    ) -> TradingState:
        """The most restrictive of the global, account, deployment and instrument states."""
        states = self.states
        if not states:
            return TradingState.ACTIVE
        worst = self.state_of("GLOBAL", "")
        worst = max(worst, self.state_of("ACCOUNT", account_id))
        if deployment_id:
            worst = max(worst, self.state_of("DEPLOYMENT", deployment_id))
        return max(worst, self.state_of("INSTRUMENT", instrument_id))

    def add_account(self, row: AccountRow, limits_row: LimitsRow | None = None) -> AccountState:
        lrow = limits_row or LimitsRow(body={}, version=0)
        book = AccountBook(float(row.cash))
        for iid, (price, at) in self.prices.items():
            book.set_price(iid, price, at)
        state = AccountState(
            row,
            book,
            lrow,
            engine_limits(lrow),
            Breakers(float(row.day_start_equity), float(row.high_water_mark)),
        )
        self.accounts[row.id] = state
        return state

    def set_price(self, instrument_id: str, price: float, at_ns: int) -> None:
        self.prices[instrument_id] = (price, at_ns)
        for account in self.accounts.values():
            account.book.set_price(instrument_id, price, at_ns)

    async def load(self, reader: RiskReader) -> None:
        """Rebuild everything from the database (start-up)."""
        started = time.perf_counter()
        limits = await reader.limits()
        for row in await reader.accounts():
            self.add_account(row, limits.get(row.id))
        for irow in await reader.instruments():
            self.put_instrument(irow)
        for srow in await reader.states():
            self.states[(srow.scope, srow.scope_id)] = srow
        for prow in await reader.positions():
            account = self.accounts[prow["account_id"]]
            ib = account.book.instrument(prow["instrument_id"])
            ib.position = float(prow["quantity"])
            ib.average_price = float(prow["average_price"])
            ib.realized_pnl = float(prow["realized_pnl"])
        orders = await reader.orders()
        for order in orders:
            account = self.accounts[order.account_id]
            account.orders[order.client_order_id] = order
            if order.working:
                side = BUY if order.side == "BUY" else SELL
                account.book.add_working(
                    order.client_order_id, order.instrument_id, side, float(order.open_quantity)
                )
        for mrow in await reader.modifies():
            self.accounts[mrow.account_id].modifies[mrow.request_id] = mrow
        self.fill_ids = await reader.broker_fill_ids()
        _LOGGER.info(
            "runtime.loaded accounts=%d orders=%d states=%d seconds=%.3f",
            len(self.accounts),
            len(orders),
            len(self.states),
            time.perf_counter() - started,
        )

    def put_instrument(self, row: dict[str, Any]) -> InstrumentRules:
        def f(value: Any, default: float = 0.0) -> float:
            return default if value is None else float(value)

        rules = InstrumentRules(
            row["instrument_id"],
            float(row["tick_size"]),
            float(row["lot_size"]),
            min_quantity=f(row["min_quantity"]),
            max_quantity=f(row["max_quantity"], _INF),
            min_notional=f(row["min_notional"]),
            enabled=bool(row["enabled"]),
        )
        self.instruments[rules.instrument_id] = rules
        self.instrument_rows[rules.instrument_id] = row
        return rules
