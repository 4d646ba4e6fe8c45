"""Domain metric families of the kit: state counts, risk decisions, event publishing names."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from trademaster.service import domain_metrics as dm

pytestmark = pytest.mark.unit


async def test_state_counts_export_every_state_and_the_queue_depth() -> None:
    registry = CollectorRegistry()
    answers = [{"QUEUED": 2, "RUNNING": 1}, {"RUNNING": 1, "FAILED": 1}]

    async def count() -> dict[str, int]:
        return answers.pop(0)

    counts = dm.StateCounts("unit", "jobs", count, registry=registry)
    await counts.refresh()
    assert registry.get_sample_value("tm_unit_jobs", {"state": "QUEUED"}) == 2
    assert registry.get_sample_value("tm_unit_jobs", {"state": "SUCCEEDED"}) == 0
    assert registry.get_sample_value("tm_unit_queue_depth_jobs") == 2
    await counts.refresh()  # a state that emptied goes back to 0, not stale
    assert registry.get_sample_value("tm_unit_jobs", {"state": "QUEUED"}) == 0
    assert registry.get_sample_value("tm_unit_jobs", {"state": "FAILED"}) == 1
    assert registry.get_sample_value("tm_unit_queue_depth_jobs") == 0


def test_risk_decisions_count_once_per_reason() -> None:
    registry = CollectorRegistry()
    risk = dm.risk_metrics(registry)
    risk.record_decision("DENY", ["MAX_POSITION", "MAX_NOTIONAL"], 0.002)
    risk.record_decision("ALLOW", [], 0.001)
    decisions = "tm_risk_order_decisions_total"
    assert registry.get_sample_value(decisions, {"decision": "DENY", "reason": "MAX_POSITION"}) == 1
    assert registry.get_sample_value(decisions, {"decision": "ALLOW", "reason": "none"}) == 1
    assert registry.get_sample_value("tm_risk_check_duration_seconds_count") == 2
    assert dm.risk_metrics(registry) is risk  # created once per registry


def test_a_service_lists_its_families_before_the_first_sample() -> None:
    registry = CollectorRegistry()
    dm.set_process_service("risk", registry)
    text = generate_latest(registry).decode()
    for name in (
        "tm_risk_events_published_total",
        "tm_risk_order_decisions_total",
        "tm_risk_check_duration_seconds",
        "tm_risk_kill_switch_engaged",
    ):
        assert f"# TYPE {name} " in text, name
    assert dm.process_service() == "risk"


async def test_poller_keeps_refreshing_after_a_failure() -> None:
    calls: list[str] = []
    done = asyncio.Event()

    async def failing() -> None:
        calls.append("fail")
        raise RuntimeError("database down")

    async def working() -> None:
        calls.append("ok")
        if calls.count("ok") == 2:
            done.set()

    poller = dm.Poller([failing, working], interval_s=0)
    poller.start()
    await done.wait()
    await poller.stop()
    assert calls[:4] == ["fail", "ok", "fail", "ok"]
