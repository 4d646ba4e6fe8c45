"""NotifierService: Subscribe (resumable, per-owner filtered, heartbeats) and Publish."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

import grpc
from trademaster.api.notifier.v1 import notifier_pb2, notifier_pb2_grpc
from trademaster.service.auth import current_principal
from trademaster.service.authz import Action, Grant, Resource, authorize
from trademaster.service.errors import InvalidArgument, ResourceExhausted
from trademaster.service.events import EventBus, EventEnvelope, split_event_id, stream_id_key

from tm_notifier.alert_engine import RuleCache
from tm_notifier.alert_servicer import AlertRpcs
from tm_notifier.alert_store import AlertStore
from tm_notifier.envelopes import EnvelopeError, heartbeat, payload_dict, to_event
from tm_notifier.fanout import FanOut

_LOGGER = logging.getLogger(__name__)

_BACKLOG_PAGE = 500


def _check_topics(topics: list[str], max_topics: int) -> list[str]:
    if not topics:
        raise InvalidArgument(
            "topics must name at least one topic, was empty",
            [("topics", "name at least one topic, e.g. 'training_job/<job_id>'")],
        )
    if len(topics) > max_topics:
        raise InvalidArgument(
            f"topics must name at most {max_topics} topics, had {len(topics)}",
            [("topics", f"at most {max_topics} topics")],
        )
    for topic in topics:
        if not topic or "@" in topic or topic.strip() != topic:
            raise InvalidArgument(
                f"topic must be non-empty, without '@' or surrounding spaces, was {topic!r}",
                [("topics", f"invalid topic {topic!r}")],
            )
    return list(dict.fromkeys(topics))


def _seen(envelope: EventEnvelope, start: dict[str, str]) -> bool:
    """True for a live event at or before the resume cursor (another replica's feed may lag)."""
    stream_id = split_event_id(envelope.event_id)[1]
    return stream_id_key(stream_id) <= stream_id_key(start[envelope.topic])


class NotifierServicer(AlertRpcs, notifier_pb2_grpc.NotifierServiceServicer):
    """Streams stored and live events to authorized subscribers; appends producers' events;
    manages alert rules and alerts (:class:`AlertRpcs`)."""

    def __init__(
        self,
        bus: EventBus,
        fanout: FanOut,
        *,
        heartbeat_s: float,
        max_topics: int,
        alerts: AlertStore | None = None,
        rules: RuleCache | None = None,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(alerts, rules, wake)
        self._bus = bus
        self._fanout = fanout
        self._heartbeat_s = heartbeat_s
        self._max_topics = max_topics

    async def Subscribe(
        self, request: notifier_pb2.SubscribeRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[notifier_pb2.SubscribeResponse]:
        principal = authorize(current_principal(), Resource.EVENT, Action.SUBSCRIBE)
        topics = _check_topics(list(request.topics), self._max_topics)
        after = request.after_event_id
        start: dict[str, str] = {}
        if after:
            try:
                named, _ = split_event_id(after)
            except ValueError as error:
                raise InvalidArgument(str(error), [("after_event_id", str(error))]) from error
            if named not in topics:
                raise InvalidArgument(
                    f"after_event_id must belong to one of the topics, was {after!r}",
                    [("after_event_id", f"topic {named!r} is not subscribed")],
                )
            start = await self._bus.cursors(topics, after)
        subscription, joined = await self._fanout.join(topics)
        _LOGGER.info(
            "subscribe.start principal=%s topics=%d resume=%s",
            principal.subject,
            len(topics),
            bool(after),
        )
        try:
            # Tells the client it is joined: nothing published from now on will be missed.
            yield notifier_pb2.SubscribeResponse(event=heartbeat(self._heartbeat_s))
            if after:
                for topic in topics:
                    async for stored in self._backlog(topic, start[topic], joined[topic]):
                        event = self._visible(principal, stored)
                        if event is not None:
                            yield notifier_pb2.SubscribeResponse(event=event)
            while True:
                live = await subscription.next(self._heartbeat_s)
                if subscription.dropped:
                    raise ResourceExhausted(
                        f"subscriber fell behind by more than {subscription.queue_size} events; "
                        "subscribe again with after_event_id set to the last event received",
                        reason="SUBSCRIBER_TOO_SLOW",
                    )
                if live is None:
                    yield notifier_pb2.SubscribeResponse(event=heartbeat(self._heartbeat_s))
                    continue
                if after and _seen(live.envelope, start):
                    continue
                if live.response is not None and principal.reaches(live.envelope.owner_id):
                    yield live.response
        finally:
            await self._fanout.leave(subscription)
            _LOGGER.info("subscribe.end principal=%s", principal.subject)

    async def _backlog(self, topic: str, after: str, until: str) -> AsyncIterator[EventEnvelope]:
        """Events of ``topic`` with ids in (after, until], oldest first."""
        limit = stream_id_key(until)
        cursor = after
        while stream_id_key(cursor) < limit:
            page = await self._bus.read([topic], {topic: cursor}, None, _BACKLOG_PAGE)
            if not page:
                return
            for envelope in page:
                stream_id = split_event_id(envelope.event_id)[1]
                if stream_id_key(stream_id) > limit:
                    return
                yield envelope
                cursor = stream_id

    @staticmethod
    def _visible(principal: Grant, envelope: EventEnvelope) -> notifier_pb2.Event | None:
        if not principal.reaches(envelope.owner_id):
            return None
        try:
            return to_event(envelope)
        except EnvelopeError as error:
            _LOGGER.warning("subscribe.bad_envelope event.id=%s error=%s", envelope.event_id, error)
            return None

    async def Publish(
        self, request: notifier_pb2.PublishRequest, context: grpc.aio.ServicerContext
    ) -> notifier_pb2.PublishResponse:
        authorize(current_principal(), Resource.EVENT, Action.PUBLISH)
        event = request.event
        try:
            type_, payload = payload_dict(event)
        except EnvelopeError as error:
            raise InvalidArgument(str(error), [("event.payload", str(error))]) from error
        topic = event.topic
        if not topic or "@" in topic or topic.strip() != topic:
            raise InvalidArgument(
                f"event.topic must be non-empty, without '@' or surrounding spaces, was {topic!r}",
                [("event.topic", "non-empty, without '@' or surrounding spaces")],
            )
        event_id = await self._bus.publish(topic, event.owner_id, type_, payload)
        return notifier_pb2.PublishResponse(event_id=event_id)
