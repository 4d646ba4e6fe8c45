"""Per-username login backoff."""

from __future__ import annotations

import pytest
from tm_gateway.login_throttle import LoginThrottle

pytestmark = pytest.mark.unit


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_free_attempts_then_doubling_lockout_capped() -> None:
    clock = _Clock()
    throttle = LoginThrottle(free_attempts=3, base_delay_s=1.0, max_delay_s=4.0, clock=clock)
    for _ in range(2):
        throttle.record_failure("eve")
    assert throttle.retry_after_s("eve") == 0.0
    delays = []
    for _ in range(4):
        throttle.record_failure("eve")
        delays.append(throttle.retry_after_s("eve"))
    assert delays == [1.0, 2.0, 4.0, 4.0]
    assert throttle.retry_after_s("alice") == 0.0
    clock.now += 4.0
    assert throttle.retry_after_s("eve") == 0.0


def test_success_clears_failures() -> None:
    clock = _Clock()
    throttle = LoginThrottle(free_attempts=1, clock=clock)
    throttle.record_failure("bob")
    assert throttle.retry_after_s("bob") > 0
    throttle.record_success("bob")
    assert throttle.retry_after_s("bob") == 0.0


def test_rejects_zero_free_attempts() -> None:
    with pytest.raises(ValueError, match="free_attempts must be >= 1, was 0"):
        LoginThrottle(free_attempts=0)
