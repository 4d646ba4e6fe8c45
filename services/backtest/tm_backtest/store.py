"""PostgreSQL persistence for backtests (schema ``backtest``), owner-scoped."""

from __future__ import annotations

import builtins
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from trademaster.service.lifecycle import BACKTEST, JobState
from trademaster.service.paging import decode_page_token, encode_page_token

_LOGGER = logging.getLogger(__name__)

_COLUMNS = (
    "id, owner, state, config, failure_reason, progress, summary_metrics, training_job_id, "
    "created_at, updated_at, started_at, ended_at, resource_usage"
)
FINAL_STATES = frozenset(s.value for s in BACKTEST.final)
ACTIVE_STATES = sorted(s.value for s in BACKTEST.active)
"""States that count against the concurrent-backtest quota."""


class TooManyActiveBacktests(Exception):
    """The owner already has ``active`` backtests, the most their quota allows."""

    def __init__(self, owner: str, active: int) -> None:
        super().__init__(f"user {owner!r} has {active} active backtests")
        self.active = active


@dataclass(frozen=True)
class BacktestRecord:
    id: uuid.UUID
    owner: str
    state: str
    config: dict[str, Any]
    failure_reason: str
    progress: float
    summary_metrics: dict[str, float]
    training_job_id: str
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    resource_usage: dict[str, float]


