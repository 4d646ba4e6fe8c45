"""Rotated JSON logs from the kit's logging setup, and searching/following them."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from trademaster.service.logs import configure_logging
from trademaster.service.ops.logsearch import (
    LogQuery,
    follow,
    format_entry,
    log_files,
    parse_since,
    search,
    services_in,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def restore_root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def _write(path: Path, service: str, times: list[datetime], message: str = "event") -> None:
    with path.open("a") as handle:
        for index, stamp in enumerate(times):
            entry = {
                "time": stamp.isoformat(timespec="milliseconds"),
                "level": "WARNING" if index % 2 else "INFO",
                "logger": f"tm_{service}",
                "message": f"{message} n={index}",
                "service": service,
                "trace_id": f"{index:032x}",
            }
            handle.write(json.dumps(entry) + "\n")


def test_logs_rotate_by_size_and_stay_under_the_cap(
    tmp_path: Path, restore_root_logging: None
) -> None:
    configure_logging("strategy", "INFO", log_dir=tmp_path, max_bytes=2048, backups=2)
    log = logging.getLogger("tm_strategy.test")
    for index in range(200):
        log.info("strategy.created strategy.id=s-%03d", index, extra={"strategy.id": f"s-{index}"})
    logging.getLogger().handlers[-1].flush()

    files = log_files(tmp_path, "strategy")
    assert [path.name for path in files] == [
        "strategy.jsonl.2",
        "strategy.jsonl.1",
        "strategy.jsonl",
    ]
    assert all(path.stat().st_size <= 2048 for path in files)
    entries = list(search(tmp_path, LogQuery()))
    numbers = [int(e.fields["message"].rsplit("-", 1)[1]) for e in entries]
    assert numbers == sorted(numbers) and numbers[-1] == 199 and numbers[0] > 0
    first = entries[0].fields
    assert first["service"] == "strategy" and first["level"] == "INFO"
    assert {"time", "logger", "trace_id", "request_id", "strategy.id"} <= set(first)


def test_errors_also_reach_stderr_when_logging_to_files(
    tmp_path: Path, restore_root_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("risk", "INFO", log_dir=tmp_path)
    logging.getLogger("tm_risk").info("risk.ready")
    logging.getLogger("tm_risk").error("risk.broker_down")

    err = capsys.readouterr().err
    assert "risk.broker_down" in err and "risk.ready" not in err
    assert "risk.ready" in (tmp_path / "risk.jsonl").read_text()


def test_search_merges_services_in_time_order_and_filters(tmp_path: Path) -> None:
    start = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    _write(tmp_path / "gateway.jsonl", "gateway", [start + timedelta(seconds=s) for s in (1, 3)])
    _write(tmp_path / "risk.jsonl", "risk", [start + timedelta(seconds=s) for s in (0, 2, 4)])
    (tmp_path / "risk.log").write_text("raw process output\n")

    assert services_in(tmp_path) == ["gateway", "risk"]
    merged = [e.service for e in search(tmp_path, LogQuery())]
    assert merged == ["risk", "gateway", "risk", "gateway", "risk"]

    since = LogQuery(since=start + timedelta(seconds=2.5))
    assert [e.time for e in search(tmp_path, since)] == [
        start + timedelta(seconds=3),
        start + timedelta(seconds=4),
    ]
    only = [e.raw for e in search(tmp_path, LogQuery(services=("risk",), grep="N=1"))]
    assert len(only) == 1 and '"risk"' in only[0]
    warnings = list(search(tmp_path, LogQuery(min_level="WARNING")))
    assert {e.fields["level"] for e in warnings} == {"WARNING"} and len(warnings) == 2


def test_a_line_that_is_not_json_is_kept_with_the_previous_time(tmp_path: Path) -> None:
    stamp = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    path = tmp_path / "trainer.jsonl"
    _write(path, "trainer", [stamp])
    with path.open("a") as handle:
        handle.write("Traceback (most recent call last):\n")

    entries = list(search(tmp_path, LogQuery(grep="traceback")))
    assert [e.time for e in entries] == [stamp]
    assert format_entry(entries[0]) == "trainer: Traceback (most recent call last):"


def test_since_accepts_durations_and_iso_times() -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert parse_since("10m", now) == now - timedelta(minutes=10)
    assert parse_since("1.5h", now) == now - timedelta(minutes=90)
    assert parse_since("2026-12-03T11:00:00", now) == datetime(2026, 12, 3, 11, tzinfo=UTC)
    assert parse_since("2026-12-03T11:00:00Z", now) == datetime(2026, 12, 3, 11, tzinfo=UTC)
    with pytest.raises(ValueError, match="was 'yesterday'"):
        parse_since("yesterday", now)


def test_follow_reads_across_a_rotation_and_new_services(tmp_path: Path) -> None:
    start = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    current = tmp_path / "strategy.jsonl"
    _write(current, "strategy", [start], message="before")
    seen: list[str] = []
    done = threading.Event()

    def collect() -> None:
        for entry in follow(
            tmp_path, LogQuery(), poll_s=0.02, keep_going=lambda: not done.is_set()
        ):
            seen.append(entry.fields["message"])

    reader = threading.Thread(target=collect)
    reader.start()
    try:
        time.sleep(0.3)  # let the reader open the files (it starts at their end)
        _write(current, "strategy", [start + timedelta(seconds=1)], message="old-file")
        current.rename(tmp_path / "strategy.jsonl.1")
        _write(current, "strategy", [start + timedelta(seconds=2)], message="new-file")
        _write(tmp_path / "risk.jsonl", "risk", [start + timedelta(seconds=3)], message="late")
        deadline = time.monotonic() + 5.0
        while len(seen) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        done.set()
        reader.join(5)
    assert seen == ["old-file n=0", "new-file n=0", "late n=0"]
