"""Delivery of alerts by webhook and e-mail, drained from the ``alert_deliveries`` outbox.

Each attempt carries the delivery id as ``Idempotency-Key`` (the same on every retry), so a
receiver can drop the duplicates that at-least-once delivery implies. Webhook bodies are signed
``X-TM-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>." + body)>`` with the timestamp in
``X-TM-Timestamp`` (receivers refuse old timestamps, which stops replays). Failures are retried
with exponential backoff and full jitter until the attempt cap, then the delivery is DEAD
(listed and replayable).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import random
import smtplib
import time
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import httpx

from tm_notifier.alert_store import (
    DEAD,
    DELIVERED,
    EMAIL,
    PENDING,
    AlertRecord,
    AlertStore,
    Attempt,
    DeliveryRecord,
    RuleRecord,
)

_LOGGER = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-TM-Signature"
TIMESTAMP_HEADER = "X-TM-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
_LEASE = timedelta(seconds=60)
_BATCH = 50


@dataclass(frozen=True)
class DeliverySettings:
    max_attempts: int
    backoff_s: float
    backoff_max_s: float
    timeout_s: float
    concurrency: int
    smtp_host: str
    smtp_port: int
    smtp_from: str
    smtp_starttls: bool
    smtp_username: str
    smtp_password: str


class DeliveryFailed(Exception):
    def __init__(self, message: str, http_status: int = 0) -> None:
        super().__init__(message)
        self.http_status = http_status


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-TM-Signature`` value of ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"v1={digest.hexdigest()}"


def alert_document(alert: AlertRecord) -> dict[str, Any]:
    return {
        "alert_id": str(alert.id),
        "rule_id": str(alert.rule_id),
        "owner_id": alert.owner_id,
        "event_id": alert.event_id,
        "event_type": alert.event_type,
        "topic": alert.topic,
        "title": alert.title,
        "payload": alert.payload,
        "created_at": alert.created_at.isoformat(),
    }


def webhook_body(alert: AlertRecord, fmt: str) -> bytes:
    """JSON body: the alert, or Slack's incoming-webhook ``{"text": ...}`` shape."""
    if fmt == "slack":
        document: dict[str, Any] = {"text": f":rotating_light: *{alert.title}*"}
    else:
        document = alert_document(alert)
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def email_message(alert: AlertRecord, sender: str, to: str) -> EmailMessage:
    """The plain-text e-mail template of an alert."""
    message = EmailMessage()
    message["Subject"] = f"[TradeMaster] {alert.title}"
    message["From"] = sender
    message["To"] = to
    message["Message-ID"] = f"<{alert.id}@trademaster>"
    lines = [
        alert.title,
        "",
        f"Event:  {alert.event_type} ({alert.event_id})",
        f"Topic:  {alert.topic}",
        f"Time:   {alert.created_at.isoformat()}",
        "",
        json.dumps(alert.payload, indent=2, sort_keys=True),
    ]
    message.set_content("\n".join(lines))
    return message


def backoff(settings: DeliverySettings, attempts: int) -> timedelta:
    """Exponential backoff with full jitter after ``attempts`` failed attempts."""
    ceiling = min(settings.backoff_max_s, settings.backoff_s * 2 ** max(0, attempts - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # nosec B311 - jitter only


class Deliverer:
    """Drains due deliveries; ``wake`` starts a round at once (after a new alert)."""

    def __init__(self, store: AlertStore, settings: DeliverySettings, poll_s: float) -> None:
        self._store = store
        self._settings = settings
        self._poll_s = poll_s
        self._wakeup = asyncio.Event()
        self._http = httpx.AsyncClient(timeout=settings.timeout_s, follow_redirects=False)
        self._limit = asyncio.Semaphore(settings.concurrency)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="alert-deliveries")

    def wake(self) -> None:
        self._wakeup.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._http.aclose()

    async def _run(self) -> None:
        while True:
            try:
                due = await self._store.claim_due(_BATCH, _LEASE)
            except Exception as error:  # database down: retry later, never die
                _LOGGER.warning("alerts.claim_failed error=%r", error)
                due = []
            if due:
                contexts = await self._store.contexts(list({d.alert_id for d in due}))
                outcomes = await asyncio.gather(
                    *(self._attempt(d, contexts.get(d.alert_id)) for d in due)
                )
                await self._store.record_attempts(list(outcomes))
                continue
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._poll_s)

    async def _attempt(
        self, delivery: DeliveryRecord, context: tuple[AlertRecord, RuleRecord | None] | None
    ) -> Attempt:
        async with self._limit:
            started = time.perf_counter()
            try:
                await self._send(delivery, context)
            except DeliveryFailed as failure:
                attempts = delivery.attempts + 1
                dead = attempts >= self._settings.max_attempts
                _LOGGER.warning(
                    "alerts.delivery_failed delivery.id=%s channel=%s attempt=%d dead=%s "
                    "error=%s",
                    delivery.id, delivery.channel, attempts, dead, failure,
                )  # fmt: skip
                retry = None if dead else backoff(self._settings, attempts)
                status = DEAD if dead else PENDING
                return Attempt(delivery.id, status, str(failure), failure.http_status, retry)
            _LOGGER.info(
                "alerts.delivered delivery.id=%s channel=%s ms=%.1f",
                delivery.id, delivery.channel, (time.perf_counter() - started) * 1000,
            )  # fmt: skip
            return Attempt(delivery.id, DELIVERED, "", 200, None)

    async def _send(
        self, delivery: DeliveryRecord, context: tuple[AlertRecord, RuleRecord | None] | None
    ) -> None:
        if context is None:
            raise DeliveryFailed("the alert no longer exists")
        alert, rule = context
        if delivery.channel == EMAIL:
            await self._email(alert, delivery.target)
            return
        if rule is None:
            raise DeliveryFailed("the alert's rule was deleted")
        await self._webhook(alert, rule, delivery)

    async def _webhook(self, alert: AlertRecord, rule: RuleRecord, d: DeliveryRecord) -> None:
        body = webhook_body(alert, rule.webhook_format)
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: str(d.id),
            TIMESTAMP_HEADER: stamp,
        }
        if rule.webhook_secret:
            headers[SIGNATURE_HEADER] = signature(rule.webhook_secret, stamp, body)
        try:
            response = await self._http.post(d.target, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"HTTP {response.status_code}", response.status_code)

    async def _email(self, alert: AlertRecord, to: str) -> None:
        s = self._settings
        if not s.smtp_host:
            raise DeliveryFailed("e-mail is not configured (set TM_NOTIFIER_SMTP_HOST)")
        message = email_message(alert, s.smtp_from, to)

        def send() -> None:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout_s) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_username:
                    smtp.login(s.smtp_username, s.smtp_password)
                smtp.send_message(message)

        try:
            await asyncio.to_thread(send)
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(f"SMTP: {type(error).__name__}: {error}") from error