def clean_json(value: Any) -> Any:
    """JSON for jsonb: non-finite floats become None (PostgreSQL rejects NaN/Infinity)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    return value


class BacktestStore:
    """Reads and writes ``backtest.*``; ``owner=None`` means any owner (admins)."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def create(
        self,
        owner: str,
        config: dict[str, Any],
        request_id: str,
        training_job_id: str,
        max_active: float | None = None,
    ) -> tuple[BacktestRecord, bool]:
        """Insert a QUEUED backtest; returns (record, created) — a repeated request id of the
        same owner returns the first backtest with created=False. Raises
        TooManyActiveBacktests over ``max_active`` (None: no limit); a per-owner advisory lock
        makes count-then-insert atomic against concurrent creates."""
        async with (
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=dict_row) as cur,
        ):
            await cur.execute(
                "SELECT pg_advisory_xact_lock(hashtext('tm-backtest-owner:' || %s))", (owner,)
            )
            if request_id:
                await cur.execute(
                    f"SELECT {_COLUMNS} FROM backtest.backtests WHERE owner=%s AND request_id=%s",
                    (owner, request_id),
                )
                row = await cur.fetchone()
                if row is not None:
                    return BacktestRecord(**row), False
            if max_active is not None:
                await cur.execute(
                    "SELECT count(*) AS n FROM backtest.backtests "
                    "WHERE owner = %s AND state = ANY(%s)",
                    (owner, ACTIVE_STATES),
                )
                counted = await cur.fetchone()
                active = int(counted["n"]) if counted else 0
                if active + 1 > max_active:
                    raise TooManyActiveBacktests(owner, active)
            await cur.execute(
                f"INSERT INTO backtest.backtests (id, owner, config, request_id, training_job_id) "
                f"VALUES (%s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
                (uuid.uuid4(), owner, Jsonb(config), request_id or None, training_job_id),
            )
            row = await cur.fetchone()
        assert row is not None
        return BacktestRecord(**row), True

    async def get(self, backtest_id: uuid.UUID, owner: str | None) -> BacktestRecord | None:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM backtest.backtests "
                f"WHERE id=%s AND (%s::text IS NULL OR owner=%s)",
                (backtest_id, owner, owner),
            )
            row = await cur.fetchone()
        return None if row is None else BacktestRecord(**row)

    async def list(
        self,
        owner: str | None,
        page_size: int,
        page_token: str,
        states: builtins.list[str],
        training_job_id: str,
        shared_with: str | None = None,
    ) -> tuple[builtins.list[BacktestRecord], str]:
        """Newest first; with ``shared_with`` only those shared with that user."""
        where = ["(%s::text IS NULL OR owner=%s)"]
        params: builtins.list[object] = [owner, owner]
        if shared_with is not None:
            where.append(
                "id IN (SELECT resource_id FROM backtest.backtest_shares WHERE user_id = %s)"
            )
            params.append(shared_with)
        if states:
            where.append("state = ANY(%s)")
            params.append(states)
        if training_job_id:
            where.append("training_job_id = %s")
            params.append(training_job_id)
        if page_token:
            created, ident = decode_page_token(page_token, datetime.fromisoformat, uuid.UUID)
            where.append("(created_at, id) < (%s, %s)")
            params += [created, ident]
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM backtest.backtests WHERE {' AND '.join(where)} "
                f"ORDER BY created_at DESC, id DESC LIMIT %s",
                [*params, page_size + 1],
            )
            rows = await cur.fetchall()
        records = [BacktestRecord(**r) for r in rows[:page_size]]
        more = len(rows) > page_size
        token = (
            encode_page_token(records[-1].created_at.isoformat(), records[-1].id) if more else ""
        )
        return records, token

    async def transition(
        self,
        backtest_id: uuid.UUID,
        state: str,
        *,
        expected: builtins.list[str] | None = None,
        failure_reason: str = "",
        progress: float | None = None,
    ) -> BacktestRecord | None:
        """Move to ``state`` if currently in ``expected`` (default: every state the transition
        table lets reach ``state``); None if not moved. A forbidden edge raises
        ``IllegalTransition``."""
        sources = BACKTEST.sources(state, expected)
        sets = ["state=%s", "updated_at=now()", "failure_reason=%s"]
        params: builtins.list[Any] = [state, failure_reason]
        if progress is not None:
            sets.append("progress=%s")
            params.append(progress)
        if state == JobState.RUNNING:
            sets.append("started_at=now()")
        if state in FINAL_STATES:
            sets.append("ended_at=now()")
        params += [backtest_id, sources]
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"UPDATE backtest.backtests SET {', '.join(sets)} "
                f"WHERE id=%s AND state = ANY(%s) RETURNING {_COLUMNS}",
                params,
            )
            row = await cur.fetchone()
        return None if row is None else BacktestRecord(**row)

    async def set_progress(self, backtest_id: uuid.UUID, progress: float) -> bool:
        """Raise the stored progress of a running backtest (never lowers it); False when the
        backtest is no longer running."""
        async with self._pool.connection() as conn, conn.cursor() as cur:
            await cur.execute(
                "UPDATE backtest.backtests SET progress=GREATEST(progress, %s), updated_at=now() "
                "WHERE id=%s AND state = ANY(%s)",
                (
                    min(max(progress, 0.0), 1.0),
                    backtest_id,
                    [JobState.RUNNING.value, JobState.CANCELLING.value],
                ),
            )
            return cur.rowcount > 0

    async def unfinished(self) -> builtins.list[BacktestRecord]:
        """Every backtest (any owner) not yet final, oldest first."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM backtest.backtests "
                f"WHERE state = ANY(%s) ORDER BY created_at, id",
                (sorted(s.value for s in BACKTEST.active),),
            )
            rows = await cur.fetchall()
        return [BacktestRecord(**r) for r in rows]

    async def save_result(self, backtest_id: uuid.UUID, result: dict[str, Any]) -> None:
        """Store the result and mark SUCCEEDED (unless a cancel got there first)."""
        summary_keys = (
            "total_return",
            "annualized_return",
            "sharpe_ratio",
            "max_drawdown",
            "num_trades",  # the paper promotion gate's min_backtest_trades
        )
        summary = {k: result["metrics"][k] for k in summary_keys if k in result["metrics"]}
        async with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            await cur.execute(
                "INSERT INTO backtest.results "
                "(backtest_id, metrics, equity, regimes, artifacts, dynamics, resource_history) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (backtest_id) DO NOTHING",
                (
                    backtest_id,
                    Jsonb(clean_json(result["metrics"])),
                    Jsonb(clean_json(result["equity"])),
                    Jsonb(clean_json(result["regimes"])),
                    Jsonb(result["artifacts"]),
                    Jsonb(clean_json(result.get("dynamics", []))),
                    Jsonb(clean_json(result.get("resource_history", []))),
                ),
            )
            await cur.executemany(
                "INSERT INTO backtest.trades (backtest_id, seq, time, asset, side, effect, "
                "quantity, price, fee, slippage, realized_pnl) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [
                    (
                        backtest_id,
                        i,
                        t["time"],
                        t["asset"],
                        t["side"],
                        t["effect"],
                        t["quantity"],
                        t["price"],
                        t["fee"],
                        t["slippage"],
                        t["realized_pnl"],
                    )
                    for i, t in enumerate(result["trades"])
                ],
            )
            await cur.execute(
                "UPDATE backtest.backtests SET state=%s, progress=1, summary_metrics=%s, "
                "resource_usage=%s, "
                "started_at=COALESCE(started_at, now()), updated_at=now(), ended_at=now() "
                "WHERE id=%s AND state = ANY(%s)",
                (
                    JobState.SUCCEEDED.value,
                    Jsonb(clean_json(summary)),
                    Jsonb(clean_json(result.get("resource_usage", {}))),
                    backtest_id,
                    BACKTEST.sources(JobState.SUCCEEDED, [JobState.QUEUED, JobState.RUNNING]),
                ),
            )

    async def result(self, backtest_id: uuid.UUID) -> dict[str, Any] | None:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "SELECT metrics, equity, regimes, artifacts, dynamics, resource_history "
                "FROM backtest.results "
                "WHERE backtest_id=%s",
                (backtest_id,),
            )
            return await cur.fetchone()

    async def trades(
        self, backtest_id: uuid.UUID, after_seq: int, limit: int
    ) -> tuple[builtins.list[dict[str, Any]], int | None]:
        """Trades with seq > after_seq (at most ``limit``) and the last seq if more remain."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "SELECT seq, time, asset, side, effect, quantity, price, fee, slippage, "
                "realized_pnl FROM backtest.trades WHERE backtest_id=%s AND seq > %s "
                "ORDER BY seq LIMIT %s",
                (backtest_id, after_seq, limit + 1),
            )
            rows = await cur.fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (rows[-1]["seq"] if more else None)
