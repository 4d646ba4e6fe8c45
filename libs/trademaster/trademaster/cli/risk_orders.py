"""``trademaster risk orders|fills|positions|decisions``: place, check, cancel and list orders;
fills, positions and audited decisions of an account."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import click
from rich.console import Console

from trademaster.cli.jobs import _gateway, _token_option, _url_option
from trademaster.cli.risk_common import (
    EXIT_DENIED,
    ORDER_STATUSES,
    api_path,
    connection,
    emit,
    table,
)

# --- orders -----------------------------------------------------------------------------------


def _render_orders(orders: list[dict[str, Any]], console: Console) -> None:
    console.print(
        table(
            ["client_order_id", "instrument", "side", "type", "qty", "limit", "status", "filled"],
            [
                [
                    o["client_order_id"],
                    o["instrument_id"],
                    o["side"],
                    o["order_type"],
                    o["quantity"],
                    o["limit_price"],
                    o["status"],
                    o["filled_quantity"],
                ]
                for o in orders
            ],
        )
    )


def _render_decision(decision: dict[str, Any], console: Console) -> None:
    verdict = decision["decision"]
    color = "green" if verdict == "ALLOW" else "red"
    console.print(
        f"[bold {color}]{verdict}[/] decision {decision['decision_id']} "
        f"(state {decision['trading_state']}{', dry run' if decision['dry_run'] else ''})"
    )
    for violation in decision["violations"]:
        console.print(f"  [red]{violation['reason']}[/]: {violation['message']}")
    if decision.get("check_latency_us") is not None:
        console.print(
            f"  audit #{decision['sequence']} {decision['entry_hash'][:16]}…, "
            f"checked in {decision['check_latency_us']:.0f} µs"
        )


@click.group()
def orders() -> None:
    """Orders: submit, check (dry run), cancel, list, show."""


def _order_body(
    instrument: str,
    side: str,
    quantity: str,
    limit_price: str | None,
    tif: str,
    client_order_id: str | None,
) -> dict[str, Any]:
    return {
        "client_order_id": client_order_id or f"cli-{uuid.uuid4().hex[:16]}",
        "instrument_id": instrument,
        "side": side.upper(),
        "order_type": "LIMIT" if limit_price else "MARKET",
        "quantity": quantity,
        "limit_price": limit_price,
        "time_in_force": tif.upper(),
    }


def _order_command(name: str, dry_run: bool) -> click.Command:
    @click.command(name=name)
    @click.argument("account_id")
    @click.argument("instrument")
    @click.argument("side", type=click.Choice(["BUY", "SELL"], case_sensitive=False))
    @click.argument("quantity")
    @click.option("--limit", "limit_price", help="Limit price; without it a market order.")
    @click.option(
        "--tif",
        type=click.Choice(["DAY", "GTC", "IOC", "FOK"], case_sensitive=False),
        default="DAY",
        show_default=True,
    )
    @click.option("--client-order-id", help="Idempotency key; default a new random id.")
    @click.option("--reduce-only", is_flag=True, help="Only shrink the position (allowed HALTED).")
    @connection
    def command(
        account_id: str,
        instrument: str,
        side: str,
        quantity: str,
        limit_price: str | None,
        tif: str,
        client_order_id: str | None,
        reduce_only: bool,
        url: str | None,
        token: str | None,
        as_json: bool,
    ) -> None:
        body = _order_body(instrument, side, quantity, limit_price, tif, client_order_id)
        body["reduce_only"] = reduce_only
        gateway = _gateway(url, token)
        if dry_run:
            path = api_path("accounts", account_id, "orders") + ":check"
            decision = gateway.request("POST", path, json=body)
            emit(decision, as_json, _render_decision)
        else:
            reply = gateway.request("POST", api_path("accounts", account_id, "orders"), json=body)
            decision = reply["decision"]
            emit(reply, as_json, lambda r, c: _render_submitted(r, c))
        if decision["decision"] != "ALLOW":
            raise SystemExit(EXIT_DENIED)

    verb = "Check" if dry_run else "Place"
    command.help = (
        f"{verb} an order of QUANTITY INSTRUMENT on ACCOUNT_ID"
        + (" without placing it (audited dry run)" if dry_run else "")
        + f"; exit {EXIT_DENIED} when denied."
    )
    return command


def _render_submitted(reply: dict[str, Any], console: Console) -> None:
    if reply.get("replayed"):
        console.print("client_order_id seen before: the first decision and order are shown")
    _render_decision(reply["decision"], console)
    if reply.get("order"):
        _render_orders([reply["order"]], console)


orders.add_command(_order_command("submit", dry_run=False))
orders.add_command(_order_command("check", dry_run=True))


@orders.command(name="cancel")
@click.argument("account_id")
@click.argument("client_order_id")
@connection
def orders_cancel(
    account_id: str, client_order_id: str, url: str | None, token: str | None, as_json: bool
) -> None:
    """Cancel an order; cancelling a closed order is not an error."""
    path = api_path("accounts", account_id, "orders", client_order_id) + ":cancel"
    reply = _gateway(url, token).request("POST", path)
    emit(reply, as_json, lambda r, c: _render_orders([r], c))


@orders.command(name="show")
@click.argument("account_id")
@click.argument("client_order_id")
@connection
def orders_show(
    account_id: str, client_order_id: str, url: str | None, token: str | None, as_json: bool
) -> None:
    """One order."""
    path = api_path("accounts", account_id, "orders", client_order_id)
    reply = _gateway(url, token).request("GET", path)
    emit(reply, as_json, lambda r, c: _render_orders([r], c))


@orders.command(name="list")
@click.argument("account_id")
@click.option("--working", is_flag=True, help="Only working orders.")
@click.option("--status", "statuses", multiple=True, type=click.Choice(ORDER_STATUSES))
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@connection
def orders_list(
    account_id: str,
    working: bool,
    statuses: tuple[str, ...],
    limit: int,
    url: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Orders of ACCOUNT_ID, newest first."""
    params: dict[str, Any] = {"status": list(statuses), "page_size": limit}
    if working:
        params["working"] = "true"
    path = api_path("accounts", account_id, "orders")
    reply = _gateway(url, token).request("GET", path, params=params)
    emit(reply, as_json, lambda r, c: _render_orders(r["orders"], c))


