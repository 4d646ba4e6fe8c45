"""``trademaster promotions ...``: promotion gates of model versions (backtest -> paper,
paper -> live with a risk officer's approval) and per-owner thresholds, over the trainer's
DeploymentService. Connection options as for ``trademaster deployments``."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console

from trademaster.api.trainer.v1 import deployment_pb2 as pb
from trademaster.cli.risk_common import client, collect, connection, emit, table, view

_STAGES = {"paper": pb.PROMOTION_STAGE_PAPER, "live": pb.PROMOTION_STAGE_LIVE}
_RULE_COLUMNS = ["rule", "threshold", "actual", "passed", "detail"]
_COLUMNS = ["id", "model", "stage", "account", "state", "requested by", "decided by"]


def _rules(rules: list[dict[str, Any]], console: Console) -> None:
    rows = [
        [r["rule"], r["threshold"], r["actual"], "yes" if r["passed"] else "NO", r["detail"]]
        for r in rules
    ]
    console.print(table(_RULE_COLUMNS, rows))


def _row(p: dict[str, Any]) -> list[Any]:
    return [
        p["promotion_id"],
        f"{p['model_id']} v{p['model_version']}",
        p["stage"],
        p["account_id"] or "—",
        p["state"],
        p["requested_by"],
        p["decided_by"] or "—",
    ]


def _render_one(p: dict[str, Any], console: Console) -> None:
    console.print(table(_COLUMNS, [_row(p)]))
    _rules(p["rules"], console)


def _render_evaluation(e: dict[str, Any], console: Console) -> None:
    _rules(e["rules"], console)
    console.print("gate passed" if e["passed"] else "[red]gate not passed[/]")


def _render_policy(p: dict[str, Any], console: Console) -> None:
    keys = [k for k in p if k not in ("update_time",)]
    console.print(table(["setting", "value"], [[k, p[k]] for k in keys]))


def _target(f: Any) -> Any:
    f = click.option("--account", "account_id", default="", help="Live: the live account.")(f)
    f = click.option("--stage", type=click.Choice(list(_STAGES)), required=True)(f)
    f = click.option("--version", "model_version", required=True, type=click.IntRange(min=1))(f)
    return click.option("--model", "model_id", required=True, help="Registered model id.")(f)


@click.group()
def promotions() -> None:
    """Promotion gates: evaluate, request (trader), approve (another user, risk officer)."""


@promotions.command("evaluate")
@_target
@connection
def evaluate(
    model_id: str,
    model_version: int,
    stage: str,
    account_id: str,
    target: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Evaluate a gate now; each rule with threshold, actual value and outcome (not stored)."""
    request = pb.EvaluatePromotionRequest(
        model_id=model_id, model_version=model_version, stage=_STAGES[stage], account_id=account_id
    )
    with client(target, token) as tm:
        reply = view(tm.deployments.EvaluatePromotion(request))
    emit(reply, as_json, _render_evaluation)


@promotions.command("request")
@_target
@connection
def request_(
    model_id: str,
    model_version: int,
    stage: str,
    account_id: str,
    target: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Request a promotion; stored with its evaluation (live: pending a risk officer)."""
    request = pb.RequestPromotionRequest(
        model_id=model_id, model_version=model_version, stage=_STAGES[stage], account_id=account_id
    )
    with client(target, token) as tm:
        reply = view(tm.deployments.RequestPromotion(request).promotion)
    emit(reply, as_json, _render_one)


@promotions.command("approve")
@click.argument("promotion_id")
@click.option("--reason", required=True, help="Why (stored with the decision).")
@click.option("--reject", is_flag=True, help="Reject instead of approving.")
@connection
def approve(
    promotion_id: str,
    reason: str,
    reject: bool,
    target: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Approve (or --reject) a pending live promotion; not one you requested."""
    request = pb.ApprovePromotionRequest(
        promotion_id=promotion_id, approve=not reject, reason=reason
    )
    with client(target, token) as tm:
        reply = view(tm.deployments.ApprovePromotion(request).promotion)
    emit(reply, as_json, _render_one)


@promotions.command("list")
@click.option("--model", "model_id", default="", help="Only this model's promotions.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@connection
def list_(model_id: str, limit: int, target: str | None, token: str | None, as_json: bool) -> None:
    """Stored promotions you can see, newest first."""
    request = pb.ListPromotionsRequest(model_id=model_id)
    with client(target, token) as tm:
        rows = [view(p) for p in collect(tm, tm.deployments.ListPromotions, request, limit)]
    emit(rows, as_json, lambda rs, c: c.print(table(_COLUMNS, [_row(p) for p in rs])))


@promotions.command("policy")
@click.option("--owner", "owner_id", default="", help="Whose policy; default: yours.")
@click.option("--min-trades", type=click.IntRange(min=0))
@click.option("--max-drawdown", type=click.FloatRange(min=0))
@click.option("--min-sharpe", type=float)
@click.option("--min-paper-bars", type=click.IntRange(min=0))
@click.option("--max-breaker-trips", type=click.IntRange(min=0))
@click.option("--max-tracking-error-bps", type=click.FloatRange(min=0))
@connection
def policy(
    owner_id: str,
    target: str | None,
    token: str | None,
    as_json: bool,
    **changes: Any,
) -> None:
    """Show an owner's gate thresholds; with any threshold option, change them (risk officer)."""
    names = {
        "min_trades": "min_backtest_trades",
        "max_drawdown": "max_backtest_drawdown",
        "min_sharpe": "min_backtest_sharpe",
        "min_paper_bars": "min_paper_bars",
        "max_breaker_trips": "max_breaker_trips",
        "max_tracking_error_bps": "max_tracking_error_bps",
    }
    with client(target, token) as tm:
        current = tm.deployments.GetPromotionPolicy(
            pb.GetPromotionPolicyRequest(owner_id=owner_id)
        ).policy
        updates = {names[k]: v for k, v in changes.items() if v is not None}
        if updates:
            merged = pb.PromotionPolicy()
            merged.CopyFrom(current)
            for key, value in updates.items():
                setattr(merged, key, value)
            current = tm.deployments.SetPromotionPolicy(
                pb.SetPromotionPolicyRequest(policy=merged)
            ).policy
    emit(view(current), as_json, _render_policy)
