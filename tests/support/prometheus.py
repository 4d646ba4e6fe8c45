"""Waiting on a real Prometheus' scrape results."""

from __future__ import annotations

import time

from trademaster.service.localstack import PrometheusServer


def wait_all_up(server: PrometheusServer, jobs: set[str], timeout_s: float = 120) -> dict[str, str]:
    """Poll the target API until every job in ``jobs`` reports ``up`` or ``timeout_s`` passes;
    returns the last ``{job: health}`` seen (the caller asserts on it)."""
    deadline = time.monotonic() + timeout_s
    health: dict[str, str] = {}
    while time.monotonic() < deadline:
        health = server.target_health()
        if set(health) == jobs and set(health.values()) == {"up"}:
            break
        time.sleep(1)
    return health
