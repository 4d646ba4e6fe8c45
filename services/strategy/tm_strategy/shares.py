"""Read-only shares of strategies (``strategy.strategy_shares``): who besides the owner may read.

Every call is scoped to the strategy's owner (``owner`` None = any owner, for admins), so a
caller who does not own the strategy finds nothing to share, list or withdraw.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

_LOGGER = logging.getLogger(__name__)

MAX_SHARES = 100
"""Users one strategy may be shared with (bounds the share list and each check)."""

_OWNED = "SELECT 1 FROM strategy.strategies WHERE id = %s AND (%s::text IS NULL OR owner = %s)"


@dataclass(frozen=True)
class ShareRecord:
    strategy_id: uuid.UUID
    user_id: str
    created_at: datetime


class TooManyShares(Exception):
    """The strategy is already shared with :data:`MAX_SHARES` users."""


class ShareStore:
    """Creates, lists and withdraws shares of strategies the caller owns."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def share(
        self, strategy_id: uuid.UUID, owner: str | None, user_id: str
    ) -> ShareRecord | None:
        """The (new or existing) share; None when ``owner`` has no such strategy.

        Raises:
            TooManyShares: the strategy has :data:`MAX_SHARES` shares already.
        """
        async with (
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=dict_row) as cur,
        ):
            # FOR UPDATE: concurrent shares of one strategy count against the cap one at a time.
            await cur.execute(_OWNED + " FOR UPDATE", (strategy_id, owner, owner))
            if await cur.fetchone() is None:
                return None
            await cur.execute(
                "SELECT count(*) AS n FROM strategy.strategy_shares WHERE strategy_id = %s",
                (strategy_id,),
            )
            counted = await cur.fetchone()
            await cur.execute(
                "INSERT INTO strategy.strategy_shares (strategy_id, user_id) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING RETURNING strategy_id, user_id, created_at",
                (strategy_id, user_id),
            )
            row = await cur.fetchone()
            if row is None:
                await cur.execute(
                    "SELECT strategy_id, user_id, created_at FROM strategy.strategy_shares "
                    "WHERE strategy_id = %s AND user_id = %s",
                    (strategy_id, user_id),
                )
                row = await cur.fetchone()
            elif counted is not None and counted["n"] >= MAX_SHARES:
                raise TooManyShares(f"strategy {strategy_id} is shared with {MAX_SHARES} users")
        assert row is not None
        _LOGGER.info("strategy shared strategy.id=%s user.id=%s", strategy_id, user_id)
        return ShareRecord(**row)

    async def unshare(self, strategy_id: uuid.UUID, owner: str | None, user_id: str) -> bool:
        """Withdraw a share; False when the strategy is not the owner's or has no such share."""
        async with self._pool.connection() as conn, conn.cursor() as cur:
            await cur.execute(
                f"DELETE FROM strategy.strategy_shares WHERE strategy_id = %s AND user_id = %s "
                f"AND EXISTS ({_OWNED})",
                (strategy_id, user_id, strategy_id, owner, owner),
            )
            removed = cur.rowcount > 0
        if removed:
            _LOGGER.info("strategy unshared strategy.id=%s user.id=%s", strategy_id, user_id)
        return removed

    async def list(self, strategy_id: uuid.UUID, owner: str | None) -> list[ShareRecord] | None:
        """The strategy's shares, oldest first; None when ``owner`` has no such strategy."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(_OWNED, (strategy_id, owner, owner))
            if await cur.fetchone() is None:
                return None
            await cur.execute(
                "SELECT strategy_id, user_id, created_at FROM strategy.strategy_shares "
                "WHERE strategy_id = %s ORDER BY created_at, user_id",
                (strategy_id,),
            )
            rows = await cur.fetchall()
        return [ShareRecord(**r) for r in rows]
