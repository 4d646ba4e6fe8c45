"""``trademaster risk ...``: trading accounts, limits, orders, positions, decisions, trading state
and the kill switch over the RiskService gRPC API (with ``trademaster-client``; the risk service
decides and audits).

Address and token resolve as for ``trademaster jobs`` (``--target``/``--token``,
``TM_CLIENT_TARGET`` or ``TM_CLIENT_RISK_ADDR``/``TM_TOKEN``, or what ``trademaster login``
saved). Every command takes ``--json`` to print the response (see ``risk_common.view``).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import click
from rich.console import Console

from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.cli.risk_common import client, collect, connection, emit, enum_value, table, view
from trademaster.cli.risk_control import kill, state, verify
from trademaster.cli.risk_orders import decisions, fills, orders, positions, watch


@click.group()
def risk() -> None:
    """Trading accounts, limits, orders, positions, decisions, trading state and kill switch."""


# --- accounts ---------------------------------------------------------------------------------


def _render_accounts(accounts: list[dict[str, Any]], console: Console) -> None:
    console.print(
        table(
            ["id", "name", "mode", "state", "cash", "equity", "P&L"],
            [
                [
                    a["account_id"],
                    a["name"],
                    a["mode"],
                    a["trading_state"],
                    a["cash"],
                    a["equity"],
                    _pnl(a),
                ]
                for a in accounts
            ],
        )
    )


def _pnl(account: dict[str, Any]) -> str:
    """Realized plus unrealized P&L, exact in decimal."""
    total = Decimal(account["realized_pnl"] or 0) + Decimal(account["unrealized_pnl"] or 0)
    return format(total, "f")


@risk.group()
def accounts() -> None:
    """Trading accounts: list, show, create."""


@accounts.command(name="list")
@click.option("--mode", type=click.Choice(["PAPER", "LIVE"], case_sensitive=False))
@connection
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
def accounts_list(
    mode: str | None, limit: int, target: str | None, token: str | None, as_json: bool
) -> None:
    """Accounts visible to you (risk officers and admins: all)."""
    request = pb.ListAccountsRequest(
        mode=enum_value(pb.AccountMode.DESCRIPTOR, mode or "UNSPECIFIED")
    )
    with client(target, token) as tm:
        found = [view(a) for a in collect(tm, tm.risk.ListAccounts, request, limit)]
    emit({"accounts": found}, as_json, lambda r, c: _render_accounts(r["accounts"], c))


@accounts.command(name="show")
@click.argument("account_id")
@connection
def accounts_show(account_id: str, target: str | None, token: str | None, as_json: bool) -> None:
    """One account with cash, equity, P&L and trading state."""
    with client(target, token) as tm:
        reply = tm.risk.GetAccount(pb.GetAccountRequest(account_id=account_id))
    emit(view(reply.account), as_json, lambda r, c: _render_accounts([r], c))


@accounts.command(name="create")
@click.argument("name")
@click.option("--cash", "initial_cash", required=True, help="Starting cash, e.g. 100000.")
@click.option("--currency", "base_currency", default="USD", show_default=True)
@click.option("--mode", type=click.Choice(["PAPER", "LIVE"], case_sensitive=False), default="PAPER")
@click.option("--broker", default="paper", show_default=True)
@connection
def accounts_create(
    name: str,
    initial_cash: str,
    base_currency: str,
    mode: str,
    broker: str,
    target: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Open an account NAME (paper by default) with --cash."""
    account = pb.Account(
        name=name,
        initial_cash=initial_cash,
        base_currency=base_currency,
        mode=enum_value(pb.AccountMode.DESCRIPTOR, mode),
        broker=broker,
    )
    with client(target, token) as tm:  # the client keys the request (request_id) for retries
        reply = tm.risk.CreateAccount(pb.CreateAccountRequest(account=account))
    emit(view(reply.account), as_json, lambda r, c: _render_accounts([r], c))


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
    console.print(table(["limit", "value"], rows))


@risk.group()
def limits() -> None:
    """Pre-trade limits of an account: show, set."""


@limits.command(name="show")
@click.argument("account_id")
@connection
def limits_show(account_id: str, target: str | None, token: str | None, as_json: bool) -> None:
    """The limits of ACCOUNT_ID."""
    with client(target, token) as tm:
        reply = tm.risk.GetLimits(pb.GetLimitsRequest(account_id=account_id))
    emit(view(reply.limits), as_json, _render_limits)


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
@connection
def limits_set(
    account_id: str,
    max_position: tuple[str, ...],
    allowed: tuple[str, ...],
    reason: str,
    target: str | None,
    token: str | None,
    as_json: bool,
    **values: Any,
) -> None:
    """Replace every limit of ACCOUNT_ID (a limit not given is removed); risk officers only.

    Decimal limits take strings like 1000.50; counts 0 mean none (or the default)."""
    limits = pb.RiskLimits(
        max_position=_pairs(max_position),
        allowed_instruments=list(allowed),
        **{k: ("" if v is None else v) for k, v in values.items()},  # type: ignore[arg-type]
    )
    request = pb.SetLimitsRequest(account_id=account_id, limits=limits, reason=reason)
    with client(target, token) as tm:
        reply = tm.risk.SetLimits(request)
    emit(view(reply.limits), as_json, _render_limits)


# --- instruments ----------------------------------------------------------------------------


@risk.group()
def instruments() -> None:
    """Instruments orders may name, with tick/lot/size rules: list, put."""


def _render_instruments(items: list[dict[str, Any]], console: Console) -> None:
    console.print(
        table(
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
@connection
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
def instruments_list(limit: int, target: str | None, token: str | None, as_json: bool) -> None:
    """Instruments, by id."""
    with client(target, token) as tm:
        request = pb.ListInstrumentsRequest()
        found = [view(i) for i in collect(tm, tm.risk.ListInstruments, request, limit)]
    emit({"instruments": found}, as_json, lambda r, c: _render_instruments(r["instruments"], c))


@instruments.command(name="put")
@click.argument("instrument_id")
@click.option("--tick-size", required=True)
@click.option("--lot-size", required=True)
@click.option("--min-quantity")
@click.option("--max-quantity")
@click.option("--min-notional")
@click.option("--disabled", is_flag=True, help="Keep it but refuse orders.")
@connection
def instruments_put(
    instrument_id: str,
    tick_size: str,
    lot_size: str,
    min_quantity: str | None,
    max_quantity: str | None,
    min_notional: str | None,
    disabled: bool,
    target: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Create or replace INSTRUMENT_ID's trading rules (risk officers only)."""
    instrument = pb.Instrument(
        instrument_id=instrument_id,
        tick_size=tick_size,
        lot_size=lot_size,
        min_quantity=min_quantity or "",
        max_quantity=max_quantity or "",
        min_notional=min_notional or "",
        disabled=disabled,
    )
    with client(target, token) as tm:
        reply = tm.risk.PutInstrument(pb.PutInstrumentRequest(instrument=instrument))
    emit(view(reply.instrument), as_json, lambda r, c: _render_instruments([r], c))


for _command in (orders, fills, positions, decisions, watch, verify, state, kill):
    risk.add_command(_command)
