"""Promotion gate rules as data: which backtest counts as out of sample, each threshold's
outcome with its actual value, and the two-person approval rule."""

from __future__ import annotations

import pytest
from google.protobuf import timestamp_pb2
from tm_trainer.promotion_rules import (
    PaperRecord,
    Policy,
    describe,
    live_rules,
    out_of_sample,
    paper_rules,
)
from trademaster.api.strategy.v1 import model_registry_pb2 as reg

pytestmark = pytest.mark.unit


def _backtest(
    ident: str,
    seconds: int,
    dataset: str = "btc",
    custom_range: bool = False,
    state: str = "BACKTEST_STATE_SUCCEEDED",
    **metrics: float,
) -> reg.ModelVersionBacktest:
    bt = reg.ModelVersionBacktest(
        backtest_id=ident,
        state=state,
        dataset_id=dataset,
        summary_metrics=metrics,
        create_time=timestamp_pb2.Timestamp(seconds=seconds),
    )
    if custom_range:
        bt.date_range.start_time.seconds = 1
    return bt


GOOD = {"num_trades": 40.0, "max_drawdown": -0.1, "sharpe_ratio": 1.2}


def test_test_split_and_other_datasets_are_out_of_sample_custom_ranges_are_not() -> None:
    assert out_of_sample(_backtest("a", 1), "btc")
    assert out_of_sample(_backtest("b", 1, dataset="eth", custom_range=True), "btc")
    assert not out_of_sample(_backtest("c", 1, custom_range=True), "btc")


def test_paper_gate_uses_the_newest_qualifying_backtest() -> None:
    version = reg.ModelVersion(
        dataset_id="btc",
        backtests=[
            _backtest("old", 1, **GOOD),
            _backtest("new", 3, **{**GOOD, "sharpe_ratio": 0.1}),
            _backtest("failed", 5, state="BACKTEST_STATE_FAILED"),
            _backtest("in-sample", 6, custom_range=True, **GOOD),
        ],
    )
    rules = {r.rule: r for r in paper_rules(version, Policy())}
    assert rules["out_of_sample_backtest"].actual == "new"
    assert rules["min_backtest_sharpe"].actual == "0.1" and not rules["min_backtest_sharpe"].passed
    assert rules["max_backtest_drawdown"].actual == "0.1" and rules["max_backtest_drawdown"].passed
    assert rules["min_backtest_trades"].passed
    assert describe(list(rules.values())) == "min_backtest_sharpe: actual 0.1, needs >= 0.5"


def test_paper_gate_without_a_backtest_fails_every_rule_with_none() -> None:
    rules = paper_rules(reg.ModelVersion(dataset_id="btc"), Policy())
    assert [r.passed for r in rules] == [False] * 4
    assert {r.actual for r in rules} == {"none"}


def _live(
    approver: str = "",
    approver_roles: frozenset[str] = frozenset(),
    tracking: float | None = None,
    **policy: float,
) -> dict:
    record = PaperRecord(
        bars=1200,
        deployment_ids=["d1"],
        breaker_trips=0,
        tracking_error_bps=tracking,
        tracking_detail="deployment d1 vs backtest b1" if tracking is not None else "",
    )
    rules = live_rules(
        record, Policy(**policy), "alice", frozenset({"trader"}), approver, approver_roles
    )
    return {r.rule: r for r in rules}


def test_live_gate_waits_for_a_second_person_risk_officer() -> None:
    pending = _live()
    own = _live("alice", frozenset({"risk_officer"}))
    other = _live("olga", frozenset({"risk_officer"}))
    assert pending["risk_officer_approval"].actual == "pending"
    assert not pending["risk_officer_approval"].passed
    assert not own["risk_officer_approval"].passed
    assert "own promotion" in own["risk_officer_approval"].detail
    assert other["risk_officer_approval"].passed
    assert all(r.passed for r in other.values())


def test_live_gate_thresholds_and_the_tracking_error_rule() -> None:
    rules = _live(min_paper_bars=5000, max_tracking_error_bps=50)
    assert not rules["min_paper_bars"].passed and rules["min_paper_bars"].actual == "1200"
    assert rules["max_tracking_error_bps"].actual == "not computable"
    assert not rules["max_tracking_error_bps"].passed
    unenforced = _live()["max_tracking_error_bps"]
    assert unenforced.passed and unenforced.threshold == "not enforced (threshold 0)"
    assert _live(tracking=12.5)["max_tracking_error_bps"].actual == "12.5"
    within = _live(tracking=12.5, max_tracking_error_bps=20)["max_tracking_error_bps"]
    above = _live(tracking=25.0, max_tracking_error_bps=20)["max_tracking_error_bps"]
    assert within.passed and within.threshold == "<= 20" and "backtest b1" in within.detail
    assert not above.passed and above.actual == "25"
