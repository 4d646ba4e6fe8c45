"""``trademaster compliance report ACCOUNT --from --to``: an account's compliance report from
the gateway (``GET /api/v1/accounts/{id}/compliance-report``), written as the gateway renders
it: JSON, a zip of one CSV per section, or printable HTML with charts.

Same gateway URL and token resolution as ``trademaster audit`` (``--url``/``--token``, env
``TM_URL``/``TM_TOKEN``, or the file ``trademaster login`` wrote).
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from trademaster.cli.gateway_http import gateway_for, url_option
from trademaster.cli.jobs import _token_option

_DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.group()
def compliance() -> None:
    """Compliance reports of trading accounts (owners; risk officers and admins: any)."""


@compliance.command(name="report")
@click.argument("account_id")
@click.option("--from", "start", type=_DAY, required=True, help="First UTC day (YYYY-MM-DD).")
@click.option("--to", "end", type=_DAY, required=True, help="UTC day after the last (exclusive).")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv", "html"]), default="html",
    show_default=True, help="csv: a zip with one CSV file per section.",
)  # fmt: skip
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="File to write; '-' or none: stdout.",
)  # fmt: skip
@url_option
@_token_option
def report(
    account_id: str, start: datetime, end: datetime, fmt: str, out: Path | None,
    url: str | None, token: str | None,
) -> None:  # fmt: skip
    """Orders, decisions, fills, end-of-day positions, daily P&L, limit breaches, trading-state
    changes and kill-switch events of ACCOUNT_ID over [--from, --to), with the audit chain
    verification."""
    params = {"from": start.date().isoformat(), "to": end.date().isoformat(), "format": fmt}
    body = gateway_for(url, token).download(
        f"/api/v1/accounts/{account_id}/compliance-report", params=params
    )
    if out is None or str(out) == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
        return
    out.write_bytes(body)
    click.echo(f"wrote {out} ({len(body)} bytes)", err=True)
