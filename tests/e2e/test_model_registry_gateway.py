"""The model registry through the gateway on the whole stack: train two tiny BTC jobs on Ray,
register them, backtest one, alias champion/challenger, compare (REST and CLI), record a
deployment, and see the deployed version refused deletion; other users see nothing."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from click.testing import CliRunner
from support.client_endpoints import client_env
from trademaster.api.identity.v1 import identity_pb2, identity_pb2_grpc
from trademaster.cli.models import models
from trademaster.config.strategy import default_config
from trademaster.service.localstack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "correct-horse-battery"
BTC_TRAIN = "algorithmic_trading.btc.train.csv"
BTC_TEST = "algorithmic_trading.btc.test.csv"
FINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


@pytest.fixture(scope="module")
def http(stack: Stack, shared_data_dir: Path) -> Iterator[httpx.Client]:
    if not (shared_data_dir / "algorithmic_trading" / "BTC" / "test.csv").is_file():
        pytest.skip(f"algorithmic_trading/BTC/{{train,test}}.csv are not in {shared_data_dir}")
    assert stack.gateway_url is not None
    with httpx.Client(base_url=stack.gateway_url, timeout=60.0) as client:
        yield client


def _login(http: httpx.Client, username: str) -> dict[str, str]:
    reply = http.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def _user(http: httpx.Client, stack: Stack, *roles: int) -> dict[str, str]:
    admin = http.post(
        "/api/v1/auth/login", json={"username": "admin", "password": stack.admin_password}
    ).json()["access_token"]
    username = f"reg-{uuid.uuid4().hex[:8]}"
    address = f"127.0.0.1:{stack.services['gateway'].port_file.read_text().strip()}"
    with grpc.insecure_channel(address) as channel:
        identity_pb2_grpc.IdentityServiceStub(channel).CreateUser(
            identity_pb2.CreateUserRequest(username=username, password=PASSWORD, roles=roles),
            metadata=[("authorization", f"Bearer {admin}")],
            timeout=10,
        )
    return _login(http, username)


@pytest.fixture(scope="module")
def alice(http: httpx.Client, stack: Stack) -> dict[str, str]:
    """Researches and trades (deploying needs the trader role)."""
    return _user(http, stack, identity_pb2.ROLE_RESEARCHER, identity_pb2.ROLE_TRADER)


@pytest.fixture(scope="module")
def bob(http: httpx.Client, stack: Stack) -> dict[str, str]:
    return _user(http, stack, identity_pb2.ROLE_RESEARCHER)


def _wait(http: httpx.Client, who: dict[str, str], path: str, timeout_s: float = 600) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        reply = http.get(path, headers=who)
        assert reply.status_code == 200, reply.text
        if reply.json()["state"] in FINAL:
            return reply.json()
        assert time.monotonic() < deadline, f"{path} still {reply.json()['state']}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def jobs(http: httpx.Client, alice: dict[str, str]) -> list[dict[str, Any]]:
    """Two finished tiny DQN jobs on BTC, gamma 0.9 and 0.95."""
    config = default_config("algorithmic_trading", "dqn")
    config["dataset_id"] = BTC_TRAIN
    config["env"].update(num_envs=4, episode_length=64)
    config["agent_params"].update(
        learning_starts=200, buffer_size=5_000, exploration_steps=1_000, hidden_sizes=[32, 32]
    )
    config["training"].update(total_steps=1_600, log_every_steps=400)
    strategy = http.post(
        "/api/v1/strategies",
        headers=alice,
        json={
            "name": f"reg-dqn-{uuid.uuid4().hex[:6]}",
            "task": "algorithmic_trading",
            "agent": "dqn",
            "dataset_id": BTC_TRAIN,
            "config": config,
        },
    )
    assert strategy.status_code == 201, strategy.text
    created = []
    for gamma in (0.9, 0.95):
        reply = http.post(
            "/api/v1/training-jobs",
            headers=alice,
            json={
                "strategy_id": strategy.json()["id"],
                "overrides": {"agent_params": {"gamma": gamma}},
            },
        )
        assert reply.status_code == 201, reply.text
        created.append(reply.json()["id"])
    done = [_wait(http, alice, f"/api/v1/training-jobs/{job_id}") for job_id in created]
    assert [j["state"] for j in done] == ["SUCCEEDED", "SUCCEEDED"], done
    return done


def _error(reply: httpx.Response, status: int, reason: str) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    body: dict[str, Any] = reply.json()["error"]
    assert body["reason"] == reason, body
    return body


def test_train_register_alias_compare_and_deployed_version_is_kept(
    http: httpx.Client,
    alice: dict[str, str],
    bob: dict[str, str],
    jobs: list[dict[str, Any]],
    stack: Stack,
    tmp_path: Path,
) -> None:
    model = http.post("/api/v1/models", headers=alice, json={"name": "btc-dqn"})
    assert model.status_code == 201, model.text
    model_id = model.json()["id"]
    versions = []
    for job in jobs:
        reply = http.post(
            f"/api/v1/models/{model_id}/versions",
            headers=alice,
            json={"training_job_id": job["id"], "tags": {"data": "btc"}},
        )
        assert reply.status_code == 201, reply.text
        versions.append(reply.json())
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["model_uri"] == jobs[0]["model_uri"]
    assert versions[0]["run_spec"]["strategy"]["agent_params"]["gamma"] == 0.9

    backtest = http.post(
        "/api/v1/backtests",
        headers=alice,
        json={"dataset_id": BTC_TEST, "training_job_id": jobs[0]["id"], "fee_rate": 0.001},
    )
    assert backtest.status_code == 201, backtest.text
    finished = _wait(http, alice, f"/api/v1/backtests/{backtest.json()['id']}")
    assert finished["state"] == "SUCCEEDED", finished["failure_reason"]

    for alias, version in (("champion", 1), ("challenger", 2)):
        reply = http.put(
            f"/api/v1/models/{model_id}/aliases/{alias}", headers=alice, json={"version": version}
        )
        assert reply.status_code == 200, reply.text
    assert reply.json()["aliases"] == {"champion": 1, "challenger": 2}

    detail = http.get(f"/api/v1/models/{model_id}/versions/1", headers=alice).json()
    assert [b["id"] for b in detail["backtests"]] == [finished["id"]]
    assert detail["aliases"] == ["champion"]
    compared = http.get(
        f"/api/v1/models/{model_id}/versions:compare",
        headers=alice,
        params={"versions": [1, 2]},
    )
    assert compared.status_code == 200, compared.text
    metrics = {m["name"]: m["values"] for m in compared.json()["metrics"]}
    assert metrics["backtest/sharpe_ratio"][0] == pytest.approx(
        finished["summary_metrics"]["sharpe_ratio"]
    )
    assert metrics["backtest/sharpe_ratio"][1] is None
    settings = {s["path"]: s["values"] for s in compared.json()["differing_settings"]}
    assert settings["strategy.agent_params.gamma"] == [0.9, 0.95]

    token = alice["Authorization"].removeprefix("Bearer ")
    runner = CliRunner(env={**client_env(stack), "XDG_CONFIG_HOME": str(tmp_path)})
    cli = runner.invoke(models, ["compare", model_id, "1", "2", "--token", token])
    assert cli.exit_code == 0, cli.output
    assert "backtest/sharpe_ratio" in cli.output and "strategy.agent_params.gamma" in cli.output
    as_json = runner.invoke(models, ["compare", model_id, "1", "2", "--json", "--token", token])
    assert json.loads(as_json.output) == compared.json()  # the REST shape, over gRPC

    account = f"paper-{uuid.uuid4().hex[:6]}"
    deployed = http.post(
        "/api/v1/model-deployments",
        headers=alice,
        json={"model_id": model_id, "version": 1, "account_id": account, "mode": "paper"},
    )
    assert deployed.status_code == 201, deployed.text
    during = datetime.now(UTC)
    ended = http.post(f"/api/v1/model-deployments/{deployed.json()['id']}:end", headers=alice)
    assert ended.status_code == 200 and ended.json()["end_time"], ended.text
    http.delete(f"/api/v1/models/{model_id}/aliases/champion", headers=alice)

    refused = http.delete(f"/api/v1/models/{model_id}/versions/1", headers=alice)
    _error(refused, 400, "MODEL_VERSION_DEPLOYED")
    at_time = http.get(
        "/api/v1/model-deployments",
        headers=alice,
        params={"account_id": account, "as_of": during.isoformat()},
    )
    assert [(d["model_id"], d["version"]) for d in at_time.json()["deployments"]] == [(model_id, 1)]
    now = http.get("/api/v1/model-deployments", headers=alice, params={"account_id": account})
    assert now.json()["deployments"] == []
    kinds = [
        e["kind"]
        for e in http.get(f"/api/v1/models/{model_id}/history", headers=alice).json()["events"]
    ]
    assert kinds[-3:] == ["DEPLOYMENT_STARTED", "DEPLOYMENT_ENDED", "ALIAS_REMOVED"]

    _error(http.get(f"/api/v1/models/{model_id}", headers=bob), 404, "MODEL_NOT_FOUND")
    assert http.get("/api/v1/models", headers=bob).json()["models"] == []
    forbidden = http.post(
        "/api/v1/model-deployments",
        headers=bob,
        json={"model_id": model_id, "version": 2, "account_id": account, "mode": "paper"},
    )
    _error(forbidden, 403, "MISSING_ROLE")
    _error(
        http.put(f"/api/v1/models/{model_id}/aliases/Bad!", headers=alice, json={"version": 1}),
        400,
        "INVALID_ARGUMENT",
    )
