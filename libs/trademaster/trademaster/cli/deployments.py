"""``trademaster deployments ...``: deploy a registered model version to a paper account and
control its runner, over the trainer's DeploymentService with ``trademaster-client``.

Address and token resolve as for ``trademaster jobs`` (``--target``/``--token``,
``TM_CLIENT_TARGET`` or ``TM_CLIENT_TRAINER_ADDR``/``TM_TOKEN``, or what ``trademaster login``
saved). Every command takes ``--json`` to print the response (see ``risk_common.view``).
"""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console

from trademaster.api.trainer.v1 import deployment_pb2 as pb
from trademaster.cli.risk_common import client, collect, connection, emit, table, view

_COLUMNS = ["id", "model", "account", "instruments", "state", "bars", "orders", "last bar"]


def _row(d: dict[str, Any]) -> list[Any]:
    return [
        d["deployment_id"],
        f"{d['model_id']} v{d['model_version']}",
        d["account_id"],
        ",".join(d["instruments"]),
        d["state"],
        d["bars_processed"],
        d["orders_submitted"],
        d["last_bar_time"] or "—",
    ]


def _render_one(d: dict[str, Any], console: Console) -> None:
    console.print(table(_COLUMNS, [_row(d)]))
    actions = ", ".join(a.lower() for a in d["allowed_actions"]) or "none"
    console.print(f"allowed actions: {actions}")
    if d["failure_reason"]:
        console.print(f"[red]{d['failure_reason']}[/]")


def _render_many(rows: list[dict[str, Any]], console: Console) -> None:
    console.print(table(_COLUMNS, [_row(d) for d in rows]))


@click.group()
def deployments() -> None:
    """Model versions trading paper accounts through the risk service."""


@deployments.command("create")
@click.option("--model", "model_id", required=True, help="Registered model id.")
@click.option("--version", "model_version", required=True, type=click.IntRange(min=1))
@click.option("--account", "account_id", required=True, help="Paper account (risk service).")
@click.option("--instrument", "instruments", multiple=True, required=True, help="Repeatable.")
@click.option(
    "--interval", "bar_interval", type=click.IntRange(min=1), default=60, show_default=True
)
@click.option("--bar-source", default="", help="Redis bar stream; default: the platform's.")
@click.option("--capital-fraction", default="", help="Share of equity the weights apply to.")
@click.option("--max-position", default="", help="Largest |position| per instrument.")
@click.option("--max-order", default="", help="Largest quantity of one order.")
@click.option("--live", is_flag=True, help="Live mode (needs an approved live promotion).")
@connection
def create(
    model_id: str,
    model_version: int,
    account_id: str,
    instruments: tuple[str, ...],
    bar_interval: int,
    bar_source: str,
    capital_fraction: str,
    max_position: str,
    max_order: str,
    live: bool,
    target: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Deploy MODEL version VERSION to ACCOUNT (the mode's promotion gate must pass)."""
    request = pb.CreateDeploymentRequest(
        deployment=pb.Deployment(
            model_id=model_id,
            model_version=model_version,
            account_id=account_id,
            instruments=list(instruments),
            bar_source=bar_source,
            bar_interval_seconds=bar_interval,
            mode=pb.TRADING_MODE_LIVE if live else pb.TRADING_MODE_PAPER,
            limits=pb.DeploymentLimits(
                capital_fraction=capital_fraction,
                max_position_quantity=max_position,
                max_order_quantity=max_order,
            ),
        )
    )
    with client(target, token) as tm:
        reply = view(tm.deployments.CreateDeployment(request).deployment)
    emit(reply, as_json, _render_one)


@deployments.command("list")
@click.option("--account", "account_id", default="", help="Only this account's deployments.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@connection
def list_(
    account_id: str, limit: int, target: str | None, token: str | None, as_json: bool
) -> None:
    """Deployments you can see, newest first."""
    request = pb.ListDeploymentsRequest(account_id=account_id)
    with client(target, token) as tm:
        rows = [view(d) for d in collect(tm, tm.deployments.ListDeployments, request, limit)]
    emit(rows, as_json, _render_many)


@deployments.command("get")
@click.argument("deployment_id")
@connection
def get(deployment_id: str, target: str | None, token: str | None, as_json: bool) -> None:
    """One deployment with its runner's progress."""
    request = pb.GetDeploymentRequest(deployment_id=deployment_id)
    with client(target, token) as tm:
        reply = view(tm.deployments.GetDeployment(request).deployment)
    emit(reply, as_json, _render_one)


@deployments.command("pause")
@click.argument("deployment_id")
@connection
def pause(deployment_id: str, target: str | None, token: str | None, as_json: bool) -> None:
    """Stop placing orders (the runner keeps following bars)."""
    request = pb.PauseDeploymentRequest(deployment_id=deployment_id)
    with client(target, token) as tm:
        reply = view(tm.deployments.PauseDeployment(request).deployment)
    emit(reply, as_json, _render_one)


@deployments.command("resume")
@click.argument("deployment_id")
@connection
def resume(deployment_id: str, target: str | None, token: str | None, as_json: bool) -> None:
    """Place orders again from the next bar."""
    request = pb.ResumeDeploymentRequest(deployment_id=deployment_id)
    with client(target, token) as tm:
        reply = view(tm.deployments.ResumeDeployment(request).deployment)
    emit(reply, as_json, _render_one)


@deployments.command("stop")
@click.argument("deployment_id")
@click.option("--flatten", is_flag=True, help="Close the positions through the risk service.")
@connection
def stop(
    deployment_id: str, flatten: bool, target: str | None, token: str | None, as_json: bool
) -> None:
    """Stop the runner (optionally flattening its positions first)."""
    request = pb.StopDeploymentRequest(deployment_id=deployment_id, flatten=flatten)
    with client(target, token) as tm:
        reply = view(tm.deployments.StopDeployment(request).deployment)
    emit(reply, as_json, _render_one)


@deployments.command("rollback")
@click.argument("account_id")
@click.option("--flatten", is_flag=True, help="Close the current positions first.")
@connection
def rollback(
    account_id: str, flatten: bool, target: str | None, token: str | None, as_json: bool
) -> None:
    """Stop ACCOUNT's live deployment and deploy the model version live before it."""
    request = pb.RollbackDeploymentRequest(account_id=account_id, flatten=flatten)
    with client(target, token) as tm:
        reply = tm.deployments.RollbackDeployment(request)
        rows = [view(reply.stopped), view(reply.started)]
    emit(rows, as_json, _render_many)
