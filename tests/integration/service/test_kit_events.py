from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from trademaster.service.events import EventBus, feed_envelope, redis_client, split_event_id

pytestmark = pytest.mark.integration


@pytest.fixture
async def bus(redis_url: str) -> AsyncIterator[EventBus]:
    event_bus = EventBus(redis_url, stream_prefix=f"test:{uuid.uuid4().hex[:8]}:", maxlen=1000)
    yield event_bus
    await event_bus.close()


async def test_published_events_read_back_in_order(bus: EventBus) -> None:
    first = await bus.publish("training_job/1", "alice", "JobStateChanged", {"state": "RUNNING"})
    second = await bus.publish("training_job/1", "alice", "TrainingProgress", {"step": 10})

    events = await bus.read(["training_job/1"], after=None, block_ms=None, count=10)

    assert [e.event_id for e in events] == [first, second]
    assert first.startswith("training_job/1@")
    assert events[1].payload == {"step": 10}
    assert (events[1].owner_id, events[1].type, events[1].topic) == (
        "alice",
        "TrainingProgress",
        "training_job/1",
    )
    assert events[0].time <= events[1].time


async def test_read_after_event_id_resumes_without_gaps(bus: EventBus) -> None:
    ids = [await bus.publish("backtest/7", "bob", "BacktestProgress", {"i": i}) for i in range(5)]

    events = await bus.read(["backtest/7"], after=ids[1], count=10)

    assert [e.event_id for e in events] == ids[2:]
    assert [e.payload["i"] for e in events] == [2, 3, 4]


async def test_per_topic_cursors_resume_each_topic(bus: EventBus) -> None:
    a1 = await bus.publish("a", "o", "T", {"n": 1})
    b1 = await bus.publish("b", "o", "T", {"n": 1})
    a2 = await bus.publish("a", "o", "T", {"n": 2})
    b2 = await bus.publish("b", "o", "T", {"n": 2})

    events = await bus.read(["a", "b"], after={"a": a1, "b": b1}, count=10)

    assert {e.event_id for e in events} == {a2, b2}


async def test_single_event_id_across_topics_misses_nothing_later(bus: EventBus) -> None:
    a1 = await bus.publish("x", "o", "T", {})
    await asyncio.sleep(0.01)
    y1 = await bus.publish("y", "o", "T", {})
    x2 = await bus.publish("x", "o", "T", {})

    events = await bus.read(["x", "y"], after=a1, count=10)

    assert {e.event_id for e in events} == {y1, x2}


async def test_subscribe_yields_new_events_after_cursor(bus: EventBus) -> None:
    old = await bus.publish("risk/acct-1", "carol", "OrderDecision", {"n": 0})
    stream = bus.subscribe(["risk/acct-1"], old, block_ms=200)

    async def collect() -> list[int]:
        got = []
        async for event in stream:
            got.append(event.payload["n"])
            if len(got) == 3:
                return got
        return got

    task = asyncio.create_task(collect())
    for n in (1, 2, 3):
        await bus.publish("risk/acct-1", "carol", "OrderDecision", {"n": n})
    got = await asyncio.wait_for(task, timeout=5)
    await stream.aclose()

    assert got == [1, 2, 3]


async def test_dollar_cursor_reads_only_later_events(bus: EventBus) -> None:
    await bus.publish("n", "o", "T", {"n": 0})
    cursors = await bus.cursors(["n", "empty"], "$")
    later = await bus.publish("n", "o", "T", {"n": 1})

    events = await bus.read(["n", "empty"], after=cursors, count=10)

    assert [e.event_id for e in events] == [later]


async def test_block_returns_empty_when_nothing_arrives(bus: EventBus) -> None:
    events = await bus.read(["quiet"], after="$", block_ms=50)

    assert events == []


async def test_stream_is_trimmed_near_maxlen(redis_url: str) -> None:
    bus = EventBus(redis_url, stream_prefix=f"trim:{uuid.uuid4().hex[:8]}:", maxlen=10)
    try:
        for i in range(500):
            await bus.publish("t", "o", "T", {"i": i})
        events = await bus.read(["t"], count=1000)
    finally:
        await bus.close()

    assert 10 <= len(events) < 500
    assert events[-1].payload == {"i": 499}


def test_event_id_format_is_checked() -> None:
    assert split_event_id("training_job/1@17-0") == ("training_job/1", "17-0")
    with pytest.raises(ValueError, match="was 'nope'"):
        split_event_id("nope")


async def test_redis_client_pings_and_reports_unreachable(redis_url: str) -> None:
    client = await redis_client(redis_url)
    await client.aclose()

    with pytest.raises(ConnectionError, match="redis://127.0.0.1:1"):
        await redis_client("redis://:pw@127.0.0.1:1/0", timeout_s=0.5)


async def test_publish_many_keeps_order_across_topics_in_one_round_trip(bus: EventBus) -> None:
    ids = await bus.publish_many(
        [
            ("risk_account/a", "alice", "order_decided", {"n": 1}),
            ("risk_account/b", "bob", "order_decided", {"n": 2}),
            ("risk_account/a", "alice", "order_updated", {"n": 3}),
        ]
    )

    a = await bus.read(["risk_account/a"], after=None, count=10)
    b = await bus.read(["risk_account/b"], after=None, count=10)

    assert [e.event_id for e in a] == [ids[0], ids[2]]
    assert [e.payload["n"] for e in a] == [1, 3] and b[0].owner_id == "bob"
    assert b[0].event_id == ids[1]


async def test_every_event_is_also_on_the_feed_unless_the_bus_has_none(
    bus: EventBus, redis_url: str
) -> None:
    one = await bus.publish("training_job/1", "alice", "job_state_changed", {"new_state": "FAILED"})
    two, three = await bus.publish_many(
        [("backtest/2", "bob", "backtest_progress", {"i": 1}), ("risk/x", "", "heartbeat", {})]
    )
    client = await redis_client(redis_url)
    feed = [feed_envelope(fields) for _, fields in await client.xrange(bus.feed_stream)]
    assert [(e.event_id, e.owner_id, e.type) for e in feed] == [
        (one, "alice", "job_state_changed"), (two, "bob", "backtest_progress"),
        (three, "", "heartbeat"),
    ]  # fmt: skip
    assert feed[0].payload == {"new_state": "FAILED"}
    private = EventBus(redis_url, stream_prefix=f"test:{uuid.uuid4().hex[:8]}:", feed=False)
    await private.publish("training_job/1", "alice", "training_progress", {"step": 1})
    assert await client.exists(private.feed_stream) == 0
    await private.close()
    await client.aclose()
