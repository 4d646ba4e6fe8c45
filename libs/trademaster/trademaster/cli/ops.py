"""``trademaster alerts ...`` and ``trademaster audit ...``: alert rules, the in-app alerts and
their deliveries, and the action audit, through the gateway's HTTP API.

Same gateway URL and token resolution as ``trademaster jobs`` (``--url``/``--token``, env
``TM_URL``/``TM_TOKEN``, or the file ``trademaster login`` wrote).
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from typing import Any

import click

from trademaster.cli.gateway_http import gateway_for, url_option
from trademaster.cli.jobs import _token_option

_json_option = click.option("--json", "as_json", is_flag=True, help="Print the raw JSON answer.")
_TIME = click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"])
_AUDIT_COLUMNS = ("id", "at", "actor_id", "route", "resource_ids", "status", "outcome", "trace_id")


def _print(data: Any, as_json: bool, lines: list[str]) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True) if as_json else "\n".join(lines))


@click.group()
def alerts() -> None:
    """Alert rules, your alerts (the bell) and their webhook/e-mail deliveries."""


@alerts.command(name="rules")
@_json_option
@url_option
@_token_option
def list_rules(as_json: bool, url: str | None, token: str | None) -> None:
    """Your alert rules (risk officers, admins: every rule)."""
    data = gateway_for(url, token).request("GET", "/api/v1/alert-rules")
    lines = [
        f"{r['id']}  {r['name']}  {','.join(r['event_types'])} {r['match'] or ''}"
        f"{'  platform' if r['platform'] else ''}"
        for r in data["rules"]
    ]
    _print(data, as_json, lines or ["no rules"])


@alerts.command(name="add")
@click.argument("name")
@click.option("--event", "events", multiple=True, required=True, help="Event type (repeat).")
@click.option("--match", "matches", multiple=True, help="field=value the payload must hold.")
@click.option("--topic-prefix", default="")
@click.option("--webhook", default="", help="POST alerts to this URL.")
@click.option("--webhook-secret", default="", envvar="TM_WEBHOOK_SECRET", help="HMAC key.")
@click.option("--slack", is_flag=True, help="Send Slack's incoming-webhook body.")
@click.option("--email", default="", help="E-mail alerts to this address.")
@click.option("--no-in-app", is_flag=True, help="Do not keep alerts for the bell.")
@click.option("--platform", is_flag=True, help="Every owner's events (risk officers, admins).")
@_json_option
@url_option
@_token_option
def add_rule(
    name: str, events: tuple[str, ...], matches: tuple[str, ...], topic_prefix: str,
    webhook: str, webhook_secret: str, slack: bool, email: str, no_in_app: bool,
    platform: bool, as_json: bool, url: str | None, token: str | None,
) -> None:  # fmt: skip
    """Create a rule NAME: e.g. --event job_state_changed --match new_state=FAILED."""
    match = {}
    for pair in matches:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(
                f"must look like field=value, was {pair!r}", param_hint="--match"
            )
        match[key] = value
    body = {
        "name": name, "event_types": list(events), "match": match, "topic_prefix": topic_prefix,
        "webhook_url": webhook, "webhook_secret": webhook_secret,
        "webhook_format": "slack" if slack else "json", "email_to": email,
        "in_app": not no_in_app, "platform": platform,
    }  # fmt: skip
    data = gateway_for(url, token).request("POST", "/api/v1/alert-rules", json=body)
    _print(data, as_json, [f"created rule {data['id']}"])


@alerts.command(name="remove")
@click.argument("rule_id")
@url_option
@_token_option
def remove_rule(rule_id: str, url: str | None, token: str | None) -> None:
    """Delete rule RULE_ID (the alerts it raised stay)."""
    gateway_for(url, token).request("DELETE", f"/api/v1/alert-rules/{rule_id}")
    click.echo(f"deleted rule {rule_id}")


@alerts.command(name="list")
@click.option("--unread", is_flag=True, help="Only unread alerts.")
@click.option("--mark-read", is_flag=True, help="Then mark every alert read.")
@_json_option
@url_option
@_token_option
def list_alerts(
    unread: bool, mark_read: bool, as_json: bool, url: str | None, token: str | None
) -> None:
    """Your alerts, newest first, and the unread count."""
    gateway = gateway_for(url, token)
    data = gateway.request("GET", "/api/v1/alerts", params={"unread_only": unread})
    lines = [f"{data['unread_count']} unread"] + [
        f"{a['created_at']}  {'  ' if a['read_at'] else '* '}{a['title']}" for a in data["alerts"]
    ]
    _print(data, as_json, lines)
    if mark_read:
        gateway.request("POST", "/api/v1/alerts:mark-read", json={"all": True})


@alerts.command(name="deliveries")
@click.option("--dead", is_flag=True, help="Only dead letters.")
@_json_option
@url_option
@_token_option
def deliveries(dead: bool, as_json: bool, url: str | None, token: str | None) -> None:
    """The delivery log of your alerts."""
    data = gateway_for(url, token).request(
        "GET", "/api/v1/alert-deliveries", params={"dead_only": dead}
    )
    lines = [
        f"{d['id']}  {d['channel']:7} {d['status']:9} attempts={d['attempts']} {d['last_error']}"
        for d in data["deliveries"]
    ]
    _print(data, as_json, lines or ["no deliveries"])


@alerts.command(name="replay")
@click.argument("delivery_id")
@url_option
@_token_option
def replay(delivery_id: str, url: str | None, token: str | None) -> None:
    """Queue dead-lettered delivery DELIVERY_ID again."""
    data = gateway_for(url, token).request("POST", f"/api/v1/alert-deliveries/{delivery_id}:replay")
    click.echo(f"{data['id']} {data['status']}")


@click.group()
def audit() -> None:
    """Who did what: the action audit (risk officers and admins)."""


@audit.command(name="search")
@click.option("--actor", default="", help="User or service-token id.")
@click.option("--resource", default="", help="e.g. strategy, order, alert_rule.")
@click.option("--action", default="", help="e.g. create, update, delete.")
@click.option("--outcome", default="", help="ok, denied, unauthenticated, not_found, ...")
@click.option("--since", type=_TIME, default=None, help="From this time (naive: UTC).")
@click.option("--until", type=_TIME, default=None, help="Before this time (naive: UTC).")
@click.option("--limit", type=click.IntRange(1, 1000), default=100)
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV to stdout.")
@_json_option
@url_option
@_token_option
def search(
    actor: str, resource: str, action: str, outcome: str, since: datetime | None,
    until: datetime | None, limit: int, as_csv: bool, as_json: bool, url: str | None,
    token: str | None,
) -> None:  # fmt: skip
    """Audited calls, newest first."""
    params: dict[str, Any] = {
        "actor_id": actor, "resource": resource, "action": action, "outcome": outcome,
        "page_size": limit,
    }  # fmt: skip
    for name, moment in (("start", since), ("end", until)):
        if moment is not None:
            params[name] = moment.isoformat() if moment.tzinfo else f"{moment.isoformat()}+00:00"
    data = gateway_for(url, token).request("GET", "/api/v1/audit/actions", params=params)
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(_AUDIT_COLUMNS)
        for e in data["entries"]:
            writer.writerow(
                [json.dumps(e[c]) if c == "resource_ids" else e[c] for c in _AUDIT_COLUMNS]
            )
        return
    lines = [
        f"{e['at']}  {e['outcome']:15} {e['actor_id'] or '-':36}  {e['route']} "
        f"{e['resource_ids'] or ''}"
        for e in data["entries"]
    ]
    _print(data, as_json, lines or ["no entries"])


@audit.command(name="verify")
@url_option
@_token_option
def verify(url: str | None, token: str | None) -> None:
    """Recompute the audit's hash chain; exit 1 when a row was changed."""
    data = gateway_for(url, token).request("GET", "/api/v1/audit/actions:verify")
    if not data["verified"]:
        raise click.ClickException(f"chain broken at row {data['broken_at']}")
    click.echo(f"verified {data['rows']} rows")
