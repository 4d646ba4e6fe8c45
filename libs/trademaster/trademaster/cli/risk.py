"""``trademaster risk ...``: trading accounts, limits, orders, positions, decisions, trading state
and the kill switch through the gateway's HTTP API (the risk service decides and audits).

URL and token resolve as for ``trademaster jobs`` (``--url``/``--token``, ``TM_URL``/``TM_TOKEN``,
or the file ``trademaster login`` wrote). Every command takes ``--json`` to print the API's JSON.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from trademaster.cli.jobs import Gateway, _gateway, _token_option, _url_option

STATES = ("ACTIVE", "REDUCING", "HALTED")
ORDER_STATUSES = (
    "DENIED",
    "PENDING_NEW",
    "ACCEPTED",
    "PARTIALLY_FILLED",
    "FILLED",
    "PENDING_CANCEL",
    "CANCELLED",
    "REJECTED",
    "EXPIRED",
)
EXIT_DENIED = 3
"""Exit code of ``orders submit``/``orders check`` when the risk check denied the order."""

_json_option = click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")


def _connection(command: Callable[..., Any]) -> Callable[..., Any]:
    return _url_option(_token_option(_json_option(command)))


def _emit(data: Any, as_json: bool, render: Callable[[Any, Console], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        render(data, Console())


def _table(columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(*columns)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    return table


def _path(*parts: str) -> str:
    from urllib.parse import quote

    return "/api/v1/" + "/".join(quote(p, safe="") for p in parts)


@click.group()
def risk() -> None:
    """Trading accounts, limits, orders, positions, decisions, trading state and kill switch."""


# --- accounts ---------------------------------------------------------------------------------


def _render_accounts(accounts: list[dict[str, Any]], console: Console) -> None:
    console.print(
        _table(
            ["id", "name", "mode", "state", "cash", "equity", "P&L"],
            [
                [
                    a["id"],
                    a["name"],
                    a["mode"],
                    a["trading_state"],
                    a["cash"],
                    a["equity"],
                    a["pnl"],
                ]
                for a in accounts
            ],
        )
    )


@risk.group()
def accounts() -> None:
    """Trading accounts: list, show, create."""


@accounts.command(name="list")
@click.option("--mode", type=click.Choice(["PAPER", "LIVE"], case_sensitive=False))
@_connection
def accounts_list(mode: str | None, url: str | None, token: str | None, as_json: bool) -> None:
    """Accounts visible to you (risk officers and admins: all)."""
    params = {"mode": mode.upper()} if mode else {}
    reply = _gateway(url, token).request("GET", _path("accounts"), params=params)
    _emit(reply, as_json, lambda r, c: _render_accounts(r["accounts"], c))


@accounts.command(name="show")
@click.argument("account_id")
@_connection
def accounts_show(account_id: str, url: str | None, token: str | None, as_json: bool) -> None:
    """One account with cash, equity, P&L and trading state."""
    reply = _gateway(url, token).request("GET", _path("accounts", account_id))
    _emit(reply, as_json, lambda r, c: _render_accounts([r], c))


@accounts.command(name="create")
@click.argument("name")
@click.option("--cash", "initial_cash", required=True, help="Starting cash, e.g. 100000.")
@click.option("--currency", "base_currency", default="USD", show_default=True)
@click.option("--mode", type=click.Choice(["PAPER", "LIVE"], case_sensitive=False), default="PAPER")
@click.option("--broker", default="paper", show_default=True)
@_connection
def accounts_create(
    name: str,
    initial_cash: str,
    base_currency: str,
    mode: str,
    broker: str,
    url: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Open an account NAME (paper by default) with --cash."""
    body = {
        "name": name,
        "initial_cash": initial_cash,
        "base_currency": base_currency,
        "mode": mode.upper(),
        "broker": broker,
        "request_id": str(uuid.uuid4()),
    }
    reply = _gateway(url, token).request("POST", _path("accounts"), json=body)
    _emit(reply, as_json, lambda r, c: _render_accounts([r], c))


# --- limits -----------------------------------------------------------------------------------


def _render_limits(limits: dict[str, Any], console: Console) -> None:
    rows = [[f"max_position[{k}]", v] for k, v in sorted(limits["max_position"].items())]
    for key in ("max_notional", "max_order_quantity", "max_daily_loss", "max_leverage"):
        rows.append([key, limits[key] or "no limit"])
    rows.append(["allowed_instruments", ", ".join(limits["allowed_instruments"]) or "all"])
    console.print(_table(["limit", "value"], rows))


