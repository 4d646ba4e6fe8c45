"""Revoked token ids shared through Redis, so a revoked service token stops working everywhere.

The gateway owns service tokens (identity schema) and, on revoke, writes the token id here with
an expiry equal to the token's; every gRPC server's ``AuthInterceptor`` asks before trusting a
token. Service tokens live for weeks, so their check fails closed when Redis cannot answer; user
tokens live an hour, so theirs fails open (logged) rather than taking every service down with
Redis.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import redis.asyncio as aioredis
from redis.exceptions import RedisError

_LOGGER = logging.getLogger(__name__)

KEY_PREFIX = "tm:auth:revoked:"


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

    async def is_revoked(self, token_id: str) -> bool:
        """True when revoked; raises ``RevocationUnavailable`` when Redis does not answer."""
        now = time.monotonic()
        if self._not_revoked_until.get(token_id, 0.0) > now:
            return False
        try:
            revoked = bool(await self._client.exists(KEY_PREFIX + token_id))
        except (RedisError, OSError) as error:
            raise RevocationUnavailable(f"revocation list unavailable: {error}") from error
        if not revoked:
            if len(self._not_revoked_until) > 10_000:
                self._not_revoked_until.clear()
            self._not_revoked_until[token_id] = now + self._cache_ttl_s
        return revoked

    async def close(self) -> None:
        await self._client.aclose()
