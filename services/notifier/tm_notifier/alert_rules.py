"""Alert rules: validation at creation, and matching of events against them.

Rules are generic over event types: a rule names ``Event.payload`` field names and payload
field values, so an event type added to the contract (orders, breakers, deployments) can be
alerted on with no change here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from urllib.parse import urlsplit

from trademaster.api.notifier.v1 import alerts_pb2
from trademaster.service.errors import InvalidArgument
from trademaster.service.events import EventEnvelope

from tm_notifier.alert_store import EMAIL, WEBHOOK, AlertRecord, RuleRecord
from tm_notifier.envelopes import PUBLISHABLE_TYPES

MAX_EVENT_TYPES = 20
MAX_MATCH = 10
WEBHOOK_FORMATS = ("json", "slack")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,255}$")
_FIELD = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")


def _bad(field: str, message: str) -> InvalidArgument:
    return InvalidArgument(f"{field} {message}", [(field, message)])


def _check_event_types(types: list[str]) -> list[str]:
    if not 1 <= len(types) <= MAX_EVENT_TYPES:
        raise _bad("rule.event_types", f"must name 1 to {MAX_EVENT_TYPES} event types")
    unknown = sorted(set(types) - PUBLISHABLE_TYPES)
    if unknown:
        raise _bad(
            "rule.event_types",
            f"must be event types such as {sorted(PUBLISHABLE_TYPES)[:4]}, had {unknown}",
        )
    return list(dict.fromkeys(types))


def _check_match(match: dict[str, str]) -> dict[str, str]:
    if len(match) > MAX_MATCH:
        raise _bad("rule.match", f"must have at most {MAX_MATCH} fields")
    for key, value in match.items():
        if not _FIELD.match(key):
            raise _bad("rule.match", f"keys must be payload field names, was {key[:64]!r}")
        if len(value) > 200:
            raise _bad("rule.match", f"value of {key!r} must be at most 200 characters")
    return dict(match)


def _check_webhook(url: str, fmt: str, secret: str) -> str:
    if fmt not in ("", *WEBHOOK_FORMATS):
        raise _bad("rule.webhook_format", f"must be one of {list(WEBHOOK_FORMATS)}")
    if secret and not 16 <= len(secret) <= 256:
        raise _bad("webhook_secret", "must be 16 to 256 characters")
    if secret and not url:
        raise _bad("webhook_secret", "needs rule.webhook_url")
    if url:
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError:  # e.g. an unclosed IPv6 bracket
            host = None
        if not host or parts.scheme not in ("http", "https") or len(url) > 2000:
            raise _bad("rule.webhook_url", "must be an http(s) URL of at most 2000 characters")
    return fmt or "json"


def new_rule(
    rule: alerts_pb2.AlertRule, secret: str, owner_id: str, *, may_platform: bool
) -> RuleRecord:
    """The record for a requested rule.

    Raises:
        InvalidArgument: a field is out of bounds (the violation names it).
    """
    name = rule.name.strip()
    if not 1 <= len(name) <= 100:
        raise _bad("rule.name", "must be 1 to 100 characters")
    if rule.platform and not may_platform:
        raise _bad("rule.platform", "platform-wide rules need the risk_officer or admin role")
    if rule.email_to and not _EMAIL.match(rule.email_to):
        raise _bad("rule.email_to", "must be one e-mail address")
    if len(rule.topic_prefix) > 200:
        raise _bad("rule.topic_prefix", "must be at most 200 characters")
    fmt = _check_webhook(rule.webhook_url, rule.webhook_format, secret)
    if not (rule.in_app or rule.webhook_url or rule.email_to):
        raise _bad("rule.in_app", "a rule needs a channel: in_app, webhook_url or email_to")
    return RuleRecord(
        id=uuid.uuid4(), owner_id=owner_id, name=name,
        event_types=_check_event_types(list(rule.event_types)),
        topic_prefix=rule.topic_prefix, match=_check_match(dict(rule.match)),
        platform=rule.platform, in_app=rule.in_app, webhook_url=rule.webhook_url,
        webhook_format=fmt, webhook_secret=secret, email_to=rule.email_to,
        created_at=None,  # type: ignore[arg-type]  # set by the database
    )  # fmt: skip


def matches(rule: RuleRecord, event: EventEnvelope) -> bool:
    """True when ``event`` is one ``rule`` selects, and the rule's owner may see it."""
    if event.type not in rule.event_types or not event.topic.startswith(rule.topic_prefix):
        return False
    if not rule.platform and event.owner_id not in ("", rule.owner_id):
        return False
    return all(str(event.payload.get(k, "")) == v for k, v in rule.match.items())


def title(event: EventEnvelope) -> str:
    """One line naming the event and its most telling fields."""
    telling = ("new_state", "state", "reason", "scope", "decision", "status")
    details = [f"{k}={event.payload[k]}" for k in telling if event.payload.get(k)]
    suffix = f" ({', '.join(details)})" if details else ""
    return f"{event.type} on {event.topic}{suffix}"[:300]


def alert_for(rule: RuleRecord, event: EventEnvelope) -> tuple[AlertRecord, list[tuple[str, str]]]:
    """The alert ``rule`` raises for ``event``, and its ``(channel, target)`` deliveries."""
    alert = AlertRecord(
        id=uuid.uuid4(), rule_id=rule.id, owner_id=rule.owner_id, event_id=event.event_id,
        event_type=event.type, topic=event.topic, title=title(event), payload=event.payload,
        in_app=rule.in_app, created_at=event.time, read_at=None,
    )  # fmt: skip
    deliveries = []
    if rule.webhook_url:
        deliveries.append((WEBHOOK, rule.webhook_url))
    if rule.email_to:
        deliveries.append((EMAIL, rule.email_to))
    return alert, deliveries


def matching(rules: Iterable[RuleRecord], event: EventEnvelope) -> list[RuleRecord]:
    return [rule for rule in rules if matches(rule, event)]