@risk.group()
def limits() -> None:
    """Pre-trade limits of an account: show, set."""


@limits.command(name="show")
@click.argument("account_id")
@_connection
def limits_show(account_id: str, url: str | None, token: str | None, as_json: bool) -> None:
    """The limits of ACCOUNT_ID."""
    reply = _gateway(url, token).request("GET", _path("accounts", account_id, "limits"))
    _emit(reply, as_json, _render_limits)


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for text in values:
        key, sep, value = text.partition("=")
        if not sep or not key or not value:
            raise click.BadParameter(f"must look like INSTRUMENT=QUANTITY, was {text!r}")
        out[key] = value
    return out


@limits.command(name="set")
@click.argument("account_id")
@click.option("--max-position", multiple=True, help="INSTRUMENT=QTY ('*' for others); repeat.")
@click.option("--max-notional", help="Largest gross exposure.")
@click.option("--max-order-quantity", help="Largest quantity of one order.")
@click.option("--max-daily-loss", help="Loss since the start of the day that halts the account.")
@click.option("--max-leverage", help="Largest gross exposure / equity, e.g. 2.")
@click.option("--allow", "allowed", multiple=True, help="Instrument the account may trade; repeat.")
@_connection
def limits_set(
    account_id: str,
    max_position: tuple[str, ...],
    max_notional: str | None,
    max_order_quantity: str | None,
    max_daily_loss: str | None,
    max_leverage: str | None,
    allowed: tuple[str, ...],
    url: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Replace every limit of ACCOUNT_ID (a limit not given is removed); risk officers only."""
    body = {
        "max_position": _pairs(max_position),
        "max_notional": max_notional,
        "max_order_quantity": max_order_quantity,
        "max_daily_loss": max_daily_loss,
        "max_leverage": max_leverage,
        "allowed_instruments": list(allowed),
    }
    path = _path("accounts", account_id, "limits")
    reply = _gateway(url, token).request("PUT", path, json=body)
    _emit(reply, as_json, _render_limits)


# --- orders -----------------------------------------------------------------------------------


def _render_orders(orders: list[dict[str, Any]], console: Console) -> None:
    console.print(
        _table(
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


@risk.group()
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
    @_connection
    def command(
        account_id: str,
        instrument: str,
        side: str,
        quantity: str,
        limit_price: str | None,
        tif: str,
        client_order_id: str | None,
        url: str | None,
        token: str | None,
        as_json: bool,
    ) -> None:
        body = _order_body(instrument, side, quantity, limit_price, tif, client_order_id)
        gateway = _gateway(url, token)
        if dry_run:
            path = _path("accounts", account_id, "orders") + ":check"
            decision = gateway.request("POST", path, json=body)
            _emit(decision, as_json, _render_decision)
        else:
            reply = gateway.request("POST", _path("accounts", account_id, "orders"), json=body)
            decision = reply["decision"]
            _emit(reply, as_json, lambda r, c: _render_submitted(r, c))
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
    _render_decision(reply["decision"], console)
    if reply.get("order"):
        _render_orders([reply["order"]], console)


orders.add_command(_order_command("submit", dry_run=False))
orders.add_command(_order_command("check", dry_run=True))


@orders.command(name="cancel")
@click.argument("account_id")
@click.argument("client_order_id")
@_connection
def orders_cancel(
    account_id: str, client_order_id: str, url: str | None, token: str | None, as_json: bool
) -> None:
    """Cancel an order; cancelling a closed order is not an error."""
    path = _path("accounts", account_id, "orders", client_order_id) + ":cancel"
    reply = _gateway(url, token).request("POST", path)
    _emit(reply, as_json, lambda r, c: _render_orders([r], c))


@orders.command(name="show")
@click.argument("account_id")
@click.argument("client_order_id")
@_connection
def orders_show(
    account_id: str, client_order_id: str, url: str | None, token: str | None, as_json: bool
) -> None:
    """One order."""
    path = _path("accounts", account_id, "orders", client_order_id)
    reply = _gateway(url, token).request("GET", path)
    _emit(reply, as_json, lambda r, c: _render_orders([r], c))


@orders.command(name="list")
@click.argument("account_id")
@click.option("--working", is_flag=True, help="Only working orders.")
@click.option("--status", "statuses", multiple=True, type=click.Choice(ORDER_STATUSES))
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@_connection
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
    path = _path("accounts", account_id, "orders")
    reply = _gateway(url, token).request("GET", path, params=params)
    _emit(reply, as_json, lambda r, c: _render_orders(r["orders"], c))


# --- fills, positions, decisions --------------------------------------------------------------


@risk.command()
@click.argument("account_id")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@_connection
def fills(account_id: str, limit: int, url: str | None, token: str | None, as_json: bool) -> None:
    """Fills of ACCOUNT_ID, newest first."""
    path = _path("accounts", account_id, "fills")
    reply = _gateway(url, token).request("GET", path, params={"page_size": limit})
    _emit(
        reply,
        as_json,
        lambda r, c: c.print(
            _table(
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


@risk.command()
@click.argument("account_id")
@_connection
def positions(account_id: str, url: str | None, token: str | None, as_json: bool) -> None:
    """Open positions of ACCOUNT_ID at market."""
    path = _path("accounts", account_id, "positions")
    reply = _gateway(url, token).request("GET", path, params={"page_size": 500})
    _emit(
        reply,
        as_json,
        lambda r, c: c.print(
            _table(
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
    console.print(_table(["time", "decision", "account", "order", "what", "reasons"], rows))


@risk.command()
@click.option("--account", "account_id", default="", help="Only this account.")
@click.option("--decision", type=click.Choice(["ALLOW", "DENY"], case_sensitive=False))
@click.option("--since", type=click.DateTime(), help="Only decisions at or after (UTC).")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@_connection
def decisions(
    account_id: str,
    decision: str | None,
    since: Any,
    limit: int,
    url: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Audited order decisions, newest first, with their reason codes."""
    params: dict[str, Any] = {"account_id": account_id, "page_size": limit}
    if decision:
        params["decision"] = decision.upper()
    if since is not None:
        params["start"] = since.isoformat() + ("" if since.tzinfo else "Z")
    reply = _gateway(url, token).request("GET", _path("decisions"), params=params)
    _emit(reply, as_json, lambda r, c: _render_decisions(r["decisions"], c))


# --- trading state and kill switch ------------------------------------------------------------


def _render_state(state: dict[str, Any], console: Console) -> None:
    console.print(
        f"[bold]{state['account_id']}[/] {state['trading_state']}"
        f" (by {state['updated_by'] or '—'} at {state['updated_at'] or '—'})"
        + (f": {state['reason']}" if state["reason"] else "")
    )


@risk.command()
@click.argument("account_id")
@click.option("--set", "new_state", type=click.Choice(STATES), help="Change the state.")
@click.option("--reason", default="", help="Why; required for REDUCING and HALTED.")
@_connection
def state(
    account_id: str,
    new_state: str | None,
    reason: str,
    url: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Show (or with --set change) the trading state of ACCOUNT_ID."""
    gateway = _gateway(url, token)
    path = _path("accounts", account_id, "trading-state")
    if new_state is None:
        reply = gateway.request("GET", path)
    else:
        body = {"trading_state": new_state, "reason": reason}
        reply = gateway.request("PUT", path, json=body)
    _emit(reply, as_json, _render_state)


@risk.command()
@click.argument("account_id", required=False)
@click.option("--all", "all_accounts", is_flag=True, help="Halt every account.")
@click.option("--reason", required=True, help="Why the kill switch is pulled (audited).")
@click.option("--keep-orders", is_flag=True, help="Do not cancel working orders.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_connection
def kill(
    account_id: str | None,
    all_accounts: bool,
    reason: str,
    keep_orders: bool,
    yes: bool,
    url: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Halt ACCOUNT_ID (or --all accounts) and cancel their working orders."""
    if bool(account_id) == all_accounts:
        raise click.UsageError("name one ACCOUNT_ID or pass --all, not both")
    gateway: Gateway = _gateway(url, token)
    target = "EVERY account" if all_accounts else f"account {account_id}"
    if not yes:
        click.confirm(f"Halt {target} and cancel its working orders?", abort=True)
    body: dict[str, Any] = {"reason": reason, "cancel_open_orders": not keep_orders}
    if all_accounts:
        body["all_accounts"] = True
    else:
        body["account_id"] = account_id
    reply = gateway.request("POST", _path("kill-switch"), json=body)

    def render(r: dict[str, Any], console: Console) -> None:
        for halted in r["halted"]:
            _render_state(halted, console)
        console.print(f"cancelled {r['cancelled_orders']} working order(s)")

    _emit(reply, as_json, render)
