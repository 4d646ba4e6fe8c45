"""SQL of the risk schema: statements the writer commits, reads for RPCs and start-up load.

Writes are returned as ``(sql, params)`` statements so the one writer can commit them together
with their audit entries; reads go straight to the pool.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from tm_risk.records import AccountRow, FillRow, LimitsRow, ModifyRow, OrderRow, StateRow
from tm_risk.writer import Statement, snapshot

_ORDER_COLUMNS = (
    "account_id, client_order_id, instrument_id, side, order_type, quantity, limit_price, "
    "time_in_force, reduce_only, deployment_id, model_version, status, decision_id, created_at, "
    "updated_at, status_reason, filled_quantity, avg_fill_price, broker_order_id"
)
_ACCOUNT_COLUMNS = (
    "id, owner, name, mode, base_currency, broker, initial_cash, cash, day_start_equity, "
    "high_water_mark, created_at"
)
_STATE_COLUMNS = (
    "scope, scope_id, state, previous_state, reason, updated_by, updated_at, cooldown_until, "
    "change_id"
)
_FILL_COLUMNS = (
    "fill_id, account_id, client_order_id, instrument_id, side, quantity, price, fee, fill_time, "
    "broker_fill_id"
)
_MODIFY_COLUMNS = (
    "account_id, request_id, client_order_id, decision_id, quantity, limit_price, outcome, "
    "created_at, updated_at, venue_reason"
)
WORKING_SQL = "('PENDING_NEW', 'ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_CANCEL')"


# --- statements ------------------------------------------------------------------------
def insert_account(row: AccountRow, request_id: str) -> Statement:
    return (
        f"INSERT INTO risk.accounts ({_ACCOUNT_COLUMNS}, request_id) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            row.id,
            row.owner,
            row.name,
            row.mode,
            row.base_currency,
            row.broker,
            row.initial_cash,
            row.cash,
            row.day_start_equity,
            row.high_water_mark,
            row.created_at,
            request_id or None,
        ),
    )


def insert_order(row: OrderRow) -> Statement:
    return (
        f"INSERT INTO risk.orders ({_ORDER_COLUMNS}) VALUES "
        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            row.account_id,
            row.client_order_id,
            row.instrument_id,
            row.side,
            row.order_type,
            row.quantity,
            row.limit_price,
            row.time_in_force,
            row.reduce_only,
            row.deployment_id,
            row.model_version,
            row.status,
            row.decision_id,
            row.created_at,
            row.updated_at,
            row.status_reason,
            row.filled_quantity,
            row.avg_fill_price,
            row.broker_order_id,
        ),
    )


_UPDATE_ORDER = snapshot(
    "UPDATE risk.orders SET status=%s, status_reason=%s, filled_quantity=%s, "
    "avg_fill_price=%s, broker_order_id=%s, updated_at=%s "
    "WHERE account_id=%s AND client_order_id=%s",
    lambda p: (p[6], p[7]),
)


def update_order(row: OrderRow) -> Statement:
    return _UPDATE_ORDER, _order_update_params(row)


def update_orders(rows: list[OrderRow]) -> Statement:
    """Status updates of many orders (kill switch, reconciliation) as one statement over
    arrays: one parse and one round trip however many orders."""
    return (
        "UPDATE risk.orders AS o SET status=u.status, status_reason=u.reason, "
        "filled_quantity=u.filled, avg_fill_price=u.avg, broker_order_id=u.broker, "
        "updated_at=u.at FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[], "
        "%s::numeric[], %s::numeric[], %s::text[], %s::timestamptz[]) "
        "AS u(account_id, coid, status, reason, filled, avg, broker, at) "
        "WHERE o.account_id = u.account_id AND o.client_order_id = u.coid",
        (
            [r.account_id for r in rows],
            [r.client_order_id for r in rows],
            [r.status for r in rows],
            [r.status_reason for r in rows],
            [r.filled_quantity for r in rows],
            [r.avg_fill_price for r in rows],
            [r.broker_order_id for r in rows],
            [r.updated_at for r in rows],
        ),
    )


def _order_update_params(row: OrderRow) -> tuple[Any, ...]:
    return (
        row.status,
        row.status_reason,
        row.filled_quantity,
        row.avg_fill_price,
        row.broker_order_id,
        row.updated_at,
        row.account_id,
        row.client_order_id,
    )


def update_order_terms(row: OrderRow) -> Statement:
    """Quantity and limit price of a modified order, with its status fields."""
    return (
        "UPDATE risk.orders SET quantity=%s, limit_price=%s, status=%s, status_reason=%s, "
        "updated_at=%s WHERE account_id=%s AND client_order_id=%s",
        (
            row.quantity,
            row.limit_price,
            row.status,
            row.status_reason,
            row.updated_at,
            row.account_id,
            row.client_order_id,
        ),
    )


def insert_modify(row: ModifyRow) -> Statement:
    return (
        f"INSERT INTO risk.order_modifies ({_MODIFY_COLUMNS}) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            row.account_id,
            row.request_id,
            row.client_order_id,
            row.decision_id,
            row.quantity,
            row.limit_price,
            row.outcome,
            row.created_at,
            row.updated_at,
            row.venue_reason,
        ),
    )


def update_modify(row: ModifyRow) -> Statement:
    return (
        "UPDATE risk.order_modifies SET outcome=%s, venue_reason=%s, updated_at=%s "
        "WHERE account_id=%s AND request_id=%s",
        (row.outcome, row.venue_reason, row.updated_at, row.account_id, row.request_id),
    )


def insert_fill(row: FillRow) -> Statement:
    return (
        f"INSERT INTO risk.fills ({_FILL_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            row.fill_id,
            row.account_id,
            row.client_order_id,
            row.instrument_id,
            row.side,
            row.quantity,
            row.price,
            row.fee,
            row.fill_time,
            row.broker_fill_id,
        ),
    )


_UPSERT_POSITION = snapshot(
    "INSERT INTO risk.positions (account_id, instrument_id, quantity, average_price, "
    "realized_pnl, updated_at) VALUES (%s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (account_id, instrument_id) DO UPDATE SET quantity=EXCLUDED.quantity, "
    "average_price=EXCLUDED.average_price, realized_pnl=EXCLUDED.realized_pnl, "
    "updated_at=EXCLUDED.updated_at",
    lambda p: (p[0], p[1]),
)
_UPDATE_BALANCES = snapshot(
    "UPDATE risk.accounts SET cash=%s, day_start_equity=%s, high_water_mark=%s WHERE id=%s",
    lambda p: (p[3],),
)


def upsert_position(
    account_id: uuid.UUID,
    instrument_id: str,
    quantity: float,
    average: float,
    realized: float,
    at: datetime,
) -> Statement:
    return (
        _UPSERT_POSITION,
        (
            account_id,
            instrument_id,
            Decimal(repr(quantity)),
            Decimal(repr(average)),
            Decimal(repr(realized)),
            at,
        ),
    )


def update_account_balances(
    account_id: uuid.UUID, cash: float, day_start: float, high_water: float
) -> Statement:
    return (
        _UPDATE_BALANCES,
        (Decimal(repr(cash)), Decimal(repr(day_start)), Decimal(repr(high_water)), account_id),
    )


def upsert_limits(account_id: uuid.UUID, row: LimitsRow) -> Statement:
    return (
        "INSERT INTO risk.limits (account_id, body, version, updated_by, updated_at) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (account_id) DO UPDATE SET body=EXCLUDED.body, "
        "version=EXCLUDED.version, updated_by=EXCLUDED.updated_by, updated_at=EXCLUDED.updated_at",
        (account_id, Jsonb(row.body), row.version, row.updated_by, row.updated_at),
    )


def upsert_instrument(iid: str, values: dict[str, Any], at: datetime) -> Statement:
    return (
        "INSERT INTO risk.instruments (instrument_id, tick_size, lot_size, min_quantity, "
        "max_quantity, min_notional, enabled, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (instrument_id) DO UPDATE SET tick_size=EXCLUDED.tick_size, "
        "lot_size=EXCLUDED.lot_size, min_quantity=EXCLUDED.min_quantity, "
        "max_quantity=EXCLUDED.max_quantity, min_notional=EXCLUDED.min_notional, "
        "enabled=EXCLUDED.enabled, updated_at=EXCLUDED.updated_at",
        (
            iid,
            values["tick_size"],
            values["lot_size"],
            values["min_quantity"],
            values["max_quantity"],
            values["min_notional"],
            values["enabled"],
            at,
        ),
    )


def set_state(row: StateRow) -> list[Statement]:
    params = (
        row.scope,
        row.scope_id,
        row.state,
        row.previous_state,
        row.reason,
        row.updated_by,
        row.updated_at,
        row.cooldown_until,
        row.change_id,
    )
    return [
        (
            f"INSERT INTO risk.trading_states ({_STATE_COLUMNS}) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (scope, scope_id) DO UPDATE "
            "SET state=EXCLUDED.state, previous_state=EXCLUDED.previous_state, "
            "reason=EXCLUDED.reason, updated_by=EXCLUDED.updated_by, "
            "updated_at=EXCLUDED.updated_at, cooldown_until=EXCLUDED.cooldown_until, "
            "change_id=EXCLUDED.change_id",
            params,
        ),
        (
            f"INSERT INTO risk.state_changes ({_STATE_COLUMNS}) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            params,
        ),
    ]


# --- reads -------------------------------------------------------------------------------
class RiskReader:
    """Reads of the risk schema (RPC lists and the start-up load)."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(sql, params)  # type: ignore[arg-type]
            return await cur.fetchall()

    async def accounts(self) -> list[AccountRow]:
        rows = await self._rows(f"SELECT {_ACCOUNT_COLUMNS} FROM risk.accounts")
        return [AccountRow(**row) for row in rows]

    async def account_by_request(self, owner: str, request_id: str) -> uuid.UUID | None:
        rows = await self._rows(
            "SELECT id FROM risk.accounts WHERE owner=%s AND request_id=%s", (owner, request_id)
        )
        return rows[0]["id"] if rows else None

    async def instruments(self) -> list[dict[str, Any]]:
        return await self._rows("SELECT * FROM risk.instruments ORDER BY instrument_id")

    async def limits(self) -> dict[uuid.UUID, LimitsRow]:
        rows = await self._rows(
            "SELECT account_id, body, version, updated_by, updated_at FROM risk.limits"
        )
        return {r.pop("account_id"): LimitsRow(**r) for r in rows}

    async def states(self) -> list[StateRow]:
        rows = await self._rows(f"SELECT {_STATE_COLUMNS} FROM risk.trading_states")
        return [StateRow(**row) for row in rows]

    async def positions(self) -> list[dict[str, Any]]:
        return await self._rows("SELECT * FROM risk.positions")

    async def orders(self) -> list[OrderRow]:
        rows = await self._rows(f"SELECT {_ORDER_COLUMNS} FROM risk.orders")
        return [OrderRow(**row) for row in rows]

    async def modifies(self) -> list[ModifyRow]:
        rows = await self._rows(f"SELECT {_MODIFY_COLUMNS} FROM risk.order_modifies")
        return [ModifyRow(**row) for row in rows]

    async def broker_fill_ids(self) -> set[tuple[uuid.UUID, str]]:
        rows = await self._rows("SELECT account_id, broker_fill_id FROM risk.fills")
        return {(r["account_id"], r["broker_fill_id"]) for r in rows}

    async def list_orders(
        self,
        account_id: uuid.UUID,
        statuses: list[str],
        instrument_id: str,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[OrderRow]:
        where, params = ["account_id=%s"], [account_id]
        if statuses:
            where.append("status = ANY(%s)")
            params.append(statuses)  # type: ignore[arg-type]
        if instrument_id:
            where.append("instrument_id=%s")
            params.append(instrument_id)  # type: ignore[arg-type]
        if after is not None:
            where.append("(created_at, client_order_id) < (%s, %s)")
            params.extend(after)  # type: ignore[arg-type]
        rows = await self._rows(
            f"SELECT {_ORDER_COLUMNS} FROM risk.orders WHERE {' AND '.join(where)} "
            "ORDER BY created_at DESC, client_order_id DESC LIMIT %s",
            (*params, limit),
        )
        return [OrderRow(**row) for row in rows]

    async def list_fills(
        self, account_id: uuid.UUID, client_order_id: str, after: int | None, limit: int
    ) -> list[tuple[int, FillRow]]:
        where, params = ["account_id=%s"], [account_id]
        if client_order_id:
            where.append("client_order_id=%s")
            params.append(client_order_id)  # type: ignore[arg-type]
        if after is not None:
            where.append("seq < %s")
            params.append(after)  # type: ignore[arg-type]
        rows = await self._rows(
            f"SELECT seq, {_FILL_COLUMNS} FROM risk.fills WHERE {' AND '.join(where)} "
            "ORDER BY seq DESC LIMIT %s",
            (*params, limit),
        )
        return [(r.pop("seq"), FillRow(**r)) for r in rows]

    async def list_decisions(
        self,
        account_ids: list[uuid.UUID] | None,
        filters: dict[str, Any],
        after: int | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        where: list[str] = ["kind='decision'"]
        params: list[Any] = []
        if account_ids is not None:
            where.append("account_id = ANY(%s)")
            params.append(account_ids)
        for column in ("instrument_id", "client_order_id", "decision"):
            if filters.get(column):
                where.append(f"{column}=%s")
                params.append(filters[column])
        if filters.get("reason"):
            where.append("%s = ANY(reasons)")
            params.append(filters["reason"])
        if filters.get("start_ns") is not None:
            where.append("at_ns >= %s")
            params.append(filters["start_ns"])
        if filters.get("end_ns") is not None:
            where.append("at_ns < %s")
            params.append(filters["end_ns"])
        if after is not None:
            where.append("seq < %s")
            params.append(after)
        return await self._rows(
            "SELECT seq, body, prev_hash, entry_hash FROM risk.audit "
            f"WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT %s",
            (*params, limit),
        )

    async def decision(self, entry_id: uuid.UUID) -> dict[str, Any] | None:
        rows = await self._rows(
            "SELECT seq, body, prev_hash, entry_hash, account_id FROM risk.audit "
            "WHERE entry_id=%s AND kind='decision'",
            (entry_id,),
        )
        return rows[0] if rows else None

    async def state_changes(
        self, scope: str, scope_id: str, after: int | None, limit: int
    ) -> list[tuple[int, StateRow]]:
        where, params = ["scope=%s", "scope_id=%s"], [scope, scope_id]
        if after is not None:
            where.append("seq < %s")
            params.append(after)  # type: ignore[arg-type]
        rows = await self._rows(
            f"SELECT seq, {_STATE_COLUMNS} FROM risk.state_changes WHERE {' AND '.join(where)} "
            "ORDER BY seq DESC LIMIT %s",
            (*params, limit),
        )
        return [(r.pop("seq"), StateRow(**r)) for r in rows]

    async def audit_rows(self, first: int, last: int | None) -> list[tuple[int, str, str, str]]:
        sql = "SELECT seq, body, prev_hash, entry_hash FROM risk.audit WHERE seq >= %s"
        params: tuple[Any, ...] = (first,)
        if last is not None:
            sql += " AND seq <= %s"
            params = (first, last)
        async with self._pool.connection() as conn:
            cur = await conn.execute(sql + " ORDER BY seq", params)  # type: ignore[arg-type]
            return [(int(s), str(b), str(p), str(h)) for s, b, p, h in await cur.fetchall()]

    async def audit_hash(self, seq: int) -> str | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT entry_hash FROM risk.audit WHERE seq=%s", (seq,))
            row = await cur.fetchone()
        return None if row is None else str(row[0])
