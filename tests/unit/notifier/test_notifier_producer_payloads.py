"""Events that producers publish parse into the typed notifier.v1 Event (else subscribers drop
them with ``subscribe.bad_envelope``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tm_notifier.envelopes import to_event
from trademaster.service.events import EventEnvelope

pytestmark = pytest.mark.unit


def _envelope(type_: str, payload: dict) -> EventEnvelope:
    return EventEnvelope(
        event_id="backtest/b1@1-0",
        time=datetime.now(UTC),
        topic="backtest/b1",
        owner_id="alice",
        type=type_,
        payload=payload,
    )


def test_backtest_service_events_parse_as_typed_payloads() -> None:
    progress = to_event(_envelope("backtest_progress", {"backtest_id": "b1", "fraction": 0.25}))
    changed = to_event(
        _envelope(
            "job_state_changed",
            {"job_id": "b1", "job_kind": "backtest", "new_state": "RUNNING", "reason": ""},
        )
    )
    finished = to_event(
        _envelope(
            "backtest_finished",
            {"backtest_id": "b1", "state": "SUCCEEDED", "metrics": {"total_return": 0.1}},
        )
    )

    assert progress.backtest_progress.fraction == 0.25
    assert changed.job_state_changed.new_state == "RUNNING"
    assert finished.backtest_finished.metrics["total_return"] == pytest.approx(0.1)
