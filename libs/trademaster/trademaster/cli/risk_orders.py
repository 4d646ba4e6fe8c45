"""``trademaster risk orders|fills|positions|decisions|watch``: place, check, modify, cancel, list
orders; fills, positions and audited decisions of an account; its events live."""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

import click
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from rich.console import Console
from trademaster_client import risk_account_topic

from trademaster.api.notifier.v1 import notifier_pb2
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.cli.jobs import _target_option, _token_option
from trademaster.cli.risk_common import (
    EXIT_DENIED,
    ORDER_STATUSES,
    client,
    collect,
    connection,
    emit,
    enum_value,
    table,
    view,
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
    if decision.get("check_latency") is not None:
        console.print(
            f"  audit #{decision['sequence']} {decision['entry_hash'][:16]}…, "
            f"checked in {decision['check_latency'] * 1e6:.0f} µs"
        )


@click.group()
def orders() -> None:
    """Orders: submit, check (dry run), cancel, list, show."""


def _order(
    account_id: str,
    instrument: str,
    side: str,
    quantity: str,
    limit_price: str | None,
    tif: str,
    client_order_id: str | None,
    reduce_only: bool,
) -> pb.Order:
    return pb.Order(
        client_order_id=client_order_id or f"cli-{uuid.uuid4().hex[:16]}",
        account_id=account_id,
        instrument_id=instrument,
        side=enum_value(pb.OrderSide.DESCRIPTOR, side),
        order_type=enum_value(pb.OrderType.DESCRIPTOR, "LIMIT" if limit_price else "MARKET"),
        quantity=quantity,
        limit_price=limit_price or "",
        time_in_force=enum_value(pb.TimeInForce.DESCRIPTOR, tif),
        reduce_only=reduce_only,
    )


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
        target: str | None,
        token: str | None,
        as_json: bool,
    ) -> None:
        order = _order(
            account_id, instrument, side, quantity, limit_price, tif, client_order_id, reduce_only
        )
        with client(target, token) as tm:
            if dry_run:
                reply: Message = tm.risk.CheckOrder(pb.CheckOrderRequest(order=order))
            else:
                reply = tm.risk.SubmitOrder(pb.SubmitOrderRequest(order=order))
        data = view(reply)
        if dry_run:
            emit(data["decision"], as_json, _render_decision)
        else:
            emit(data, as_json, _render_submitted)
        if data["decision"]["decision"] != "ALLOW":
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
    account_id: str, client_order_id: str, target: str | None, token: str | None, as_json: bool
) -> None:
    """Cancel an order; cancelling a closed order is not an error."""
    request = pb.CancelOrderRequest(account_id=account_id, client_order_id=client_order_id)
    with client(target, token) as tm:
        reply = tm.risk.CancelOrder(request)
    emit(view(reply.order), as_json, lambda r, c: _render_orders([r], c))


