"""HTTP routes of alerts: rules, the in-app list (the bell), the delivery log and replays; each
mirrors one NotifierService RPC, which authorizes and validates again."""

import json
from datetime import datetime
from typing import Annotated, Any, Literal

import grpc
from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field
from trademaster.api.notifier.v1 import alerts_pb2 as pb
from trademaster.api.notifier.v1 import notifier_pb2_grpc

from tm_gateway.backends import Backends
from tm_gateway.convert import CallerDependency, CallerLike, time_of
from tm_gateway.http_errors import ApiError

TAG = "alerts"
PageSize = Annotated[int, Query(ge=0, le=500)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AlertRuleCreate(_Body):
    name: str = Field(min_length=1, max_length=100)
    event_types: list[str] = Field(
        min_length=1, max_length=20, description="Event types, e.g. job_state_changed."
    )
    topic_prefix: str = Field(default="", max_length=200, examples=["training_job/"])
    match: dict[str, str] = Field(
        default_factory=dict, max_length=10, examples=[{"new_state": "FAILED"}]
    )
    platform: bool = Field(default=False, description="Every owner's events (risk officers).")
    in_app: bool = True
    webhook_url: str = Field(default="", max_length=2000)
    webhook_format: Literal["json", "slack"] = "json"
    webhook_secret: str = Field(
        default="", max_length=256, description="HMAC-SHA256 key; stored, never returned."
    )
    email_to: str = Field(default="", max_length=320)


class AlertRuleOut(BaseModel):
    id: str = Field(json_schema_extra={"format": "uuid"})
    owner_id: str
    name: str
    event_types: list[str]
    topic_prefix: str
    match: dict[str, str]
    platform: bool
    in_app: bool
    webhook_url: str
    webhook_format: str
    webhook_signed: bool
    email_to: str
    created_at: datetime | None


class AlertRuleList(BaseModel):
    rules: list[AlertRuleOut]
    next_page_token: str = ""


class AlertOut(BaseModel):
    id: str = Field(json_schema_extra={"format": "uuid"})
    rule_id: str
    event_id: str
    event_type: str
    topic: str
    title: str
    payload: dict[str, Any]
    created_at: datetime | None
    read_at: datetime | None


class AlertList(BaseModel):
    alerts: list[AlertOut]
    unread_count: int
    next_page_token: str = ""


class MarkRead(_Body):
    alert_ids: list[str] = Field(default_factory=list, max_length=500)
    all: bool = False


class MarkedOut(BaseModel):
    marked: int


class DeliveryOut(BaseModel):
    id: str = Field(json_schema_extra={"format": "uuid"})
    alert_id: str
    channel: str
    status: str
    attempts: int
    last_error: str
    last_http_status: int
    next_attempt_at: datetime | None
    updated_at: datetime | None


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut]
    next_page_token: str = ""


def rule_out(r: pb.AlertRule) -> AlertRuleOut:
    return AlertRuleOut(
        id=r.rule_id, owner_id=r.owner_id, name=r.name, event_types=list(r.event_types),
        topic_prefix=r.topic_prefix, match=dict(r.match), platform=r.platform, in_app=r.in_app,
        webhook_url=r.webhook_url, webhook_format=r.webhook_format,
        webhook_signed=r.webhook_signed, email_to=r.email_to,
        created_at=time_of(r, "create_time"),
    )  # fmt: skip


def alert_out(a: pb.Alert) -> AlertOut:
    return AlertOut(
        id=a.alert_id, rule_id=a.rule_id, event_id=a.event_id, event_type=a.event_type,
        topic=a.topic, title=a.title, payload=json.loads(a.payload_json or "{}"),
        created_at=time_of(a, "create_time"), read_at=time_of(a, "read_time"),
    )  # fmt: skip


def delivery_out(d: pb.AlertDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.delivery_id, alert_id=d.alert_id, channel=d.channel, status=d.status,
        attempts=d.attempts, last_error=d.last_error, last_http_status=d.last_http_status,
        next_attempt_at=time_of(d, "next_attempt_time"), updated_at=time_of(d, "update_time"),
    )  # fmt: skip


