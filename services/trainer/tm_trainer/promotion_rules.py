"""Promotion gates as data: pure rule functions that turn what was measured into
(rule, threshold, actual, passed, detail) rows, so the servicer only gathers inputs.

Backtest -> paper looks at the version's backtests (from the registry); paper -> live at the
version's paper deployments (this service's table), the breaker trips of their accounts (risk
service) and the two people involved.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from trademaster.api.strategy.v1 import model_registry_pb2 as reg

SUCCEEDED = "BACKTEST_STATE_SUCCEEDED"


@dataclass(frozen=True)
class Policy:
    """An owner's thresholds; the defaults apply to owners with nothing stored."""

    min_backtest_trades: int = 10
    max_backtest_drawdown: float = 0.25
    min_backtest_sharpe: float = 0.5
    min_paper_bars: int = 1000
    max_breaker_trips: int = 0
    max_tracking_error_bps: float = 0.0
    """0 means not enforced (the value is still reported, and the rule passes)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RuleResult:
    rule: str
    threshold: str
    actual: str
    passed: bool
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def failing(rules: Sequence[RuleResult]) -> list[RuleResult]:
    return [r for r in rules if not r.passed]


def describe(rules: Sequence[RuleResult]) -> str:
    """The failing rules in one line: ``min_backtest_sharpe: actual 0.12, needs >= 0.5``."""
    return "; ".join(f"{r.rule}: actual {r.actual}, needs {r.threshold}" for r in failing(rules))


def _fmt(value: float) -> str:
    return "none" if math.isnan(value) else f"{value:.4g}"


def out_of_sample(backtest: reg.ModelVersionBacktest, training_dataset: str) -> bool:
    """On data after the training period: another dataset, or the training dataset's test
    split (no custom range; the split follows training and validation in time)."""
    if backtest.dataset_id and backtest.dataset_id != training_dataset:
        return True
    custom = backtest.date_range.HasField("start_time") or backtest.date_range.HasField("end_time")
    return not custom


def paper_rules(version: reg.ModelVersion, policy: Policy) -> list[RuleResult]:
    """Backtest -> paper: the newest succeeded out-of-sample backtest meets the thresholds."""
    candidates = [
        b
        for b in version.backtests
        if b.state == SUCCEEDED and out_of_sample(b, version.dataset_id)
    ]
    chosen = max(candidates, key=lambda b: b.create_time.ToNanoseconds(), default=None)
    ident = chosen.backtest_id if chosen is not None else ""
    metrics: Mapping[str, float] = dict(chosen.summary_metrics) if chosen is not None else {}
    trades = float(metrics.get("num_trades", math.nan))
    drawdown = abs(float(metrics.get("max_drawdown", math.nan)))
    sharpe = float(metrics.get("sharpe_ratio", math.nan))
    where = f"backtest {ident}" if ident else "no backtest"
    return [
        RuleResult(
            "out_of_sample_backtest",
            "a succeeded backtest of the version on data after its training period",
            ident or "none",
            chosen is not None,
            f"{len(version.backtests)} backtest(s) of the version, {len(candidates)} qualify",
        ),
        RuleResult(
            "min_backtest_trades",
            f">= {policy.min_backtest_trades}",
            _fmt(trades),
            trades >= policy.min_backtest_trades,
            where,
        ),
        RuleResult(
            "max_backtest_drawdown",
            f"<= {policy.max_backtest_drawdown:g}",
            _fmt(drawdown),
            drawdown <= policy.max_backtest_drawdown,
            where,
        ),
        RuleResult(
            "min_backtest_sharpe",
            f">= {policy.min_backtest_sharpe:g}",
            _fmt(sharpe),
            sharpe >= policy.min_backtest_sharpe,
            where,
        ),
    ]


@dataclass(frozen=True)
class PaperRecord:
    """What the version's paper deployments did, gathered by the servicer."""

    bars: int
    deployment_ids: Sequence[str]
    breaker_trips: int
    trip_detail: str = ""
    tracking_error_bps: float | None = None
    """Worst paper-vs-backtest tracking error (bps) over the same bars; None: not computable."""
    tracking_detail: str = ""


def tracking_rule(record: PaperRecord, policy: Policy) -> RuleResult:
    """Paper-vs-backtest tracking error against the owner's threshold (0: not enforced)."""
    value = record.tracking_error_bps
    actual = "not computable" if value is None else _fmt(value)
    detail = record.tracking_detail[:1000]
    if policy.max_tracking_error_bps <= 0:
        return RuleResult(
            "max_tracking_error_bps", "not enforced (threshold 0)", actual, True, detail
        )
    return RuleResult(
        "max_tracking_error_bps",
        f"<= {policy.max_tracking_error_bps:g}",
        actual,
        value is not None and value <= policy.max_tracking_error_bps,
        detail,
    )


def live_rules(
    record: PaperRecord,
    policy: Policy,
    requester: str,
    requester_roles: frozenset[str],
    approver: str = "",
    approver_roles: frozenset[str] = frozenset(),
) -> list[RuleResult]:
    """Paper -> live; the approval rule stays failing ("pending") until a risk officer other
    than the requester approves."""
    deployments = ", ".join(record.deployment_ids) or "none"
    tracking = tracking_rule(record, policy)
    if not approver:
        approval = RuleResult(
            "risk_officer_approval", "a risk_officer other than the requester", "pending", False
        )
    else:
        is_officer = "risk_officer" in approver_roles
        approval = RuleResult(
            "risk_officer_approval",
            "a risk_officer other than the requester",
            f"{approver} ({', '.join(sorted(approver_roles)) or 'no roles'})",
            is_officer and approver != requester,
            "the requester cannot approve their own promotion" if approver == requester else "",
        )
    return [
        RuleResult(
            "min_paper_bars",
            f">= {policy.min_paper_bars}",
            str(record.bars),
            record.bars >= policy.min_paper_bars,
            f"paper deployments: {deployments}",
        ),
        RuleResult(
            "max_breaker_trips",
            f"<= {policy.max_breaker_trips}",
            str(record.breaker_trips),
            record.breaker_trips <= policy.max_breaker_trips,
            record.trip_detail,
        ),
        tracking,
        RuleResult(
            "requester_role",
            "trader",
            ", ".join(sorted(requester_roles)) or "no roles",
            "trader" in requester_roles,
            f"requested by {requester}",
        ),
        approval,
    ]