# --- fills, positions, decisions --------------------------------------------------------------


@click.command()
@click.argument("account_id")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@connection
def fills(account_id: str, limit: int, url: str | None, token: str | None, as_json: bool) -> None:
    """Fills of ACCOUNT_ID, newest first."""
    path = api_path("accounts", account_id, "fills")
    reply = _gateway(url, token).request("GET", path, params={"page_size": limit})
    emit(
        reply,
        as_json,
        lambda r, c: c.print(
            table(
                ["time", "order", "instrument", "side", "qty", "price", "fee"],
                [
                    [
                        f["time"],
                        f["client_order_id"],
                        f["instrument_id"],
                        f["side"],
                        f["quantity"],
                        f["price"],
                        f["fee"],
                    ]
                    for f in r["fills"]
                ],
            )
        ),
    )


@click.command()
@click.argument("account_id")
@connection
def positions(account_id: str, url: str | None, token: str | None, as_json: bool) -> None:
    """Open positions of ACCOUNT_ID at market."""
    path = api_path("accounts", account_id, "positions")
    reply = _gateway(url, token).request("GET", path, params={"page_size": 500})
    emit(
        reply,
        as_json,
        lambda r, c: c.print(
            table(
                ["instrument", "qty", "avg price", "market", "value", "unrealized", "realized"],
                [
                    [
                        p["instrument_id"],
                        p["quantity"],
                        p["average_price"],
                        p["market_price"],
                        p["market_value"],
                        p["unrealized_pnl"],
                        p["realized_pnl"],
                    ]
                    for p in r["positions"]
                ],
            )
        ),
    )


def _render_decisions(decisions: list[dict[str, Any]], console: Console) -> None:
    rows = []
    for d in decisions:
        order = d.get("order") or {}
        rows.append(
            [
                d["decided_at"],
                d["decision"] + (" (dry run)" if d["dry_run"] else ""),
                order.get("account_id", ""),
                order.get("client_order_id", ""),
                " ".join(str(order.get(k, "")) for k in ("side", "quantity", "instrument_id")),
                ", ".join(v["reason"] for v in d["violations"]),
            ]
        )
    console.print(table(["time", "decision", "account", "order", "what", "reasons"], rows))


