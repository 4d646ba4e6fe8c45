"""PostgreSQL storage of alert rules, alerts and their deliveries (schema ``notifier``).

An event raises at most one alert per rule (``UNIQUE (rule_id, event_id)``), and the alert and
its delivery rows are inserted in one transaction: an event read twice after a crash is
deduplicated, and no alert exists without the deliveries it owes (the outbox pattern).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg_pool
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

PENDING, DELIVERED, DEAD = "PENDING", "DELIVERED", "DEAD"
WEBHOOK, EMAIL = "webhook", "email"


@dataclass(frozen=True)
class RuleRecord:
    id: uuid.UUID
    owner_id: str
    name: str
    event_types: list[str]
    topic_prefix: str
    match: dict[str, str]
    platform: bool
    in_app: bool
    webhook_url: str
    webhook_format: str
    webhook_secret: str = field(repr=False)
    email_to: str
    created_at: datetime


@dataclass(frozen=True)
class AlertRecord:
    id: uuid.UUID
    rule_id: uuid.UUID
    owner_id: str
    event_id: str
    event_type: str
    topic: str
    title: str
    payload: dict[str, Any]
    in_app: bool
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class DeliveryRecord:
    id: uuid.UUID
    alert_id: uuid.UUID
    owner_id: str
    channel: str
    target: str
    status: str
    attempts: int
    last_error: str
    last_http_status: int
    next_attempt_at: datetime
    updated_at: datetime


_RULE = (
    "id, owner_id, name, event_types, topic_prefix, match, platform, in_app, webhook_url, "
    "webhook_format, webhook_secret, email_to, created_at"
)
_ALERT = (
    "id, rule_id, owner_id, event_id, event_type, topic, title, payload, in_app, created_at, "
    "read_at"
)
_DELIVERY = (
    "id, alert_id, owner_id, channel, target, status, attempts, last_error, last_http_status, "
    "next_attempt_at, updated_at"
)


@dataclass(frozen=True)
class Attempt:
    """The outcome of one delivery attempt."""

    id: uuid.UUID
    status: str
    error: str
    http_status: int
    retry_in: timedelta | None


Keyset = tuple[datetime, uuid.UUID] | None
"""The last row of the previous page: ``(time, id)``, newest first."""


class AlertStore:
    """Queries of the ``notifier`` schema; owner filters are ``None`` for every owner."""

    def __init__(self, pool: psycopg_pool.AsyncConnectionPool) -> None:
        self._pool = pool

    async def _all(self, query: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)  # type: ignore[arg-type]
            return list(await cur.fetchall())

    async def create_rule(self, rule: RuleRecord) -> RuleRecord:
        rows = await self._all(
            f"INSERT INTO alert_rules ({_RULE}) VALUES "
            f"(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now()) RETURNING {_RULE}",
            (
                rule.id, rule.owner_id, rule.name, rule.event_types, rule.topic_prefix,
                Jsonb(rule.match), rule.platform, rule.in_app, rule.webhook_url,
                rule.webhook_format, rule.webhook_secret, rule.email_to,
            ),
        )  # fmt: skip
        return RuleRecord(**rows[0])

    async def rules(
        self, owner: str | None, limit: int | None = None, after: Keyset = None
    ) -> list[RuleRecord]:
        """Rules of ``owner`` (None: all), newest first."""
        where, params = _page_filter("created_at", owner, after)
        query = f"SELECT {_RULE} FROM alert_rules {where} ORDER BY created_at DESC, id DESC"
        if limit is not None:
            query += " LIMIT %s"
            params = (*params, limit)
        return [RuleRecord(**r) for r in await self._all(query, params)]

    async def delete_rule(self, rule_id: uuid.UUID, owner: str | None) -> bool:
        rows = await self._all(
            "DELETE FROM alert_rules WHERE id = %s AND (%s::text IS NULL OR owner_id = %s) "
            "RETURNING id",
            (rule_id, owner, owner),
        )
        return bool(rows)

    async def raise_alerts(self, raised: list[tuple[AlertRecord, list[tuple[str, str]]]]) -> int:
        """Store alerts with their ``(channel, target)`` deliveries in one transaction (one
        commit for a whole feed read); an alert a rule already raised for its event (a
        redelivered entry) is skipped. Returns how many were new."""
        new = 0
        async with self._pool.connection() as conn, conn.transaction():
            cur = conn.cursor()
            for alert, deliveries in raised:
                await cur.execute(
                    "INSERT INTO alerts (id, rule_id, owner_id, event_id, event_type, topic, "
                    "title, payload, in_app, created_at) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, now()) "
                    "ON CONFLICT (rule_id, event_id) DO NOTHING RETURNING id",
                    (
                        alert.id, alert.rule_id, alert.owner_id, alert.event_id,
                        alert.event_type, alert.topic, alert.title, Jsonb(alert.payload),
                        alert.in_app,
                    ),
                )  # fmt: skip
                if await cur.fetchone() is None:
                    continue
                new += 1
                if deliveries:
                    await cur.executemany(
                        "INSERT INTO alert_deliveries (id, alert_id, owner_id, channel, target) "
                        "VALUES (%s, %s, %s, %s, %s)",
                        [(uuid.uuid4(), alert.id, alert.owner_id, c, t) for c, t in deliveries],
                    )
        return new

    async def alerts(
        self, owner: str, *, unread_only: bool, limit: int, after: Keyset = None
    ) -> list[AlertRecord]:
        where, params = _page_filter("created_at", owner, after)
        where += " AND in_app" + (" AND read_at IS NULL" if unread_only else "")
        rows = await self._all(
            f"SELECT {_ALERT} FROM alerts {where} ORDER BY created_at DESC, id DESC LIMIT %s",
            (*params, limit),
        )
        return [AlertRecord(**r) for r in rows]

    async def unread_count(self, owner: str) -> int:
        rows = await self._all(
            "SELECT count(*) AS n FROM alerts WHERE owner_id = %s AND in_app AND read_at IS NULL",
            (owner,),
        )
        return int(rows[0]["n"])

    async def mark_read(self, owner: str, alert_ids: list[uuid.UUID] | None) -> int:
        """Mark ``alert_ids`` (None: all) of ``owner`` read; returns how many changed."""
        rows = await self._all(
            "UPDATE alerts SET read_at = now() WHERE owner_id = %s AND read_at IS NULL "
            "AND (%s::uuid[] IS NULL OR id = ANY(%s::uuid[])) RETURNING id",
            (owner, alert_ids, alert_ids),
        )
        return len(rows)

    async def deliveries(
        self,
        owner: str | None,
        *,
        alert_id: uuid.UUID | None,
        dead_only: bool,
        limit: int,
        after: Keyset = None,
    ) -> list[DeliveryRecord]:
        where, params = _page_filter("updated_at", owner, after)
        if alert_id is not None:
            where += " AND alert_id = %s"
            params = (*params, alert_id)
        if dead_only:
            where += f" AND status = '{DEAD}'"
        rows = await self._all(
            f"SELECT {_DELIVERY} FROM alert_deliveries {where} "
            f"ORDER BY updated_at DESC, id DESC LIMIT %s",
            (*params, limit),
        )
        return [DeliveryRecord(**r) for r in rows]

    async def replay(self, delivery_id: uuid.UUID, owner: str | None) -> DeliveryRecord | None:
        """Queue a DEAD delivery again (attempts reset); a PENDING/DELIVERED one is unchanged."""
        rows = await self._all(
            f"UPDATE alert_deliveries SET status = CASE WHEN status = '{DEAD}' THEN "
            f"'{PENDING}' ELSE status END, attempts = CASE WHEN status = '{DEAD}' THEN 0 "
            f"ELSE attempts END, next_attempt_at = now(), updated_at = now() "
            f"WHERE id = %s AND (%s::text IS NULL OR owner_id = %s) RETURNING {_DELIVERY}",
            (delivery_id, owner, owner),
        )
        return DeliveryRecord(**rows[0]) if rows else None

    async def contexts(
        self, alert_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[AlertRecord, RuleRecord | None]]:
        """Each alert with its rule (None once deleted), in one query for a batch."""
        alert_cols = ", ".join(f"a.{c} AS a_{c}" for c in _ALERT.split(", "))
        rule_cols = ", ".join(f"r.{c} AS r_{c}" for c in _RULE.split(", "))
        rows = await self._all(
            f"SELECT {alert_cols}, {rule_cols} FROM alerts a "
            f"LEFT JOIN alert_rules r ON r.id = a.rule_id WHERE a.id = ANY(%s)",
            (alert_ids,),
        )
        out: dict[uuid.UUID, tuple[AlertRecord, RuleRecord | None]] = {}
        for row in rows:
            alert = AlertRecord(**{k[2:]: v for k, v in row.items() if k.startswith("a_")})
            rule_fields = {k[2:]: v for k, v in row.items() if k.startswith("r_")}
            rule = RuleRecord(**rule_fields) if rule_fields["id"] is not None else None
            out[alert.id] = (alert, rule)
        return out

    async def claim_due(self, limit: int, lease: timedelta) -> list[DeliveryRecord]:
        """Pending deliveries that are due, leased for ``lease`` so that another worker (or this
        one after a crash) retries them only once the lease ran out."""
        rows = await self._all(
            f"UPDATE alert_deliveries SET next_attempt_at = now() + %s WHERE id IN ("
            f"SELECT id FROM alert_deliveries WHERE status = '{PENDING}' "
            f"AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT %s "
            f"FOR UPDATE SKIP LOCKED) RETURNING {_DELIVERY}",
            (lease, limit),
        )
        return [DeliveryRecord(**r) for r in rows]

    async def record_attempts(self, attempts: list[Attempt]) -> None:
        """The outcomes of one round of deliveries, in one transaction."""
        async with self._pool.connection() as conn, conn.transaction():
            await conn.cursor().executemany(
                "UPDATE alert_deliveries SET status = %s, attempts = attempts + 1, "
                "last_error = %s, last_http_status = %s, next_attempt_at = now() + %s, "
                "updated_at = now() WHERE id = %s",
                [
                    (a.status, a.error[:500], a.http_status, a.retry_in or timedelta(0), a.id)
                    for a in attempts
                ],
            )


def _page_filter(column: str, owner: str | None, after: Keyset) -> tuple[str, tuple[Any, ...]]:
    """``WHERE`` clause for an owner filter and a newest-first keyset."""
    clauses: list[str] = ["TRUE"]
    params: list[Any] = []
    if owner is not None:
        clauses.append("owner_id = %s")
        params.append(owner)
    if after is not None:
        clauses.append(f"({column}, id) < (%s, %s)")
        params.extend(after)
    return "WHERE " + " AND ".join(clauses), tuple(params)
