"""Backoff after failed logins, per username and per client address, to slow down guessing."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Failures:
    count: int
    locked_until: float


class LoginThrottle:
    """After ``free_attempts`` consecutive failures a username is locked for a delay that doubles
    with each further failure, capped at ``max_delay_s``. A success clears the record.

    In-process only: with several gateway replicas each keeps its own counts, which still bounds
    the guess rate per replica.
    """

    def __init__(
        self,
        free_attempts: int = 5,
        base_delay_s: float = 1.0,
        max_delay_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if free_attempts < 1:
            raise ValueError(f"free_attempts must be >= 1, was {free_attempts}")
        self._free = free_attempts
        self._base = base_delay_s
        self._max = max_delay_s
        self._clock = clock
        self._failures: dict[str, _Failures] = {}
        self._max_keys = max_keys

    def retry_after_s(self, username: str) -> float:
        """Seconds the username must wait before trying again (0 when allowed now)."""
        record = self._failures.get(username)
        if record is None:
            return 0.0
        return max(0.0, record.locked_until - self._clock())

    def record_failure(self, username: str) -> None:
        if username not in self._failures and len(self._failures) >= self._max_keys:
            self._forget_unlocked()
        record = self._failures.setdefault(username, _Failures(0, 0.0))
        record.count += 1
        over = record.count - self._free
        if over >= 0:
            record.locked_until = self._clock() + min(self._max, self._base * 2**over)

    def record_success(self, username: str) -> None:
        self._failures.pop(username, None)

    def _forget_unlocked(self) -> None:
        """Bound memory under a flood of random usernames: drop keys not locked right now."""
        now = self._clock()
        self._failures = {k: v for k, v in self._failures.items() if v.locked_until > now}
