"""``trademaster risk verify|state|kill``: the audit chain, trading states and the kill switch."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console

from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.cli.risk_common import STATES, client, connection, emit, enum_value, view

# --- audit, trading state and kill switch ----------------------------------------------------


@click.command()
@click.option("--from", "from_sequence", type=click.IntRange(min=0), default=0)
@click.option("--to", "to_sequence", type=click.IntRange(min=0), default=0)
@connection
def verify(
    from_sequence: int, to_sequence: int, target: str | None, token: str | None, as_json: bool
) -> None:
    """Recompute the decision audit hash chain; exit 1 when it is broken."""
    request = pb.VerifyAuditChainRequest(from_sequence=from_sequence, to_sequence=to_sequence)
    with client(target, token) as tm:
        reply = view(tm.risk.VerifyAuditChain(request))

    def render(r: dict[str, Any], console: Console) -> None:
        if r["valid"]:
            console.print(
                f"[green]chain valid[/]: {r['entries_checked']} entries, {r['last_hash']}"
            )
        else:
            console.print(f"[red]chain broken[/] at #{r['first_bad_sequence']}: {r['problem']}")

    emit(reply, as_json, render)
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


def _scope(scope: str, scope_id: str | None) -> dict[str, Any]:
    """The ``scope``/``scope_id`` fields of a request."""
    if (scope == "GLOBAL") != (not scope_id):
        raise click.UsageError(
            "GLOBAL takes no SCOPE_ID" if scope == "GLOBAL" else f"{scope} needs a SCOPE_ID"
        )
    return {"scope": enum_value(pb.Scope.DESCRIPTOR, scope), "scope_id": scope_id or ""}


def _render_state(state: dict[str, Any], console: Console) -> None:
    where = state["scope"] + (f" {state['scope_id']}" if state["scope_id"] else "")
    console.print(
        f"[bold]{where}[/] {state['trading_state']}"
        f" (by {state['updated_by'] or '—'} at {state['update_time'] or '—'})"
        + (f": {state['reason']}" if state["reason"] else "")
        + (f"; ACTIVE refused until {state['cooldown_until']}" if state["cooldown_until"] else "")
    )


@click.command()
@click.argument("scope_id", required=False)
@_scope_option
@click.option("--set", "new_state", type=click.Choice(STATES), help="Change the state.")
@click.option("--reason", default="", help="Why (required with --set; audited).")
@click.option("--history", is_flag=True, help="List the state changes, newest first.")
@connection
def state(
    scope_id: str | None,
    scope: str,
    new_state: str | None,
    reason: str,
    history: bool,
    target: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Show, change (--set) or list the changes (--history) of a trading state; SCOPE_ID is an
    account id unless --scope says otherwise."""
    where = _scope(scope, scope_id)
    if new_state is not None and not reason:
        raise click.UsageError("--set needs --reason")
    with client(target, token) as tm:
        if new_state is not None:
            state_name = enum_value(pb.TradingState.DESCRIPTOR, new_state)
            request = pb.SetTradingStateRequest(**where, trading_state=state_name, reason=reason)
            emit(view(tm.risk.SetTradingState(request).state), as_json, _render_state)
        elif history:
            listing = pb.ListTradingStateChangesRequest(**where, page_size=100)
            reply = view(tm.risk.ListTradingStateChanges(listing))

            def render(r: dict[str, Any], console: Console) -> None:
                for change in r["changes"]:
                    _render_state(change, console)

            emit(reply, as_json, render)
        else:
            reply = view(tm.risk.GetTradingState(pb.GetTradingStateRequest(**where)).state)
            emit(reply, as_json, _render_state)


@click.command()
@click.argument("scope_id", required=False)
@_scope_option
@click.option("--reason", required=True, help="Why the kill switch is pulled (audited).")
@click.option("--flatten", is_flag=True, help="Also close positions with reduce-only orders.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@connection
def kill(
    scope_id: str | None,
    scope: str,
    reason: str,
    flatten: bool,
    yes: bool,
    target: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Halt SCOPE_ID (an account unless --scope says otherwise; --scope GLOBAL halts every
    account) and cancel its working orders at the venue."""
    where = _scope(scope, scope_id)
    what = "EVERY account" if scope == "GLOBAL" else f"{scope.lower()} {scope_id}"
    if not yes:
        extra = " and flatten its positions" if flatten else ""
        click.confirm(f"Halt {what}, cancel its working orders{extra}?", abort=True)
    request = pb.KillSwitchRequest(**where, reason=reason, flatten=flatten)
    with client(target, token) as tm:
        reply = view(tm.risk.KillSwitch(request))

    def render(r: dict[str, Any], console: Console) -> None:
        if r.get("state"):
            _render_state(r["state"], console)
        console.print(
            f"kill {r['kill_id']}: {r['cancels_acknowledged']}/{r['working_orders']} working "
            f"order(s) cancelled, {r['cancels_failed']} failed; flatten orders "
            f"{r['flatten_orders_submitted']} ({r['flatten_orders_denied']} denied); "
            f"halted in {_ms(r['halt_latency'])}, done in {_ms(r['total_latency'])}"
        )

    emit(reply, as_json, render)


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1e3:.1f} ms"
