"""NotifierService against real Redis: resume, authorization, slow subscribers, heartbeats."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import grpc
import pytest
from trademaster.api.notifier.v1 import notifier_pb2
from trademaster.service.errors import error_details

from .conftest import Notifier, NotifierFactory, bearer, token

pytestmark = pytest.mark.integration

TIMEOUT_S = 10.0


def _topic() -> str:
    return f"training_job/{uuid.uuid4().hex[:8]}"


def _progress(step: int) -> dict[str, object]:
    return {"job_id": "j", "step": step, "total_steps": 100, "fraction": step / 100}


async def _take(call: grpc.aio.UnaryStreamCall, n: int) -> list[notifier_pb2.Event]:
    """The next ``n`` non-heartbeat events of a stream."""
    events: list[notifier_pb2.Event] = []
    while len(events) < n:
        reply = await asyncio.wait_for(call.read(), TIMEOUT_S)
        assert reply is not grpc.aio.EOF, f"stream ended after {len(events)} of {n} events"
        if reply.event.type != "heartbeat":
            events.append(reply.event)
    return events


async def _joined(call: grpc.aio.UnaryStreamCall) -> None:
    """Wait for the heartbeat a subscription starts with (sent once the notifier joined it)."""
    reply = await asyncio.wait_for(call.read(), TIMEOUT_S)
    assert reply is not grpc.aio.EOF and reply.event.type == "heartbeat"


async def test_live_events_arrive_typed_and_in_order(notifier: Notifier) -> None:
    topic = _topic()
    alice = token("alice")
    call = notifier.subscribe(alice, [topic])
    await _joined(call)

    ids = [
        await notifier.bus.publish(topic, "alice", "training_progress", _progress(i))
        for i in range(3)
    ]
    events = await _take(call, 3)
    call.cancel()

    assert [e.event_id for e in events] == ids
    assert [e.training_progress.step for e in events] == [0, 1, 2]
    assert all(e.type == "training_progress" and e.topic == topic for e in events)
    assert events[0].time.seconds > 0


async def test_resume_with_last_event_id_has_no_gap_and_no_duplicate(notifier: Notifier) -> None:
    topic = _topic()
    alice = token("alice")
    first = notifier.subscribe(alice, [topic])
    await _joined(first)
    ids = [
        await notifier.bus.publish(topic, "alice", "training_progress", _progress(i))
        for i in range(10)
    ]
    received = await _take(first, 4)
    first.cancel()
    last_seen = received[-1].event_id
    # Published while disconnected, and while the resumed subscription is joining.
    ids += [
        await notifier.bus.publish(topic, "alice", "training_progress", _progress(i))
        for i in range(10, 20)
    ]

    async def publish_during_resume() -> list[str]:
        return [
            await notifier.bus.publish(topic, "alice", "training_progress", _progress(i))
            for i in range(20, 120)
        ]

    second = notifier.subscribe(alice, [topic], after=last_seen)
    during = asyncio.create_task(publish_during_resume())
    ids += await during
    resumed = await _take(second, len(ids) - 4)
    second.cancel()

    assert [e.event_id for e in received] == ids[:4]
    assert [e.event_id for e in resumed] == ids[4:]
    assert [e.training_progress.step for e in resumed] == list(range(4, 120))


async def test_user_gets_nothing_of_another_users_topic(notifier: Notifier) -> None:
    topic = _topic()
    bob_call = notifier.subscribe(token("bob"), [topic])
    admin_call = notifier.subscribe(token("root", "admin"), [topic])
    await _joined(bob_call)
    await _joined(admin_call)

    alice_ids = [
        await notifier.bus.publish(topic, "alice", "training_progress", _progress(i))
        for i in range(5)
    ]
    for_everyone = await notifier.bus.publish(topic, "", "training_progress", _progress(50))
    bobs = await notifier.bus.publish(topic, "bob", "training_progress", _progress(99))

    bob_events = await _take(bob_call, 2)
    admin_events = await _take(admin_call, 7)
    bob_call.cancel()
    admin_call.cancel()

    assert [e.event_id for e in bob_events] == [for_everyone, bobs]
    assert [e.event_id for e in admin_events] == [*alice_ids, for_everyone, bobs]


async def test_resume_does_not_replay_another_users_history(notifier: Notifier) -> None:
    topic = _topic()
    first = await notifier.bus.publish(topic, "alice", "training_progress", _progress(0))
    await notifier.bus.publish(topic, "alice", "training_progress", _progress(1))
    marker = await notifier.bus.publish(topic, "bob", "training_progress", _progress(2))

    call = notifier.subscribe(token("bob"), [topic], after=first)
    events = await _take(call, 1)
    call.cancel()

    assert [e.event_id for e in events] == [marker]


async def test_slow_subscriber_is_dropped_and_does_not_block_a_fast_one(
    notifier_factory: NotifierFactory,
) -> None:
    notifier = await notifier_factory(subscriber_queue_size=20, heartbeat_s=30.0)
    topic = _topic()
    alice = token("alice")
    slow = notifier.subscribe(alice, [topic])
    fast = notifier.subscribe(alice, [topic])
    await _joined(slow)
    await _joined(fast)
    # Big payloads fill the slow client's HTTP/2 window, then the notifier's queue.
    metrics = {f"metric/{i}": float(i) for i in range(100)}
    total = 2_000

    async def publish() -> None:
        for step in range(total):
            await notifier.bus.publish(
                topic, "alice", "training_progress", {**_progress(step), "metrics": metrics}
            )

    async def read_fast() -> list[int]:
        events = await _take(fast, total)
        return [e.training_progress.step for e in events]

    _, steps = await asyncio.wait_for(asyncio.gather(publish(), read_fast()), 60)
    fast.cancel()

    assert steps == list(range(total))
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        while await asyncio.wait_for(slow.read(), TIMEOUT_S) is not grpc.aio.EOF:
            pass
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "fell behind" in (raised.value.details() or "")


async def test_idle_stream_gets_heartbeats(notifier_factory: NotifierFactory) -> None:
    notifier = await notifier_factory(heartbeat_s=0.3)
    call = notifier.subscribe(token("alice"), [_topic()])

    await _joined(call)
    began = asyncio.get_running_loop().time()
    replies = [await asyncio.wait_for(call.read(), 3.0) for _ in range(2)]
    elapsed = asyncio.get_running_loop().time() - began
    call.cancel()

    for reply in replies:
        assert reply.event.type == "heartbeat"
        assert reply.event.event_id == ""
        assert reply.event.heartbeat.interval_seconds == 1
    assert 0.4 < elapsed < 2.0


async def test_publish_is_for_services_and_reaches_subscribers(notifier: Notifier) -> None:
    topic = _topic()
    call = notifier.subscribe(token("alice"), [topic])
    await _joined(call)
    event = notifier_pb2.Event(topic=topic, owner_id="alice")
    event.job_state_changed.job_id = "j1"
    event.job_state_changed.new_state = "RUNNING"

    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await notifier.stub.Publish(
            notifier_pb2.PublishRequest(event=event), metadata=bearer(token("alice"))
        )
    reply = await notifier.stub.Publish(
        notifier_pb2.PublishRequest(event=event),
        metadata=bearer(token("service:trainer", "admin", kind="service")),
    )
    received = await _take(call, 1)
    call.cancel()

    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert reply.event_id.startswith(f"{topic}@")
    assert received[0].event_id == reply.event_id
    assert received[0].type == "job_state_changed"
    assert received[0].job_state_changed.new_state == "RUNNING"


@pytest.mark.parametrize(
    ("topics", "after"),
    [([], ""), (["a@b"], ""), (["training_job/1"], "nonsense"), (["x"], "y@1-0")],
)
async def test_subscribe_rejects_invalid_requests(
    notifier: Notifier, topics: list[str], after: str
) -> None:
    call = notifier.subscribe(token("alice"), topics, after=after)

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await asyncio.wait_for(call.read(), TIMEOUT_S)

    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_subscribe_without_token_is_unauthenticated(notifier: Notifier) -> None:
    call = notifier.stub.Subscribe(notifier_pb2.SubscribeRequest(topics=["x"]))

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await asyncio.wait_for(call.read(), TIMEOUT_S)

    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_empty_topic_list_is_refused_as_the_contract_says(notifier: Notifier) -> None:
    proto = (
        Path(__file__).resolve().parents[3] / "protos/trademaster/api/notifier/v1/notifier.proto"
    )
    call = notifier.subscribe(token("alice"), [])

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await asyncio.wait_for(call.read(), TIMEOUT_S)

    assert "an empty list is INVALID_ARGUMENT" in proto.read_text()
    details = error_details(raised.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in details.field_violations] == ["topics"]