def alerts_router(backends: Backends, caller: CallerDependency) -> APIRouter:
    """Routes under ``/alert-rules``, ``/alerts`` and ``/alert-deliveries``."""
    router = APIRouter(tags=[TAG])
    CallerDep = Annotated[CallerLike, Depends(caller)]

    def stub() -> notifier_pb2_grpc.NotifierServiceStub:
        channel = backends.channel("notifier")
        if channel is None:
            raise ApiError(
                grpc.StatusCode.UNAVAILABLE,
                "the notifier is not configured (set TM_GATEWAY_NOTIFIER_ADDR)",
                reason="BACKEND_NOT_CONFIGURED",
            )
        return notifier_pb2_grpc.NotifierServiceStub(channel)

    @router.post("/alert-rules", response_model=AlertRuleOut, status_code=status.HTTP_201_CREATED)
    async def create_rule(body: AlertRuleCreate, who: CallerDep) -> AlertRuleOut:
        """A rule owned by the caller: which events alert, and by which channels."""
        fields = body.model_dump(exclude={"webhook_secret"})
        request = pb.CreateAlertRuleRequest(
            rule=pb.AlertRule(**fields), webhook_secret=body.webhook_secret
        )
        reply = await backends.call(stub().CreateAlertRule, request, who.token)
        return rule_out(reply.rule)

    @router.get("/alert-rules", response_model=AlertRuleList)
    async def list_rules(
        who: CallerDep, page_size: PageSize = 0, page_token: str = ""
    ) -> AlertRuleList:
        """The caller's rules (risk officers, admins: every rule), newest first."""
        request = pb.ListAlertRulesRequest(page_size=page_size, page_token=page_token)
        reply = await backends.call(stub().ListAlertRules, request, who.token)
        return AlertRuleList(
            rules=[rule_out(r) for r in reply.rules], next_page_token=reply.next_page_token
        )

    @router.delete("/alert-rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def delete_rule(rule_id: str, who: CallerDep) -> Response:
        """Delete a rule; the alerts it raised stay."""
        request = pb.DeleteAlertRuleRequest(rule_id=rule_id)
        await backends.call(stub().DeleteAlertRule, request, who.token)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.get("/alerts", response_model=AlertList)
    async def list_alerts(
        who: CallerDep, unread_only: bool = False, page_size: PageSize = 0, page_token: str = ""
    ) -> AlertList:
        """The caller's in-app alerts, newest first, with the unread count (the bell)."""
        request = pb.ListAlertsRequest(
            unread_only=unread_only, page_size=page_size, page_token=page_token
        )
        reply = await backends.call(stub().ListAlerts, request, who.token)
        return AlertList(
            alerts=[alert_out(a) for a in reply.alerts],
            unread_count=reply.unread_count,
            next_page_token=reply.next_page_token,
        )

    @router.post("/alerts:mark-read", response_model=MarkedOut)
    async def mark_read(body: MarkRead, who: CallerDep) -> MarkedOut:
        """Mark the named alerts (or ``all``) read."""
        request = pb.MarkAlertsReadRequest(alert_ids=body.alert_ids, all=body.all)
        reply = await backends.call(stub().MarkAlertsRead, request, who.token)
        return MarkedOut(marked=reply.marked)

    @router.get("/alert-deliveries", response_model=DeliveryList)
    async def list_deliveries(
        who: CallerDep,
        alert_id: str = "",
        dead_only: bool = False,
        page_size: PageSize = 0,
        page_token: str = "",
    ) -> DeliveryList:
        """Webhook and e-mail deliveries of the caller's alerts (``dead_only``: dead letters)."""
        request = pb.ListAlertDeliveriesRequest(
            alert_id=alert_id, dead_only=dead_only, page_size=page_size, page_token=page_token
        )
        reply = await backends.call(stub().ListAlertDeliveries, request, who.token)
        return DeliveryList(
            deliveries=[delivery_out(d) for d in reply.deliveries],
            next_page_token=reply.next_page_token,
        )

    @router.post("/alert-deliveries/{delivery_id}:replay", response_model=DeliveryOut)
    async def replay(delivery_id: str, who: CallerDep) -> DeliveryOut:
        """Queue a dead-lettered delivery again."""
        request = pb.ReplayAlertDeliveryRequest(delivery_id=delivery_id)
        reply = await backends.call(stub().ReplayAlertDelivery, request, who.token)
        return delivery_out(reply.delivery)

    return router
