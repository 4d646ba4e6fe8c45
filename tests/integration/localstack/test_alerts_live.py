"""The k8s PrometheusRule, loaded into a real Prometheus scraping a real risk service.

The risk and notifier services run as processes (the local stack); Prometheus (Debian's
binary) scrapes the risk service with the same job name and ``service`` label as the
ServiceMonitor and evaluates the alert groups of
deploy/k8s/components/monitoring/prometheusrule.yaml. Pulling the kill switch over gRPC must
make ``TradeMasterKillSwitchEngaged`` fire; setting trading ACTIVE again must clear it.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import yaml
from support.k8s_render import K8S
from support.servers import PostgresHandle
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.api.risk.v1 import risk_pb2_grpc
from trademaster.service.auth import issue_token
from trademaster.service.localstack import Stack, StackConfig, StackPorts, free_port
from trademaster.service.localstack.prometheus import scrape_config

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus not installed"),
]

ALERT = "TradeMasterKillSwitchEngaged"


@contextlib.contextmanager
def _prometheus(work: Path, targets: dict[str, str]) -> Iterator[str]:
    rule = yaml.safe_load((K8S / "components/monitoring/prometheusrule.yaml").read_text())
    (work / "rules.yml").write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    config = scrape_config(targets, 1.0)
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(work / "rules.yml")]
    (work / "prometheus.yml").write_text(json.dumps(config))
    port = free_port()
    with (work / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [
                str(shutil.which("prometheus")),
                f"--config.file={work / 'prometheus.yml'}",
                f"--storage.tsdb.path={work / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _alert_state(url: str) -> str | None:
    try:
        with urllib.request.urlopen(f"{url}/api/v1/alerts", timeout=5) as reply:
            alerts = json.load(reply)["data"]["alerts"]
    except OSError:
        return None  # not up yet
    states = [a["state"] for a in alerts if a["labels"]["alertname"] == ALERT]
    return states[0] if states else "inactive"


def _wait_state(url: str, wanted: str, timeout_s: float = 60) -> str | None:
    deadline = time.monotonic() + timeout_s
    state = _alert_state(url)
    while state != wanted and time.monotonic() < deadline:
        time.sleep(0.5)
        state = _alert_state(url)
    return state


def test_kill_switch_alert_fires_and_clears(
    tm_session_dir: Path, postgres_server: PostgresHandle
) -> None:
    work = tm_session_dir / "alerts-live"
    metrics_port = free_port()
    config = StackConfig(
        work_dir=work,
        services=("notifier", "risk"),
        database_url=postgres_server.create_database("alerts_live"),
        ports=StackPorts(metrics={"risk": metrics_port}),
    )
    targets = {"risk": f"127.0.0.1:{metrics_port}"}
    with Stack(config) as stack, _prometheus(work, targets) as url:
        assert _wait_state(url, "inactive") == "inactive"
        owner = f"user-{uuid.uuid4().hex[:8]}"

        def meta(*roles: str) -> list[tuple[str, str]]:
            token = issue_token(stack.jwt_secret, owner, roles)[0]
            return [("authorization", f"Bearer {token}")]

        with grpc.insecure_channel(stack.addresses["risk"]) as channel:
            stub = risk_pb2_grpc.RiskServiceStub(channel)
            account = stub.CreateAccount(
                pb.CreateAccountRequest(
                    account=pb.Account(
                        name="alerts", mode=pb.ACCOUNT_MODE_PAPER, initial_cash="1000"
                    )
                ),
                metadata=meta("trader"),
                timeout=30,
            ).account.account_id
            stub.KillSwitch(
                pb.KillSwitchRequest(scope=pb.SCOPE_ACCOUNT, scope_id=account, reason="x"),
                metadata=meta("trader"),
                timeout=30,
            )
            assert _wait_state(url, "firing") == "firing"
            stub.SetTradingState(
                pb.SetTradingStateRequest(
                    scope=pb.SCOPE_ACCOUNT,
                    scope_id=account,
                    trading_state=pb.TRADING_STATE_ACTIVE,
                    reason="all clear",
                ),
                metadata=meta("risk_officer"),
                timeout=30,
            )
            assert _wait_state(url, "inactive") == "inactive"
