"""PostgreSQL storage of promotion policies and gate evaluations (schema ``trainer``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg_pool
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from trademaster.service.paging import decode_page_token, encode_page_token

from tm_trainer.promotion_rules import Policy, RuleResult

PENDING, APPROVED, REJECTED = "PENDING_APPROVAL", "APPROVED", "REJECTED"


@dataclass(frozen=True)
class StoredPolicy:
    owner: str
    policy: Policy
    updated_by: str
    updated_at: datetime | None


@dataclass(frozen=True)
class PromotionRecord:
    id: uuid.UUID
    owner: str
    model_id: str
    model_version: int
    account_id: str
    stage: str
    state: str
    rules: list[dict[str, Any]]
    passed: bool
    requested_by: str
    decided_by: str
    decision_reason: str
    created_at: datetime
    decided_at: datetime | None


_COLUMNS = frozenset(PromotionRecord.__dataclass_fields__)


def _record(row: dict[str, Any]) -> PromotionRecord:
    return PromotionRecord(**{k: v for k, v in row.items() if k in _COLUMNS})


class PromotionStore:
    """Policies (one row per owner) and promotions (one row per request)."""

    def __init__(self, pool: psycopg_pool.AsyncConnectionPool) -> None:
        self._pool = pool

    async def policy(self, owner: str) -> StoredPolicy:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute("SELECT * FROM promotion_policies WHERE owner = %s", (owner,))
            row = await cur.fetchone()
        if row is None:
            return StoredPolicy(owner, Policy(), "", None)
        known = {k: v for k, v in row["policy"].items() if k in Policy.__dataclass_fields__}
        return StoredPolicy(owner, Policy(**known), row["updated_by"], row["updated_at"])

    async def set_policy(self, owner: str, policy: Policy, actor: str) -> StoredPolicy:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                """
                INSERT INTO promotion_policies (owner, policy, updated_by) VALUES (%s, %s, %s)
                ON CONFLICT (owner) DO UPDATE SET policy = EXCLUDED.policy,
                    updated_by = EXCLUDED.updated_by, updated_at = now()
                RETURNING *
                """,
                (owner, Jsonb(policy.as_dict()), actor),
            )
            row = await cur.fetchone()
        assert row is not None
        return StoredPolicy(owner, policy, row["updated_by"], row["updated_at"])

    async def create(
        self,
        *,
        owner: str,
        model_id: str,
        model_version: int,
        account_id: str,
        stage: str,
        state: str,
        rules: list[RuleResult],
        requested_by: str,
    ) -> PromotionRecord:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                """
                INSERT INTO promotions (id, owner, model_id, model_version, account_id, stage,
                    state, rules, passed, requested_by)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING *
                """,
                (
                    uuid.uuid4(),
                    owner,
                    model_id,
                    model_version,
                    account_id,
                    stage,
                    state,
                    Jsonb([r.as_dict() for r in rules]),
                    all(r.passed for r in rules),
                    requested_by,
                ),
            )
            row = await cur.fetchone()
        assert row is not None
        return _record(row)

    async def get(self, ident: uuid.UUID, owner: str | None) -> PromotionRecord | None:
        query = "SELECT * FROM promotions WHERE id = %s"
        params: list[Any] = [ident]
        if owner is not None:
            query += " AND owner = %s"
            params.append(owner)
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(query.encode(), params)
            row = await cur.fetchone()
        return None if row is None else _record(row)

    async def decide(
        self, ident: uuid.UUID, state: str, rules: list[RuleResult], actor: str, reason: str
    ) -> PromotionRecord | None:
        """Move a pending promotion to ``state``; None when it was no longer pending."""
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                """
                UPDATE promotions SET state = %s, rules = %s, passed = %s, decided_by = %s,
                    decision_reason = %s, decided_at = now()
                WHERE id = %s AND state = %s RETURNING *
                """,
                (
                    state,
                    Jsonb([r.as_dict() for r in rules]),
                    all(r.passed for r in rules),
                    actor,
                    reason,
                    ident,
                    PENDING,
                ),
            )
            row = await cur.fetchone()
        return None if row is None else _record(row)

    async def approved_live(
        self, owner: str, model_id: str, model_version: int, account_id: str
    ) -> PromotionRecord | None:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                """
                SELECT * FROM promotions WHERE owner = %s AND model_id = %s
                    AND model_version = %s AND account_id = %s AND stage = 'LIVE'
                    AND state = %s
                ORDER BY decided_at DESC LIMIT 1
                """,
                (owner, model_id, model_version, account_id, APPROVED),
            )
            row = await cur.fetchone()
        return None if row is None else _record(row)

    async def list_promotions(
        self, owner: str | None, page_size: int, page_token: str, model_id: str, state: str
    ) -> tuple[list[PromotionRecord], str]:
        clauses: list[str] = ["TRUE"]
        params: list[Any] = []
        for column, value in (("owner", owner), ("model_id", model_id), ("state", state)):
            if value:
                clauses.append(f"{column} = %s")
                params.append(value)
        if page_token:
            params.extend(decode_page_token(page_token, datetime.fromisoformat, uuid.UUID))
            clauses.append("(created_at, id) < (%s, %s)")
        params.append(page_size + 1)
        query = (
            f"SELECT * FROM promotions WHERE {' AND '.join(clauses)} "
            "ORDER BY created_at DESC, id DESC LIMIT %s"
        )
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(query.encode(), params)
            rows = [_record(r) for r in await cur.fetchall()]
        if len(rows) <= page_size:
            return rows, ""
        rows = rows[:page_size]
        return rows, encode_page_token(rows[-1].created_at.isoformat(), rows[-1].id)
