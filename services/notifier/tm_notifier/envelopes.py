"""Conversion between the event bus's JSON envelopes and the typed ``notifier.v1.Event``.

Producers store the payload as the JSON form of the message named by the event ``type`` (the
``Event.payload`` oneof field name), so the typed message is rebuilt with ``ParseDict``.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format
from trademaster.api.notifier.v1 import notifier_pb2
from trademaster.service.events import EventEnvelope

_LOGGER = logging.getLogger(__name__)

HEARTBEAT = "heartbeat"
PAYLOAD_TYPES: frozenset[str] = frozenset(
    field.name for field in notifier_pb2.Event.DESCRIPTOR.oneofs_by_name["payload"].fields
)
"""Every event type: the names of the ``Event.payload`` oneof fields."""
PUBLISHABLE_TYPES: frozenset[str] = PAYLOAD_TYPES - {HEARTBEAT}


class EnvelopeError(ValueError):
    """An envelope whose type or payload does not match the Event contract."""


def to_event(envelope: EventEnvelope) -> notifier_pb2.Event:
    """The typed Event for a stored envelope.

    Raises:
        EnvelopeError: unknown ``type`` or a payload that does not parse as that message.
    """
    if envelope.type not in PAYLOAD_TYPES:
        raise EnvelopeError(
            f"event type must be one of {sorted(PAYLOAD_TYPES)}, was {envelope.type!r}"
        )
    event = notifier_pb2.Event(
        event_id=envelope.event_id,
        topic=envelope.topic,
        owner_id=envelope.owner_id,
        type=envelope.type,
    )
    event.time.FromDatetime(envelope.time)
    try:
        json_format.ParseDict(
            envelope.payload, getattr(event, envelope.type), ignore_unknown_fields=True
        )
    except json_format.ParseError as error:
        raise EnvelopeError(
            f"payload of {envelope.event_id} is not a {envelope.type}: {error}"
        ) from error
    return event


def heartbeat(interval_s: float) -> notifier_pb2.Event:
    """A keep-alive event; it has no ``event_id`` and is never a resume cursor."""
    event = notifier_pb2.Event(type=HEARTBEAT, topic="")
    event.time.FromDatetime(datetime.now(UTC))
    event.heartbeat.interval_seconds = max(1, math.ceil(interval_s))
    return event


def payload_dict(event: notifier_pb2.Event) -> tuple[str, dict[str, Any]]:
    """``(type, payload JSON)`` of an event to publish.

    Raises:
        EnvelopeError: no payload set, a heartbeat, or ``type`` naming another payload.
    """
    which = event.WhichOneof("payload")
    if which is None:
        raise EnvelopeError("event.payload must be set, was empty")
    if which not in PUBLISHABLE_TYPES:
        raise EnvelopeError(f"event.payload must not be {which!r}: only the notifier sends it")
    if event.type and event.type != which:
        raise EnvelopeError(f"event.type must name the payload set ({which!r}), was {event.type!r}")
    payload = json_format.MessageToDict(getattr(event, which), preserving_proto_field_name=True)
    return which, payload