@orders.command(name="modify")
@click.argument("account_id")
@click.argument("client_order_id")
@click.option("--quantity", help="New total quantity (filled part included).")
@click.option("--limit", "limit_price", help="New limit price of a LIMIT order.")
@click.option("--request-id", help="Idempotency key; default a new random id.")
@connection
def orders_modify(
    account_id: str,
    client_order_id: str,
    quantity: str | None,
    limit_price: str | None,
    request_id: str | None,
    target: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Modify a working order's quantity and/or limit price, checked like a submit; exit 3
    when denied."""
    if not quantity and not limit_price:
        raise click.UsageError("give --quantity and/or --limit")
    request = pb.ModifyOrderRequest(
        account_id=account_id,
        client_order_id=client_order_id,
        quantity=quantity or "",
        limit_price=limit_price or "",
        request_id=request_id or f"cli-{uuid.uuid4().hex[:16]}",
    )
    with client(target, token) as tm:
        reply = tm.risk.ModifyOrder(request)
    data = view(reply)
    emit(data, as_json, _render_submitted)
    if data["decision"]["decision"] != "ALLOW":
        raise SystemExit(EXIT_DENIED)


@orders.command(name="show")
@click.argument("account_id")
@click.argument("client_order_id")
@connection
def orders_show(
    account_id: str, client_order_id: str, target: str | None, token: str | None, as_json: bool
) -> None:
    """One order."""
    request = pb.GetOrderRequest(account_id=account_id, client_order_id=client_order_id)
    with client(target, token) as tm:
        reply = tm.risk.GetOrder(request)
    emit(view(reply.order), as_json, lambda r, c: _render_orders([r], c))


@orders.command(name="list")
@click.argument("account_id")
@click.option("--working", is_flag=True, help="Only working orders.")
@click.option("--status", "statuses", multiple=True, type=click.Choice(ORDER_STATUSES))
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@connection
def orders_list(
    account_id: str,
    working: bool,
    statuses: tuple[str, ...],
    limit: int,
    target: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Orders of ACCOUNT_ID, newest first."""
    request = pb.ListOrdersRequest(
        account_id=account_id,
        statuses=[enum_value(pb.OrderStatus.DESCRIPTOR, s) for s in statuses],
        working_only=working,
    )
    with client(target, token) as tm:
        found = [view(o) for o in collect(tm, tm.risk.ListOrders, request, limit)]
    emit({"orders": found}, as_json, lambda r, c: _render_orders(r["orders"], c))


# --- fills, positions, decisions --------------------------------------------------------------


@click.command()
@click.argument("account_id")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@connection
def fills(
    account_id: str, limit: int, target: str | None, token: str | None, as_json: bool
) -> None:
    """Fills of ACCOUNT_ID, newest first."""
    with client(target, token) as tm:
        request = pb.ListFillsRequest(account_id=account_id)
        reply = {"fills": [view(f) for f in collect(tm, tm.risk.ListFills, request, limit)]}
    emit(
        reply,
        as_json,
        lambda r, c: c.print(
            table(
                ["time", "order", "instrument", "side", "qty", "price", "fee"],
                [
                    [
                        f["fill_time"],
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
def positions(account_id: str, target: str | None, token: str | None, as_json: bool) -> None:
    """Open positions of ACCOUNT_ID at market."""
    with client(target, token) as tm:
        request = pb.ListPositionsRequest(account_id=account_id)
        found = [view(p) for p in collect(tm, tm.risk.ListPositions, request, 100_000)]
    reply = {"positions": found}
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
                d["decide_time"],
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
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@connection
def decisions(
    account_id: str,
    decision: str | None,
    reason: str,
    instrument_id: str,
    since: Any,
    limit: int,
    target: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Audited order decisions, newest first, with their reason codes."""
    request = pb.ListDecisionsRequest(
        account_id=account_id,
        reason=reason,
        instrument_id=instrument_id,
        decision=enum_value(pb.Decision.DESCRIPTOR, decision or "UNSPECIFIED"),
    )
    if since is not None:
        start = Timestamp()
        start.FromDatetime(since if since.tzinfo else since.replace(tzinfo=UTC))
        request.start_time.CopyFrom(start)
    with client(target, token) as tm:
        found = [view(d) for d in collect(tm, tm.risk.ListDecisions, request, limit)]
    emit({"decisions": found}, as_json, lambda r, c: _render_decisions(r["decisions"], c))


# --- live events ------------------------------------------------------------------------------


def _event_line(event: notifier_pb2.Event) -> str:
    """One line per risk event: the fields a desk watches."""
    kind = event.WhichOneof("payload") or ""
    p: Any = getattr(event, kind) if kind else None
    if kind == "order_decided":
        reasons = ",".join(p.violation_reasons)
        return f"{p.decision} {p.side} {p.quantity} {p.instrument_id} {p.client_order_id}" + (
            f" [{reasons}]" if reasons else ""
        )
    if kind == "order_updated":
        return (
            f"order {p.client_order_id} {p.status} "
            f"filled {p.filled_quantity} @ {p.average_fill_price or '—'}"
        )
    if kind == "fill_received":
        return f"fill {p.side} {p.quantity} {p.instrument_id} @ {p.price} fee {p.fee}"
    if kind == "position_changed":
        return f"position {p.instrument_id} {p.quantity} @ {p.average_price}"
    if kind == "trading_state_changed":
        return f"state {p.old_state} -> {p.new_state}: {p.reason}"
    if kind == "kill_switch_completed":
        return (
            f"kill {p.kill_id}: {p.cancels_acknowledged}/{p.working_orders} cancelled, "
            f"{p.cancels_failed} failed in {p.total_ms:.1f} ms"
        )
    return str(view(p)) if p is not None else ""


@click.command()
@click.argument("account_id")
@click.option("--count", type=click.IntRange(min=1), help="Exit after this many events.")
@_target_option
@_token_option
def watch(account_id: str, count: int | None, target: str | None, token: str | None) -> None:
    """Print ACCOUNT_ID's decisions, order updates, fills, positions and state changes live
    (the stream resumes after the last event on reconnects; Ctrl-C ends)."""
    with client(target, token) as tm:
        tm.risk.GetAccount(pb.GetAccountRequest(account_id=account_id))  # NOT_FOUND, not silence
        stream = tm.subscribe([risk_account_topic(account_id)])
        try:
            for seen, event in enumerate(stream, start=1):
                when = event.time.ToDatetime(tzinfo=UTC).isoformat().replace("+00:00", "Z")
                click.echo(f"{when} {event.type}: {_event_line(event)}")
                if count is not None and seen >= count:
                    return
        finally:
            stream.close()
