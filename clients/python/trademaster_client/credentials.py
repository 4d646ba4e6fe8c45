"""Credentials: a service token used as is, or a password login refreshed before it expires.

Both end up as ``authorization: Bearer <jwt>`` metadata. The client keeps one
:class:`TokenCache` per credentials object, shared by every service it talks to.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import grpc

from trademaster_client.errors import UnauthenticatedError

Clock = Callable[[], float]


@dataclass(frozen=True)
class Token:
    """A bearer token and when it stops being accepted (UNIX seconds; ``inf`` if unknown)."""

    value: str
    expires_at: float


def jwt_expiry(token: str) -> float:
    """The ``exp`` claim of a JWT (not verified: only the server can); ``inf`` if absent."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return float("inf")


@dataclass(frozen=True)
class ServiceToken:
    """A long-lived token from ``IdentityService.CreateServiceToken`` (or ``tm`` admin tools).

    It cannot be refreshed: once it expires the client raises ``UnauthenticatedError`` with
    reason ``TOKEN_EXPIRED`` before calling; ask an admin for a new one."""

    token: str


@dataclass(frozen=True)
class PasswordLogin:
    """A user name and password, exchanged by ``IdentityService.Login`` for a short-lived JWT.

    The client logs in again ``refresh_margin_s`` before the token expires (or at half its
    lifetime for short tokens), and once more if the server reports ``TOKEN_EXPIRED``."""

    username: str
    password: str
    refresh_margin_s: float = 60.0

    def __repr__(self) -> str:
        return f"PasswordLogin(username={self.username!r}, password=***)"


Credentials = ServiceToken | PasswordLogin


def _refresh_at(token: Token, issued_at: float, margin_s: float) -> float:
    lifetime = token.expires_at - issued_at
    return token.expires_at - min(margin_s, lifetime / 2)


class _State:
    def __init__(self, credentials: Credentials | None, clock: Clock) -> None:
        self.credentials = credentials
        self.clock = clock
        self.token: Token | None = None
        self.refresh_at = float("-inf")
        self.logins = 0
        if isinstance(credentials, ServiceToken):
            self.token = Token(credentials.token, jwt_expiry(credentials.token))
            self.refresh_at = float("inf")

    def fresh(self) -> str | None:
        """The token if it needs no login now; raises if a service token has expired."""
        if self.credentials is None:
            return None
        if isinstance(self.credentials, ServiceToken):
            assert self.token is not None
            if self.clock() >= self.token.expires_at:
                raise UnauthenticatedError(
                    grpc.StatusCode.UNAUTHENTICATED,
                    "TOKEN_EXPIRED",
                    "the service token has expired",
                )
            return self.token.value
        if self.token is not None and self.clock() < self.refresh_at:
            return self.token.value
        return None

    def store(self, token: Token, issued_at: float) -> str:
        assert isinstance(self.credentials, PasswordLogin)
        self.token = token
        self.refresh_at = _refresh_at(token, issued_at, self.credentials.refresh_margin_s)
        self.logins += 1
        return token.value

    def invalidate(self, value: str) -> bool:
        """Forget ``value`` after the server rejected it; True if a login can replace it."""
        if not isinstance(self.credentials, PasswordLogin):
            return False
        if self.token is not None and self.token.value == value:
            self.token = None
        return True


class TokenCache:
    """Thread-safe token for sync clients; ``login`` calls ``IdentityService.Login``."""

    def __init__(
        self,
        credentials: Credentials | None,
        login: Callable[[str, str], Token],
        clock: Clock = time.time,
    ) -> None:
        self._state = _State(credentials, clock)
        self._login = login
        self._lock = threading.Lock()

    @property
    def logins(self) -> int:
        """How many times a password login ran (for tests and metrics)."""
        return self._state.logins

    def token(self) -> str | None:
        with self._lock:
            value = self._state.fresh()
            if value is not None or self._state.credentials is None:
                return value
            credentials = self._state.credentials
            assert isinstance(credentials, PasswordLogin)
            issued_at = self._state.clock()
            return self._state.store(
                self._login(credentials.username, credentials.password), issued_at
            )

    def invalidate(self, value: str) -> bool:
        with self._lock:
            return self._state.invalidate(value)


class AsyncTokenCache:
    """The asyncio twin of :class:`TokenCache`; one login at a time per cache."""

    def __init__(
        self,
        credentials: Credentials | None,
        login: Callable[[str, str], Awaitable[Token]],
        clock: Clock = time.time,
    ) -> None:
        self._state = _State(credentials, clock)
        self._login = login
        self._lock = asyncio.Lock()

    @property
    def logins(self) -> int:
        return self._state.logins

    async def token(self) -> str | None:
        async with self._lock:
            value = self._state.fresh()
            if value is not None or self._state.credentials is None:
                return value
            credentials = self._state.credentials
            assert isinstance(credentials, PasswordLogin)
            issued_at = self._state.clock()
            token = await self._login(credentials.username, credentials.password)
            return self._state.store(token, issued_at)

    async def invalidate(self, value: str) -> bool:
        async with self._lock:
            return self._state.invalidate(value)
