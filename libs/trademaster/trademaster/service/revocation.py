"""Revoked tokens shared through Redis, so a revoked token stops working everywhere at once.

Two kinds of entry, both written by the gateway (which owns identity) and read by every gRPC
server's ``AuthInterceptor`` and the gateway itself before trusting a token:

* a token id (``jti``), for one revoked service token, kept until the token would expire;
* a per-subject *not-before* time: every token of that user issued before it is dead. The
  gateway writes it whenever a user is disabled, loses or gains roles, or has the password
  reset, so rights follow the user at once instead of when the access token expires. One key
  per user, no list of issued tokens to keep, and the same single Redis round trip per call
  (``MGET`` of both keys) as the token-id check alone.

Service tokens live for weeks, so their check fails closed when Redis cannot answer; user
tokens live an hour, so theirs fails open (logged) rather than taking every service down with
Redis. A positive answer ("not revoked") is cached for ``cache_ttl_s`` (2 s by default): the
bound on how long a revoked token may still be accepted by a server that just saw it.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import redis.asyncio as aioredis
from redis.exceptions import RedisError

_LOGGER = logging.getLogger(__name__)

KEY_PREFIX = "tm:auth:revoked:"
SUBJECT_PREFIX = "tm:auth:not-before:"
SUBJECT_KEY_TTL_S = 7 * 86_400
"""How long a not-before entry is kept: longer than any user token lives (1 h by default)."""


class RevocationUnavailable(Exception):
    """The revocation list could not be read."""


class RevokedTokens:
    """Redis-backed set of revoked JWT ids with a short negative cache (bounded staleness)."""

    def __init__(self, client: aioredis.Redis, *, cache_ttl_s: float = 2.0) -> None:
        self._client = client
        self._cache_ttl_s = cache_ttl_s
        self._not_revoked_until: dict[str, float] = {}

    @classmethod
    def from_url(cls, url: str, *, cache_ttl_s: float = 2.0) -> RevokedTokens:
        client = aioredis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=2.0)
        return cls(client, cache_ttl_s=cache_ttl_s)

    async def revoke(self, token_id: str, expires_at: datetime) -> None:
        """Record ``token_id`` as revoked until the token would have expired anyway."""
        seconds = int((expires_at - datetime.now(UTC)).total_seconds()) + 60
        await self._client.set(KEY_PREFIX + token_id, "1", ex=max(seconds, 60))
        self._not_revoked_until.pop(token_id, None)

    async def revoke_subject(self, subject: str, at: datetime | None = None) -> None:
        """Kill every token of ``subject`` issued before ``at`` (now by default)."""
        stamp = (at or datetime.now(UTC)).timestamp()
        await self._client.set(SUBJECT_PREFIX + subject, f"{stamp:.6f}", ex=SUBJECT_KEY_TTL_S)
        self._not_revoked_until.clear()

    async def is_revoked(
        self, token_id: str, subject: str | None = None, issued_at: float | None = None
    ) -> bool:
        """True when the token id is revoked, or ``subject``'s tokens issued before its
        not-before time are; raises ``RevocationUnavailable`` when Redis does not answer."""
        now = time.monotonic()
        if self._not_revoked_until.get(token_id, 0.0) > now:
            return False
        keys = [KEY_PREFIX + token_id]
        if subject is not None and issued_at is not None:
            keys.append(SUBJECT_PREFIX + subject)
        try:
            values = await self._client.mget(keys)
        except (RedisError, OSError) as error:
            raise RevocationUnavailable(f"revocation list unavailable: {error}") from error
        revoked = values[0] is not None
        if not revoked and len(values) > 1 and values[1] is not None:
            revoked = issued_at is not None and issued_at < float(values[1])
        if not revoked:
            if len(self._not_revoked_until) > 10_000:
                self._not_revoked_until.clear()
            self._not_revoked_until[token_id] = now + self._cache_ttl_s
        return revoked

    async def close(self) -> None:
        await self._client.aclose()
