"""Token buckets for order-rate limits (denied when empty, never queued)."""

from __future__ import annotations

import math

_NS = 1e-9


class TokenBucket:
    """``rate`` tokens per second up to ``burst``; starts full."""

    __slots__ = ("rate", "burst", "_tokens", "_last_ns")

    def __init__(self, rate: float, burst: float, now_ns: int = 0) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be > 0, was {rate}")
        self.rate = rate
        self.burst = max(1.0, burst if burst > 0 else rate)
        self._tokens = self.burst
        self._last_ns = now_ns

    def available(self, now_ns: int) -> float:
        """Tokens available at ``now_ns`` (refills lazily; never above ``burst``)."""
        if now_ns > self._last_ns:
            self._tokens = min(
                self.burst, self._tokens + (now_ns - self._last_ns) * _NS * self.rate
            )
            self._last_ns = now_ns
        return self._tokens

    def take(self, now_ns: int) -> bool:
        """Consume one token if available."""
        if self.available(now_ns) >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def give_back(self) -> None:
        """Return a token taken for an order that was never placed."""
        self._tokens = min(self.burst, self._tokens + 1.0)


def unlimited(rate: float) -> bool:
    """True when ``rate`` means "no rate limit"."""
    return not math.isfinite(rate)
