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


DECIMAL_LIMITS = (
    "max_gross_exposure",
    "max_net_exposure",
    "max_order_quantity",
    "max_order_notional",
    "max_daily_loss",
    "max_drawdown",
    "max_leverage",
    "price_collar_bps",
    "max_orders_per_second",
    "max_deployment_orders_per_second",
)
COUNT_LIMITS = (
    "max_working_orders",
    "order_burst",
    "max_reference_age_ms",
    "duplicate_window_ms",
    "max_consecutive_denials",
    "max_consecutive_losses",
    "breaker_cooldown_seconds",
)


def _render_limits(limits: dict[str, Any], console: Console) -> None:
    rows = [[f"max_position[{k}]", v] for k, v in sorted(limits["max_position"].items())]
    for key in DECIMAL_LIMITS + COUNT_LIMITS:
        rows.append([key, limits[key] or "—"])
    rows.append(["allowed_instruments", ", ".join(limits["allowed_instruments"]) or "all"])
    rows.append(["version", f"{limits['version']} by {limits['updated_by'] or '—'}"])
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


def _limit_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for name in reversed(COUNT_LIMITS):
        command = click.option(
            "--" + name.replace("_", "-"), name, type=click.IntRange(min=0), default=0
        )(command)
    for name in reversed(DECIMAL_LIMITS):
        command = click.option("--" + name.replace("_", "-"), name, default=None)(command)
    return command


@limits.command(name="set")
@click.argument("account_id")
@click.option("--max-position", multiple=True, help="INSTRUMENT=QTY ('*' for others); repeat.")
@click.option("--allow", "allowed", multiple=True, help="Instrument the account may trade; repeat.")
@click.option("--reason", default="", help="Why the limits change (audited).")
@_limit_options
@_connection
def limits_set(
    account_id: str,
    max_position: tuple[str, ...],
    allowed: tuple[str, ...],
    reason: str,
    url: str | None,
    token: str | None,
    as_json: bool,
    **values: Any,
) -> None:
    """Replace every limit of ACCOUNT_ID (a limit not given is removed); risk officers only.

    Decimal limits take strings like 1000.50; counts 0 mean none (or the default)."""
    body = {
        "max_position": _pairs(max_position),
        "allowed_instruments": list(allowed),
        "reason": reason,
        **values,
    }
    path = _path("accounts", account_id, "limits")
    reply = _gateway(url, token).request("PUT", path, json=body)
    _emit(reply, as_json, _render_limits)


# --- instruments ----------------------------------------------------------------------------


@risk.group()
def instruments() -> None:
    """Instruments orders may name, with tick/lot/size rules: list, put."""


def _render_instruments(items: list[dict[str, Any]], console: Console) -> None:
    console.print(
        _table(
            ["instrument", "tick", "lot", "min qty", "max qty", "min notional", "disabled"],
            [
                [
                    i["instrument_id"],
                    i["tick_size"],
                    i["lot_size"],
                    i["min_quantity"],
                    i["max_quantity"],
                    i["min_notional"],
                    i["disabled"],
                ]
                for i in items
            ],
        )
    )


@instruments.command(name="list")
@_connection
def instruments_list(url: str | None, token: str | None, as_json: bool) -> None:
    """Every instrument, by id."""
    reply = _gateway(url, token).request("GET", _path("instruments"), params={"page_size": 500})
    _emit(reply, as_json, lambda r, c: _render_instruments(r["instruments"], c))


