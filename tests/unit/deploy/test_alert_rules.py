"""Each alert of the PrometheusRule fires on the situation it names, and stays quiet otherwise.

``promtool test rules`` (Debian's prometheus package, which .ci/run installs) evaluates the
rules over synthetic series with the label sets the ServiceMonitor scrapes (job = the Service
name). Annotations are stripped from the copy under test: this checks when alerts fire, not
their wording.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.k8s_render import K8S

pytestmark = [
    pytest.mark.unit,
    pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed"),
]

RULES = K8S / "components/monitoring/prometheusrule.yaml"
STRATEGY = 'job="tm-strategy", service="strategy", pod="tm-strategy-0", instance="10.0.0.1:9090"'


def _alert(
    name: str, at: str, series: list[tuple[str, str]], expected: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "interval": "1m",
        "input_series": [{"series": s, "values": v} for s, v in series],
        "alert_rule_test": [
            {
                "eval_time": at,
                "alertname": name,
                "exp_alerts": [{"exp_labels": e} for e in expected],
            }
        ],
    }


def _cases() -> list[dict[str, Any]]:
    warn, crit = {"severity": "warning"}, {"severity": "critical"}
    up = f"up{{{STRATEGY}}}"
    ok = f'tm_strategy_rpc_requests_total{{{STRATEGY}, method="/m", code="OK"}}'
    internal = f'tm_strategy_rpc_requests_total{{{STRATEGY}, method="/m", code="INTERNAL"}}'
    down_labels = {**crit, "job": "tm-strategy", "service": "strategy"}
    down_labels |= {"pod": "tm-strategy-0", "instance": "10.0.0.1:9090"}
    failed = 'tm_trainer_jobs{job="tm-trainer", state="FAILED"}'
    running = 'tm_trainer_jobs{job="tm-trainer", state="RUNNING"}'
    queue = 'tm_trainer_queue_depth_jobs{job="tm-trainer"}'
    deny = 'tm_risk_order_decisions_total{job="tm-risk", decision="DENY", reason="MAX_NOTIONAL"}'
    return [
        _alert("TradeMasterServiceDown", "6m", [(up, "1 1 0 0 0 0 0")], [down_labels]),
        _alert("TradeMasterServiceDown", "6m", [(up, "1x6")], []),
        _alert(
            "TradeMasterRpcErrorRatio",
            "20m",
            [(ok, "0+100x20"), (internal, "0+10x20")],
            [{**warn, "job": "tm-strategy"}],
        ),
        _alert("TradeMasterRpcErrorRatio", "20m", [(ok, "0+100x20"), (internal, "0+1x20")], []),
        _alert(
            "TradeMasterTrainingJobsFailing",
            "30m",
            [(failed, "0x10 1 2 3 4 4x16")],
            [{**warn, "job": "tm-trainer", "state": "FAILED"}],
        ),
        _alert("TradeMasterTrainingJobsFailing", "30m", [(failed, "5x30")], []),
        _alert(
            "TradeMasterTrainingQueueStuck",
            "40m",
            [(queue, "2x40"), (running, "0x40")],
            [warn],
        ),
        _alert("TradeMasterTrainingQueueStuck", "40m", [(queue, "2x40"), (running, "1x40")], []),
        _alert(
            "TradeMasterEventLag",
            "10m",
            [('tm_notifier_subscriber_lag_events{job="tm-notifier", pod="a"}', "600x10")],
            [warn],
        ),
        _alert(
            "TradeMasterEventLag",
            "10m",
            [('tm_notifier_subscriber_lag_events{job="tm-notifier", pod="a"}', "10x10")],
            [],
        ),
        # One denial a minute for an hour, then 100 a minute: a spike.
        _alert("TradeMasterRiskDenialsSpike", "80m", [(deny, "0+1x65 65+100x15")], [warn]),
        _alert("TradeMasterRiskDenialsSpike", "80m", [(deny, "0+1x80")], []),
        _alert(
            "TradeMasterKillSwitchEngaged",
            "3m",
            [('tm_risk_kill_switch_engaged{job="tm-risk"}', "0 0 1 1")],
            [crit],
        ),
        _alert(
            "TradeMasterKillSwitchEngaged",
            "3m",
            [('tm_risk_kill_switch_engaged{job="tm-risk"}', "0 0 1 0")],
            [],
        ),
    ]


def test_every_alert_fires_when_it_should_and_only_then(tmp_path: Path) -> None:
    rule = yaml.safe_load(RULES.read_text())
    groups = rule["spec"]["groups"]
    for group in groups:
        for item in group["rules"]:
            item.pop("annotations", None)
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}))
    cases = _cases()
    tested = {case["alert_rule_test"][0]["alertname"] for case in cases}
    critical = {
        "TradeMasterServiceDown",
        "TradeMasterRpcErrorRatio",
        "TradeMasterTrainingJobsFailing",
        "TradeMasterEventLag",
        "TradeMasterRiskDenialsSpike",
        "TradeMasterKillSwitchEngaged",
    }
    assert critical <= tested
    (tmp_path / "tests.yaml").write_text(
        yaml.safe_dump({"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": cases})
    )
    result = subprocess.run(
        ["promtool", "test", "rules", "tests.yaml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
