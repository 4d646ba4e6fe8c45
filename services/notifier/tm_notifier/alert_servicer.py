"""The alert RPCs of NotifierService: rules, the in-app list, the delivery log and replays.

Rules and deliveries out of the caller's reach are NOT_FOUND; alerts are always the caller's
own. Webhook secrets are stored, never returned (``webhook_signed`` says one is set).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import grpc
from trademaster.api.notifier.v1 import alerts_pb2
from trademaster.service.auth import Role, current_principal
from trademaster.service.authz import Action, Resource, authorize
from trademaster.service.errors import FailedPrecondition, InvalidArgument, NotFound
from trademaster.service.ids import parse_uuid
from trademaster.service.paging import decode_page_token, encode_page_token

from tm_notifier.alert_engine import RuleCache
from tm_notifier.alert_rules import new_rule
from tm_notifier.alert_store import AlertRecord, AlertStore, DeliveryRecord, Keyset, RuleRecord

DEFAULT_PAGE, MAX_PAGE = 50, 500


def _page_size(size: int) -> int:
    if size < 0 or size > MAX_PAGE:
        raise InvalidArgument(
            f"page_size must be 0..{MAX_PAGE}, was {size}", [("page_size", f"0..{MAX_PAGE}")]
        )
    return size or DEFAULT_PAGE


def _keyset(token: str) -> Keyset:
    if not token:
        return None
    moment, ident = decode_page_token(token, datetime.fromisoformat, uuid.UUID)
    return moment, ident


def _next(rows: list[Any], limit: int, column: str) -> str:
    if len(rows) < limit:
        return ""
    last = rows[-1]
    return encode_page_token(getattr(last, column).isoformat(), last.id)


def rule_message(rule: RuleRecord) -> alerts_pb2.AlertRule:
    message = alerts_pb2.AlertRule(
        rule_id=str(rule.id), owner_id=rule.owner_id, name=rule.name,
        event_types=rule.event_types, topic_prefix=rule.topic_prefix, match=rule.match,
        platform=rule.platform, in_app=rule.in_app, webhook_url=rule.webhook_url,
        webhook_format=rule.webhook_format, webhook_signed=bool(rule.webhook_secret),
        email_to=rule.email_to,
    )  # fmt: skip
    message.create_time.FromDatetime(rule.created_at)
    return message


def alert_message(alert: AlertRecord) -> alerts_pb2.Alert:
    message = alerts_pb2.Alert(
        alert_id=str(alert.id), rule_id=str(alert.rule_id), owner_id=alert.owner_id,
        event_id=alert.event_id, event_type=alert.event_type, topic=alert.topic,
        title=alert.title, payload_json=json.dumps(alert.payload, sort_keys=True),
    )  # fmt: skip
    message.create_time.FromDatetime(alert.created_at)
    if alert.read_at is not None:
        message.read_time.FromDatetime(alert.read_at)
    return message


def delivery_message(d: DeliveryRecord) -> alerts_pb2.AlertDelivery:
    message = alerts_pb2.AlertDelivery(
        delivery_id=str(d.id), alert_id=str(d.alert_id), channel=d.channel, status=d.status,
        attempts=d.attempts, last_error=d.last_error, last_http_status=d.last_http_status,
    )  # fmt: skip
    if d.status == "PENDING":
        message.next_attempt_time.FromDatetime(d.next_attempt_at)
    message.update_time.FromDatetime(d.updated_at)
    return message


class AlertRpcs:
    """Mixed into the NotifierServicer; ``store`` is None when the notifier has no database."""

    def __init__(
        self,
        store: AlertStore | None,
        rules: RuleCache | None,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._rule_cache = rules
        self._wake = wake

    def _alerts(self) -> AlertStore:
        if self._store is None:
            raise FailedPrecondition(
                "alerts need a database: set TM_NOTIFIER_DATABASE_URL", reason="ALERTS_DISABLED"
            )
        return self._store

    async def CreateAlertRule(
        self, request: alerts_pb2.CreateAlertRuleRequest, context: grpc.aio.ServicerContext
    ) -> alerts_pb2.CreateAlertRuleResponse:
        grant = authorize(current_principal(), Resource.ALERT_RULE, Action.CREATE)
        may_platform = grant.principal.kind == "user" and grant.principal.has_any(
            Role.RISK_OFFICER, Role.ADMIN
        )
        record = new_rule(
            request.rule, request.webhook_secret, grant.subject, may_platform=may_platform
        )
        stored = await self._alerts().create_rule(record)
        if self._rule_cache is not None:
            self._rule_cache.invalidate()
        return alerts_pb2.CreateAlertRuleResponse(rule=rule_message(stored))

    async def ListAlertRules(
        self, request: alerts_pb2.ListAlertRulesRequest, context: grpc.aio.ServicerContext
    ) -> alerts_pb2.ListAlertRulesResponse:
        grant = authorize(current_principal(), Resource.ALERT_RULE, Action.READ)
        limit = _page_size(request.page_size)
        rows = await self._alerts().rules(grant.owner_scope, limit, _keyset(request.page_token))
        return alerts_pb2.ListAlertRulesResponse(
            rules=[rule_message(r) for r in rows], next_page_token=_next(rows, limit, "created_at")
        )

    async def DeleteAlertRule(
        self, request: alerts_pb2.DeleteAlertRuleRequest, context: grpc.aio.ServicerContext
    ) -> alerts_pb2.DeleteAlertRuleResponse:
        grant = authorize(current_principal(), Resource.ALERT_RULE, Action.DELETE)
        rule_id = parse_uuid(request.rule_id, "rule_id")
        if not await self._alerts().delete_rule(rule_id, grant.owner_scope):
            raise NotFound(f"alert rule {rule_id} not found")
        if self._rule_cache is not None:
            self._rule_cache.invalidate()
        return alerts_pb2.DeleteAlertRuleResponse()

    async def ListAlerts(
        self, request: alerts_pb2.ListAlertsRequest, context: grpc.aio.ServicerContext
    ) -> alerts_pb2.ListAlertsResponse:
        grant = authorize(current_principal(), Resource.ALERT, Action.READ)
        limit = _page_size(request.page_size)
        store = self._alerts()
        rows = await store.alerts(
            grant.subject,
            unread_only=request.unread_only,
            limit=limit,
            after=_keyset(request.page_token),
        )
        return alerts_pb2.ListAlertsResponse(
            alerts=[alert_message(a) for a in rows],
            unread_count=await store.unread_count(grant.subject),
            next_page_token=_next(rows, limit, "created_at"),
        )

    async def MarkAlertsRead(
        self, request: alerts_pb2.MarkAlertsReadRequest, context: grpc.aio.ServicerContext
    ) -> alerts_pb2.MarkAlertsReadResponse:
        grant = authorize(current_principal(), Resource.ALERT, Action.UPDATE)
        if not request.all and not 1 <= len(request.alert_ids) <= MAX_PAGE:
            raise InvalidArgument(
                f"alert_ids must name 1 to {MAX_PAGE} alerts (or set all)",
                [("alert_ids", f"1 to {MAX_PAGE} ids, or set all")],
            )
        ids = None if request.all else [parse_uuid(i, "alert_ids") for i in request.alert_ids]
        marked = await self._alerts().mark_read(grant.subject, ids)
        return alerts_pb2.MarkAlertsReadResponse(marked=marked)

    async def ListAlertDeliveries(
        self, request: alerts_pb2.ListAlertDeliveriesRequest, context: grpc.aio.ServicerContext
    ) -> alerts_pb2.ListAlertDeliveriesResponse:
        grant = authorize(current_principal(), Resource.ALERT, Action.READ)
        limit = _page_size(request.page_size)
        alert_id = parse_uuid(request.alert_id, "alert_id") if request.alert_id else None
        rows = await self._alerts().deliveries(
            grant.subject,
            alert_id=alert_id,
            dead_only=request.dead_only,
            limit=limit,
            after=_keyset(request.page_token),
        )
        return alerts_pb2.ListAlertDeliveriesResponse(
            deliveries=[delivery_message(d) for d in rows],
            next_page_token=_next(rows, limit, "updated_at"),
        )

    async def ReplayAlertDelivery(
        self, request: alerts_pb2.ReplayAlertDeliveryRequest, context: grpc.aio.ServicerContext
    ) -> alerts_pb2.ReplayAlertDeliveryResponse:
        grant = authorize(current_principal(), Resource.ALERT, Action.UPDATE)
        delivery_id = parse_uuid(request.delivery_id, "delivery_id")
        replayed = await self._alerts().replay(delivery_id, grant.subject)
        if replayed is None:
            raise NotFound(f"alert delivery {delivery_id} not found")
        self._wake()
        return alerts_pb2.ReplayAlertDeliveryResponse(delivery=delivery_message(replayed))
