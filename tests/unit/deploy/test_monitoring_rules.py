"""Alerts and the Grafana dashboard refer only to metrics the platform exports, and the rules
are valid PromQL (``promtool check rules``, from Debian's prometheus package, when installed)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry
from support.k8s_render import K8S
from trademaster.service import domain_metrics as dm
from trademaster.service.http_metrics import http_metrics
from trademaster.service.localstack import SERVICE_NAMES
from trademaster.service.metrics import rpc_metrics

pytestmark = pytest.mark.unit

MONITORING = K8S / "components/monitoring"
NAME = re.compile(r"\b(tm_[a-z_]+|ray_[a-z_]+)\b")
REGEX_NAME = re.compile(r'__name__=~"([^"]+)"')
# Ray's own node metrics (exported by every Ray pod on its metrics port).
RAY_METRICS = {"ray_node_cpu_utilization", "ray_node_gpus_utilization"}


def exported_names() -> set[str]:
    """Every sample name the kit's families produce, built in a private registry."""
    registry = CollectorRegistry()
    for service in SERVICE_NAMES:
        rpc_metrics(service, registry)
        dm.events_published(service, registry)
    http_metrics("gateway", registry)
    dm.notifier_metrics(registry)
    dm.risk_metrics(registry)

    async def nothing() -> dict[str, int]:
        return {}

    dm.StateCounts("trainer", "jobs", nothing, registry=registry)
    dm.StateCounts("backtest", "backtests", nothing, registry=registry)
    dm.running_job_resources("trainer", registry)
    names = set()
    for family in registry.collect():
        names.add(family.name)
        if family.type == "counter":
            names.add(f"{family.name}_total")
        if family.type == "histogram":
            names.update(f"{family.name}_{suffix}" for suffix in ("bucket", "count", "sum"))
    return names


def _expressions() -> list[str]:
    rule = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())
    exprs = [r["expr"] for group in rule["spec"]["groups"] for r in group["rules"]]
    dashboard = json.loads((MONITORING / "trademaster-dashboard.json").read_text())
    exprs += [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    return exprs


def test_every_metric_named_in_alerts_and_dashboard_is_exported() -> None:
    exported = exported_names() | RAY_METRICS
    for expr in _expressions():
        for name in NAME.findall(REGEX_NAME.sub("", expr)):
            assert name in exported, f"{name} in {expr!r} is not exported"
        for pattern in REGEX_NAME.findall(expr):
            assert any(re.fullmatch(pattern, n) for n in exported), pattern


def test_the_alerts_the_operator_needs_exist() -> None:
    rule = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())
    alerts = {r["alert"] for group in rule["spec"]["groups"] for r in group["rules"]}
    assert {
        "TradeMasterServiceDown",
        "TradeMasterRpcErrorRatio",
        "TradeMasterTrainingJobsFailing",
        "TradeMasterEventLag",
        "TradeMasterRiskDenialsSpike",
        "TradeMasterKillSwitchEngaged",
    } <= alerts


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_rules_are_valid_promql(tmp_path: Path) -> None:
    rule = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    result = subprocess.run(
        ["promtool", "check", "rules", str(rules_file)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_is_grafana_json_with_unique_panel_ids() -> None:
    dashboard = json.loads((MONITORING / "trademaster-dashboard.json").read_text())
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)) and dashboard["uid"] == "trademaster-platform"
    assert all(panel["targets"] for panel in dashboard["panels"])
