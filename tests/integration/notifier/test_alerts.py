"""Alert rules end to end on real Redis, PostgreSQL and gRPC: events published on the bus raise
alerts that reach the in-app list, a loopback webhook (signed, retried, dead-lettered,
replayed) and a loopback SMTP server; a restarted notifier loses no alert and raises none twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import grpc
import pytest
from tm_notifier.alert_delivery import signature
from trademaster.api.notifier.v1 import alerts_pb2, notifier_pb2_grpc
from trademaster.service.events import EventBus

from .alert_receivers import SmtpReceiver, WebhookReceiver
from .conftest import Notifier, NotifierFactory, bearer, token

pytestmark = pytest.mark.integration

HOOK_SECRET = "hook-secret-0123456789abcdef"
ALICE, BOB = "alice-id", "bob-id"
FAST = {
    "delivery_backoff_s": 0.05,
    "delivery_backoff_max_s": 0.2,
    "delivery_poll_s": 0.05,
    "delivery_max_attempts": 3,
    "read_block_ms": 200,
}


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
async def alerting(
    notifier_factory: NotifierFactory, fresh_database: str, smtp: SmtpReceiver
) -> Notifier:
    return await notifier_factory(
        database_url=fresh_database, smtp_host="127.0.0.1", smtp_port=smtp.port, **FAST
    )


async def eventually(check: Callable[[], Awaitable[Any]], timeout_s: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s (last: {result!r})")
        await asyncio.sleep(0.05)


async def create_rule(
    stub: notifier_pb2_grpc.NotifierServiceStub, who: str, secret: str = "", **fields: Any
) -> alerts_pb2.AlertRule:
    reply = await stub.CreateAlertRule(
        alerts_pb2.CreateAlertRuleRequest(
            rule=alerts_pb2.AlertRule(**fields), webhook_secret=secret
        ),
        metadata=bearer(who),
    )
    return reply.rule


async def job_state(bus: EventBus, owner: str, job: str, state: str) -> str:
    return await bus.publish(
        f"training_job/{job}",
        owner,
        "job_state_changed",
        {"job_id": job, "job_kind": "training", "old_state": "RUNNING", "new_state": state},
    )


async def deliveries(
    stub: notifier_pb2_grpc.NotifierServiceStub, who: str, **filters: Any
) -> list[alerts_pb2.AlertDelivery]:
    reply = await stub.ListAlertDeliveries(
        alerts_pb2.ListAlertDeliveriesRequest(**filters), metadata=bearer(who)
    )
    return list(reply.deliveries)


async def test_failed_job_alert_reaches_inbox_and_signed_webhook_after_retries(
    alerting: Notifier, webhook: WebhookReceiver
) -> None:
    alice, bob = token(ALICE, "researcher"), token(BOB, "researcher")
    stub = alerting.stub
    webhook.fail_first = 2
    rule = await create_rule(
        stub, alice, HOOK_SECRET, name="failed jobs", event_types=["job_state_changed"],
        topic_prefix="training_job/", match={"new_state": "FAILED"}, in_app=True,
        webhook_url=webhook.url,
    )  # fmt: skip
    assert rule.webhook_signed and rule.owner_id == ALICE
    await job_state(alerting.bus, ALICE, "j1", "RUNNING")  # no match: state
    await job_state(alerting.bus, BOB, "j2", "FAILED")  # no match: another owner
    failed_id = await job_state(alerting.bus, ALICE, "j3", "FAILED")

    async def delivered() -> list[alerts_pb2.AlertDelivery]:
        return [d for d in await deliveries(stub, alice) if d.status == "DELIVERED"]

    (delivery,) = await eventually(delivered)
    assert delivery.attempts == 3 and delivery.channel == "webhook"
    assert len(webhook.received) == 3
    keys = {r.headers["Idempotency-Key"] for r in webhook.received}
    assert keys == {delivery.delivery_id}
    for request in webhook.received:
        stamp = request.headers["X-TM-Timestamp"]
        assert request.headers["X-TM-Signature"] == signature(HOOK_SECRET, stamp, request.body)
        assert request.document["event_id"] == failed_id
        assert request.document["payload"]["new_state"] == "FAILED"

    inbox = await stub.ListAlerts(alerts_pb2.ListAlertsRequest(), metadata=bearer(alice))
    assert [a.event_id for a in inbox.alerts] == [failed_id] and inbox.unread_count == 1
    assert "new_state=FAILED" in inbox.alerts[0].title
    marked = await stub.MarkAlertsRead(
        alerts_pb2.MarkAlertsReadRequest(alert_ids=[inbox.alerts[0].alert_id]),
        metadata=bearer(alice),
    )
    assert marked.marked == 1
    after = await stub.ListAlerts(alerts_pb2.ListAlertsRequest(), metadata=bearer(alice))
    assert after.unread_count == 0 and after.alerts[0].HasField("read_time")
    # Bob sees none of it and cannot reach Alice's rule.
    bobs = await stub.ListAlerts(alerts_pb2.ListAlertsRequest(), metadata=bearer(bob))
    assert list(bobs.alerts) == [] and await deliveries(stub, bob) == []
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await stub.DeleteAlertRule(
            alerts_pb2.DeleteAlertRuleRequest(rule_id=rule.rule_id), metadata=bearer(bob)
        )
    assert denied.value.code() == grpc.StatusCode.NOT_FOUND


async def test_dead_letter_after_the_cap_then_replay_delivers(
    alerting: Notifier, webhook: WebhookReceiver
) -> None:
    alice = token(ALICE, "trader")
    webhook.always_fail = True
    await create_rule(
        alerting.stub, alice, name="kills", event_types=["kill_switch_engaged"],
        in_app=False, webhook_url=webhook.url, webhook_format="slack",
    )  # fmt: skip
    await alerting.bus.publish(
        "risk/kill", ALICE, "kill_switch_engaged", {"kill_id": "k1", "scope": "ACCOUNT"}
    )

    async def dead() -> list[alerts_pb2.AlertDelivery]:
        return await deliveries(alerting.stub, alice, dead_only=True)

    (delivery,) = await eventually(dead)
    assert delivery.attempts == 3 and delivery.last_http_status == 500
    assert len(webhook.received) == 3
    assert "kill_switch_engaged" in webhook.received[0].document["text"]
    assert "X-TM-Signature" not in webhook.received[0].headers  # no secret: unsigned
    webhook.always_fail = False
    replayed = await alerting.stub.ReplayAlertDelivery(
        alerts_pb2.ReplayAlertDeliveryRequest(delivery_id=delivery.delivery_id),
        metadata=bearer(alice),
    )
    assert replayed.delivery.status == "PENDING" and replayed.delivery.attempts == 0

    async def done() -> list[alerts_pb2.AlertDelivery]:
        return [d for d in await deliveries(alerting.stub, alice) if d.status == "DELIVERED"]

    await eventually(done)
    assert len(webhook.received) == 4
    assert webhook.received[3].headers["Idempotency-Key"] == delivery.delivery_id


async def test_trading_state_alert_by_email(alerting: Notifier, smtp: SmtpReceiver) -> None:
    officer = token("officer-id", "risk_officer")
    await create_rule(
        alerting.stub, officer, name="halts", event_types=["trading_state_changed"],
        match={"new_state": "HALTED"}, platform=True, in_app=False,
        email_to="desk@example.com",
    )  # fmt: skip
    event_id = await alerting.bus.publish(
        "risk/state", ALICE, "trading_state_changed", {"new_state": "HALTED", "reason": "drawdown"}
    )

    async def mailed() -> list[Any]:
        return list(smtp.messages)

    (message,) = await eventually(mailed)
    assert message["To"] == "desk@example.com"
    assert "trading_state_changed" in message["Subject"] and "HALTED" in message["Subject"]
    assert event_id in message.get_payload()
    (delivery,) = await deliveries(alerting.stub, officer)
    assert delivery.channel == "email"


async def test_rules_are_validated_and_platform_rules_need_a_risk_role(alerting: Notifier) -> None:
    alice = token(ALICE, "researcher")
    cases = [
        ({"name": "x", "event_types": ["nope"], "in_app": True}, "rule.event_types"),
        ({"name": "", "event_types": ["job_state_changed"], "in_app": True}, "rule.name"),
        ({"name": "x", "event_types": ["job_state_changed"]}, "rule.in_app"),
        ({"name": "x", "event_types": ["job_state_changed"], "webhook_url": "ftp://h/"},
         "rule.webhook_url"),
        ({"name": "x", "event_types": ["job_state_changed"], "webhook_url": "http://[::1/"},
         "rule.webhook_url"),
        ({"name": "x", "event_types": ["job_state_changed"], "in_app": True, "platform": True},
         "rule.platform"),
    ]  # fmt: skip
    for fields, violation in cases:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await create_rule(alerting.stub, alice, **fields)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert violation in (error.value.details() or ""), fields
    listed = await alerting.stub.ListAlertRules(
        alerts_pb2.ListAlertRulesRequest(), metadata=bearer(alice)
    )
    assert list(listed.rules) == []


@pytest.fixture
async def restartable(
    notifier_factory: NotifierFactory, fresh_database: str
) -> AsyncIterator[Callable[[], Awaitable[Notifier]]]:
    """Starts notifiers on one database, one stream prefix and one consumer name."""
    prefix = "test:restart:" + fresh_database.rsplit("/", 1)[-1] + ":"

    async def start() -> Notifier:
        return await notifier_factory(
            database_url=fresh_database, event_stream_prefix=prefix, alert_consumer="n1", **FAST
        )

    yield start


async def test_events_published_while_down_alert_once_after_restart(
    restartable: Callable[[], Awaitable[Notifier]], webhook: WebhookReceiver
) -> None:
    alice = token(ALICE, "researcher")
    first = await restartable()
    await create_rule(
        first.stub, alice, name="failed", event_types=["job_state_changed"],
        match={"new_state": "FAILED"}, in_app=True, webhook_url=webhook.url,
    )  # fmt: skip
    await first.stop()
    producer = EventBus(first.settings.redis_url, stream_prefix=first.settings.event_stream_prefix)
    down_id = await job_state(producer, ALICE, "j9", "FAILED")  # nobody consumes now
    await producer.close()
    second = await restartable()
    await eventually(lambda: deliveries(second.stub, alice))
    # The same feed entry read again (as after a crash before XACK) raises nothing new.
    feed = second.bus.feed_stream
    redis = second.bus._client  # noqa: SLF001 - the test replays a raw feed entry
    (entry,) = [f for _, f in await redis.xrange(feed) if f["event_id"] == down_id]
    await redis.xadd(feed, entry)
    await job_state(second.bus, ALICE, "j10", "FAILED")
    inbox = await eventually(lambda: _inbox_with(second, alice, 2))
    assert sorted(a.event_id for a in inbox) == sorted([down_id, inbox[0].event_id])
    assert len({a.event_id for a in inbox}) == 2
    await asyncio.sleep(0.5)
    assert len(await _inbox_with(second, alice, 0)) == 2


async def _inbox_with(n: Notifier, who: str, at_least: int) -> list[alerts_pb2.Alert]:
    reply = await n.stub.ListAlerts(alerts_pb2.ListAlertsRequest(), metadata=bearer(who))
    return list(reply.alerts) if len(reply.alerts) >= at_least else []