@instruments.command(name="put")
@click.argument("instrument_id")
@click.option("--tick-size", required=True)
@click.option("--lot-size", required=True)
@click.option("--min-quantity")
@click.option("--max-quantity")
@click.option("--min-notional")
@click.option("--disabled", is_flag=True, help="Keep it but refuse orders.")
@_connection
def instruments_put(
    instrument_id: str,
    tick_size: str,
    lot_size: str,
    min_quantity: str | None,
    max_quantity: str | None,
    min_notional: str | None,
    disabled: bool,
    url: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Create or replace INSTRUMENT_ID's trading rules (risk officers only)."""
    body = {
        "tick_size": tick_size,
        "lot_size": lot_size,
        "min_quantity": min_quantity,
        "max_quantity": max_quantity,
        "min_notional": min_notional,
        "disabled": disabled,
    }
    reply = _gateway(url, token).request("PUT", _path("instruments", instrument_id), json=body)
    _emit(reply, as_json, lambda r, c: _render_instruments([r], c))


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
    if decision.get("check_latency_us") is not None:
        console.print(
            f"  audit #{decision['sequence']} {decision['entry_hash'][:16]}…, "
            f"checked in {decision['check_latency_us']:.0f} µs"
        )


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
    @click.option("--reduce-only", is_flag=True, help="Only shrink the position (allowed HALTED).")
    @_connection
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
@click.option("--reason", default="", help="Only denials with this reason code.")
@click.option("--instrument", "instrument_id", default="", help="Only this instrument.")
@click.option("--since", type=click.DateTime(), help="Only decisions at or after (UTC).")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@_connection
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
    reply = _gateway(url, token).request("GET", _path("decisions"), params=params)
    _emit(reply, as_json, lambda r, c: _render_decisions(r["decisions"], c))


# --- audit, trading state and kill switch ----------------------------------------------------


@risk.command()
@click.option("--from", "from_sequence", type=click.IntRange(min=0), default=0)
@click.option("--to", "to_sequence", type=click.IntRange(min=0), default=0)
@_connection
def verify(
    from_sequence: int, to_sequence: int, url: str | None, token: str | None, as_json: bool
) -> None:
    """Recompute the decision audit hash chain; exit 1 when it is broken."""
    params = {"from_sequence": from_sequence, "to_sequence": to_sequence}
    reply = _gateway(url, token).request("GET", _path("audit", "verify"), params=params)

    def render(r: dict[str, Any], console: Console) -> None:
        if r["valid"]:
            console.print(
                f"[green]chain valid[/]: {r['entries_checked']} entries, {r['last_hash']}"
            )
        else:
            console.print(f"[red]chain broken[/] at #{r['first_bad_sequence']}: {r['problem']}")

    _emit(reply, as_json, render)
    if not reply["valid"]:
        raise SystemExit(1)


SCOPES = ("ACCOUNT", "GLOBAL", "DEPLOYMENT", "INSTRUMENT")
_scope_option = click.option(
    "--scope",
    type=click.Choice(SCOPES),
    default="ACCOUNT",
    show_default=True,
    help="What SCOPE_ID names; GLOBAL takes none.",
)


def _scope(scope: str, scope_id: str | None) -> dict[str, str]:
    if (scope == "GLOBAL") != (not scope_id):
        raise click.UsageError(
            "GLOBAL takes no SCOPE_ID" if scope == "GLOBAL" else f"{scope} needs a SCOPE_ID"
        )
    return {"scope": scope, "scope_id": scope_id or ""}


def _render_state(state: dict[str, Any], console: Console) -> None:
    where = state["scope"] + (f" {state['scope_id']}" if state["scope_id"] else "")
    console.print(
        f"[bold]{where}[/] {state['trading_state']}"
        f" (by {state['updated_by'] or '—'} at {state['updated_at'] or '—'})"
        + (f": {state['reason']}" if state["reason"] else "")
        + (f"; ACTIVE refused until {state['cooldown_until']}" if state["cooldown_until"] else "")
    )


@risk.command()
@click.argument("scope_id", required=False)
@_scope_option
@click.option("--set", "new_state", type=click.Choice(STATES), help="Change the state.")
@click.option("--reason", default="", help="Why (required with --set; audited).")
@click.option("--history", is_flag=True, help="List the state changes, newest first.")
@_connection
def state(
    scope_id: str | None,
    scope: str,
    new_state: str | None,
    reason: str,
    history: bool,
    url: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Show, change (--set) or list the changes (--history) of a trading state; SCOPE_ID is an
    account id unless --scope says otherwise."""
    target = _scope(scope, scope_id)
    gateway = _gateway(url, token)
    if new_state is not None:
        if not reason:
            raise click.UsageError("--set needs --reason")
        body = {**target, "trading_state": new_state, "reason": reason}
        _emit(gateway.request("PUT", _path("trading-state"), json=body), as_json, _render_state)
    elif history:
        reply = gateway.request("GET", _path("trading-state", "changes"), params=target)

        def render(r: dict[str, Any], console: Console) -> None:
            for change in r["changes"]:
                _render_state(change, console)

        _emit(reply, as_json, render)
    else:
        _emit(gateway.request("GET", _path("trading-state"), params=target), as_json, _render_state)


@risk.command()
@click.argument("scope_id", required=False)
@_scope_option
@click.option("--reason", required=True, help="Why the kill switch is pulled (audited).")
@click.option("--flatten", is_flag=True, help="Also close positions with reduce-only orders.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_connection
def kill(
    scope_id: str | None,
    scope: str,
    reason: str,
    flatten: bool,
    yes: bool,
    url: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Halt SCOPE_ID (an account unless --scope says otherwise; --scope GLOBAL halts every
    account) and cancel its working orders at the venue."""
    target = _scope(scope, scope_id)
    gateway: Gateway = _gateway(url, token)
    what = "EVERY account" if scope == "GLOBAL" else f"{scope.lower()} {scope_id}"
    if not yes:
        extra = " and flatten its positions" if flatten else ""
        click.confirm(f"Halt {what}, cancel its working orders{extra}?", abort=True)
    body = {**target, "reason": reason, "flatten": flatten}
    reply = gateway.request("POST", _path("kill-switch"), json=body)

    def render(r: dict[str, Any], console: Console) -> None:
        if r.get("state"):
            _render_state(r["state"], console)
        console.print(
            f"kill {r['kill_id']}: {r['cancels_acknowledged']}/{r['working_orders']} working "
            f"order(s) cancelled, {r['cancels_failed']} failed; flatten orders "
            f"{r['flatten_orders_submitted']} ({r['flatten_orders_denied']} denied); "
            f"halted in {_ms(r['halt_ms'])}, done in {_ms(r['total_ms'])}"
        )

    _emit(reply, as_json, render)


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} ms"