@click.command()
@click.option("--account", "account_id", default="", help="Only this account.")
@click.option("--decision", type=click.Choice(["ALLOW", "DENY"], case_sensitive=False))
@click.option("--reason", default="", help="Only denials with this reason code.")
@click.option("--instrument", "instrument_id", default="", help="Only this instrument.")
@click.option("--since", type=click.DateTime(), help="Only decisions at or after (UTC).")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@connection
def decisions(
    account_id: str,
    decision: str | None,
    reason: str,
    instrument_id: str,
    since: Any,
    limit: int,
    url: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Audited order decisions, newest first, with their reason codes."""
    params: dict[str, Any] = {
        "account_id": account_id,
        "reason": reason,
        "instrument_id": instrument_id,
        "page_size": limit,
    }
    if decision:
        params["decision"] = decision.upper()
    if since is not None:
        params["start"] = since.isoformat() + ("" if since.tzinfo else "Z")
    reply = _gateway(url, token).request("GET", api_path("decisions"), params=params)
    emit(reply, as_json, lambda r, c: _render_decisions(r["decisions"], c))


# --- live events ------------------------------------------------------------------------------

RECONNECT_TRIES = 5


def _event_line(message: dict[str, Any]) -> str:
    """One line per risk event: its type and the fields a desk watches."""
    p = message.get("payload") or {}
    kind = message.get("type", "")
    if kind == "order_decided":
        reasons = ",".join(p.get("violation_reasons") or [])
        return (
            f"{p.get('decision')} {p.get('side')} {p.get('quantity')} {p.get('instrument_id')} "
            f"{p.get('client_order_id')}" + (f" [{reasons}]" if reasons else "")
        )
    if kind == "order_updated":
        return (
            f"order {p.get('client_order_id')} {p.get('status')} "
            f"filled {p.get('filled_quantity')} @ {p.get('average_fill_price') or '—'}"
        )
    if kind == "fill_received":
        return (
            f"fill {p.get('side')} {p.get('quantity')} {p.get('instrument_id')} @ {p.get('price')}"
            f" fee {p.get('fee')}"
        )
    if kind == "position_changed":
        return f"position {p.get('instrument_id')} {p.get('quantity')} @ {p.get('average_price')}"
    if kind == "trading_state_changed":
        return f"state {p.get('old_state')} -> {p.get('new_state')}: {p.get('reason')}"
    return json.dumps(p, separators=(",", ":"))


@click.command()
@click.argument("account_id")
@click.option("--count", type=click.IntRange(min=1), help="Exit after this many events.")
@_url_option
@_token_option
def watch(account_id: str, count: int | None, url: str | None, token: str | None) -> None:
    """Print ACCOUNT_ID's decisions, order updates, fills, positions and state changes live
    (reconnects and resumes after the last event; Ctrl-C ends)."""
    from websockets.exceptions import ConnectionClosed, InvalidHandshake
    from websockets.sync.client import connect

    gateway = _gateway(url, token)
    topic = gateway.request("GET", api_path("accounts", account_id))["events_topic"]
    last_event_id, tries, seen = "", 0, 0
    while True:
        try:
            with connect(f"{gateway.ws_url()}?access_token={gateway.token}") as ws:
                subscribe = {"type": "subscribe", "topics": [topic], "last_event_id": last_event_id}
                ws.send(json.dumps(subscribe))
                while True:
                    message = json.loads(ws.recv())
                    kind = message.get("type")
                    if kind == "error":
                        error = message.get("error") or {}
                        raise click.ClickException(
                            f"{error.get('message')} ({error.get('reason')})"
                        )
                    tries = 0
                    if kind == "heartbeat" or not message.get("event_id"):
                        continue
                    last_event_id = message["event_id"]
                    click.echo(f"{message.get('time')} {kind}: {_event_line(message)}")
                    seen += 1
                    if count is not None and seen >= count:
                        return
        except (ConnectionClosed, InvalidHandshake, OSError) as error:
            tries += 1
            if tries > RECONNECT_TRIES:
                raise click.ClickException(f"event stream lost: {error}") from error
            time.sleep(min(5.0, 0.5 * 2**tries))
