"""Training as a managed job through the gateway on the whole stack (trainer on a real Ray head):
a DQN strategy on real BTC data, progress over the WebSocket, pause/resume, cancel, isolation,
bad inputs, the active-job limit and ``trademaster jobs start --watch``."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from click.testing import CliRunner
from support.client_endpoints import client_env
from trademaster.api.identity.v1 import identity_pb2, identity_pb2_grpc
from trademaster.cli.jobs import jobs
from trademaster.config.strategy import default_config
from trademaster.service.events import EventBus
from trademaster.service.localstack import Stack
from websockets.asyncio.client import ClientConnection, connect

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "correct-horse-battery"
BTC_TRAIN = "algorithmic_trading.btc.train.csv"
TOTAL_STEPS = 1_600
LOG_EVERY = 200
SEED = 23
JOB_TIMEOUT_S = 180.0
RECV_TIMEOUT_S = 60.0
FINAL = ("SUCCEEDED", "FAILED", "CANCELLED")
TIME_DEPENDENT = "charts/SPS"


@pytest.fixture(scope="module")
def btc(shared_data_dir: Path) -> str:
    if not (shared_data_dir / "algorithmic_trading" / "BTC" / "train.csv").is_file():
        pytest.skip(f"algorithmic_trading/BTC/train.csv is not in {shared_data_dir}")
    return BTC_TRAIN


@pytest.fixture(scope="module")
def http(stack: Stack) -> Iterator[httpx.Client]:
    assert stack.gateway_url is not None
    with httpx.Client(base_url=stack.gateway_url, timeout=60.0) as client:
        yield client


def _login(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    reply = http.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    return {"token": body["access_token"], "id": body["user"]["id"]}


def _researcher(http: httpx.Client, stack: Stack) -> dict[str, str]:
    """A new researcher created over the identity gRPC API, logged in over HTTP."""
    admin = _login(http, "admin", stack.admin_password)
    username = f"tr-{uuid.uuid4().hex[:8]}"
    address = f"127.0.0.1:{stack.services['gateway'].port_file.read_text().strip()}"
    with grpc.insecure_channel(address) as channel:
        identity_pb2_grpc.IdentityServiceStub(channel).CreateUser(
            identity_pb2.CreateUserRequest(
                username=username, password=PASSWORD, roles=[identity_pb2.ROLE_RESEARCHER]
            ),
            metadata=[("authorization", f"Bearer {admin['token']}")],
            timeout=10,
        )
    return _login(http, username, PASSWORD)


def _auth(user: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {user['token']}"}


@pytest.fixture(scope="module")
def alice(http: httpx.Client, stack: Stack) -> dict[str, str]:
    return _researcher(http, stack)


@pytest.fixture(scope="module")
def bob(http: httpx.Client, stack: Stack) -> dict[str, str]:
    return _researcher(http, stack)


def _tiny_dqn(http: httpx.Client, user: dict[str, str], dataset_id: str) -> dict[str, Any]:
    """A DQN strategy on ``dataset_id`` that trains a couple of thousand steps in seconds."""
    config = default_config("algorithmic_trading", "dqn")
    config["dataset_id"] = dataset_id
    config["env"].update(num_envs=4, episode_length=64)
    config["agent_params"].update(
        learning_starts=200, buffer_size=5_000, exploration_steps=1_000, hidden_sizes=[32, 32]
    )
    config["training"].update(total_steps=TOTAL_STEPS, log_every_steps=LOG_EVERY)
    reply = http.post(
        "/api/v1/strategies",
        headers=_auth(user),
        json={
            "name": f"btc-dqn-{uuid.uuid4().hex[:6]}",
            "task": "algorithmic_trading",
            "agent": "dqn",
            "dataset_id": dataset_id,
            "config": config,
        },
    )
    assert reply.status_code == 201, reply.text
    return reply.json()


@pytest.fixture(scope="module")
def strategy(http: httpx.Client, alice: dict[str, str], btc: str) -> dict[str, Any]:
    dataset = http.get(f"/api/v1/datasets/{btc}", headers=_auth(alice))
    assert dataset.status_code == 200, dataset.text
    assert dataset.json()["assets"] == ["BTC"]
    return _tiny_dqn(http, alice, btc)


def _start(http: httpx.Client, user: dict[str, str], **body: Any) -> dict[str, Any]:
    reply = http.post("/api/v1/training-jobs", headers=_auth(user), json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


def _get(http: httpx.Client, user: dict[str, str], job_id: str) -> dict[str, Any]:
    reply = http.get(f"/api/v1/training-jobs/{job_id}", headers=_auth(user))
    assert reply.status_code == 200, reply.text
    return reply.json()


def _wait(
    http: httpx.Client, user: dict[str, str], job_id: str, done: Any, timeout_s: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job = _get(http, user, job_id)
        if done(job):
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['state']}: {job}"
        time.sleep(0.2)


def _deterministic(metric: str) -> bool:
    """Metrics that depend on the run alone: not its speed, not the machine's resource use."""
    return metric != TIME_DEPENDENT and not metric.startswith("resources/")


def _metrics(http: httpx.Client, user: dict[str, str], job_id: str) -> list[dict[str, Any]]:
    reply = http.get(
        f"/api/v1/training-jobs/{job_id}/metrics",
        headers=_auth(user),
        params={"page_size": 10_000},
    )
    assert reply.status_code == 200, reply.text
    return list(reply.json()["metrics"])


def _assert_error(reply: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    error = reply.json()["error"]
    assert (error["status"], error["code"]) == (status, code)
    assert error["message"] and error["reason"] and error["request_id"]
    assert isinstance(error["field_violations"], list)
    return dict(error)


def _ws_url(stack: Stack, user: dict[str, str]) -> str:
    assert stack.gateway_url is not None
    base = stack.gateway_url.replace("http://", "ws://")
    return f"{base}/api/v1/events?access_token={user['token']}"


async def _subscribe(ws: ClientConnection, topic: str, last_event_id: str) -> None:
    await ws.send(
        json.dumps({"type": "subscribe", "topics": [topic], "last_event_id": last_event_id})
    )
    first = json.loads(await asyncio.wait_for(ws.recv(), RECV_TIMEOUT_S))
    assert first["type"] == "heartbeat", first


async def _events(ws: ClientConnection, *, until: Any) -> list[dict[str, Any]]:
    """Events (no heartbeats) up to and including the first one for which ``until`` is true."""
    got: list[dict[str, Any]] = []
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), RECV_TIMEOUT_S))
        assert message["type"] != "error", message
        if message["type"] == "heartbeat":
            continue
        got.append(message)
        if until(message):
            return got


async def _drain(ws: ClientConnection, seconds: float) -> list[dict[str, Any]]:
    """Events (no heartbeats) that arrive within ``seconds``."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), left))
        except TimeoutError:
            break
        if message["type"] != "heartbeat":
            got.append(message)
    return got


def _finished(message: dict[str, Any]) -> bool:
    return bool(message["type"] == "training_finished")


def _from_start(topic: str) -> str:
    return f"{topic}@0-0"


@pytest.fixture(scope="module")
def baseline(http: httpx.Client, alice: dict[str, str], strategy: dict[str, Any]) -> dict:
    """An uninterrupted run with SEED, started at once; tests wait for it as they need."""
    return _start(http, alice, strategy_id=strategy["id"], seed=SEED, total_steps=TOTAL_STEPS)


async def test_job_streams_progress_and_reconnect_resumes_without_gap_or_duplicate(
    stack: Stack, http: httpx.Client, alice: dict[str, str], baseline: dict[str, Any]
) -> None:
    topic = baseline["events_topic"]

    async with connect(_ws_url(stack, alice)) as ws:
        await _subscribe(ws, topic, _from_start(topic))
        before = await _events(
            ws, until=lambda m: m["type"] == "training_progress" and m["payload"]["step"] > 0
        )
    # Dropped mid-run: the job keeps publishing while nobody listens.
    await asyncio.sleep(1.0)
    async with connect(_ws_url(stack, alice)) as ws:
        await _subscribe(ws, topic, before[-1]["event_id"])
        after = await _events(ws, until=_finished)
    async with connect(_ws_url(stack, alice)) as ws:
        await _subscribe(ws, topic, _from_start(topic))
        everything = await _events(ws, until=_finished)
    # One writer: the trainer published training_finished only after storing it.
    job = _get(http, alice, baseline["id"])
    history = _metrics(http, alice, baseline["id"])

    assert baseline["state"] == "QUEUED"
    assert topic == f"training_job/{baseline['id']}"
    ids = [m["event_id"] for m in before + after]
    assert ids == [m["event_id"] for m in everything]
    assert len(set(ids)) == len(ids)
    assert after, "nothing arrived after the reconnect"
    progress = [m["payload"] for m in everything if m["type"] == "training_progress"]
    steps = [p["step"] for p in progress]
    assert steps == sorted(steps) and steps[-1] == TOTAL_STEPS
    assert any("charts/episodic_return" in p.get("metrics", {}) for p in progress)
    states = [m["payload"]["new_state"] for m in everything if m["type"] == "job_state_changed"]
    assert states[0] == "QUEUED" and "RUNNING" in states
    finished = everything[-1]["payload"]
    assert finished["state"] == "SUCCEEDED", finished
    assert job["state"] == "SUCCEEDED", job["failure_reason"]
    assert job["progress"]["step"] == job["progress"]["total_steps"] == TOTAL_STEPS
    assert job["final_metrics"] == finished["final_metrics"]
    assert "eval/sharpe_ratio" in job["final_metrics"]
    assert job["run_record"]["seed"] == SEED and job["run_record"]["dataset_hash"]
    assert job["device"] == "cpu" and job["model_uri"]
    points = {(p["step"], p["name"]) for p in history}
    assert len(points) == len(history), "duplicate metric points"
    assert sorted({p["step"] for p in history}) == list(
        range(LOG_EVERY, TOTAL_STEPS + 1, LOG_EVERY)
    )
    assert {"losses/td_loss", "charts/epsilon"} <= {p["name"] for p in history}


async def test_paused_job_makes_no_progress_and_resumes_to_the_uninterrupted_result(
    stack: Stack,
    http: httpx.Client,
    alice: dict[str, str],
    strategy: dict[str, Any],
    baseline: dict[str, Any],
) -> None:
    job = _start(http, alice, strategy_id=strategy["id"], seed=SEED, total_steps=TOTAL_STEPS)
    topic = job["events_topic"]
    auth = _auth(alice)

    async with connect(_ws_url(stack, alice)) as ws:
        await _subscribe(ws, topic, _from_start(topic))
        running = await _events(
            ws, until=lambda m: m["type"] == "training_progress" and m["payload"]["step"] > 0
        )
        paused_reply = http.post(f"/api/v1/training-jobs/{job['id']}:pause", headers=auth)
        to_paused = await _events(
            ws,
            until=lambda m: (
                m["type"] == "job_state_changed" and m["payload"]["new_state"] == "PAUSED"
            ),
        )
        # The event comes from the job; the trainer persists it a moment later.
        paused = _wait(http, alice, job["id"], lambda j: j["state"] == "PAUSED", 30.0)
        quiet = await _drain(ws, 2.0)
        still = _get(http, alice, job["id"])
        resumed_reply = http.post(f"/api/v1/training-jobs/{job['id']}:resume", headers=auth)
        rest = await _events(ws, until=_finished)
    done = _wait(http, alice, job["id"], lambda j: j["state"] in FINAL, 30.0)
    reference = _wait(http, alice, baseline["id"], lambda j: j["state"] in FINAL, JOB_TIMEOUT_S)

    assert running and paused_reply.status_code == 200, paused_reply.text
    assert to_paused[-1]["payload"]["old_state"] in ("RUNNING", "QUEUED")
    assert paused["state"] == "PAUSED" and paused["checkpoint_uri"]
    assert 0 < paused["progress"]["step"] < TOTAL_STEPS
    assert [m for m in quiet if m["type"] == "training_progress"] == []
    assert still["state"] == "PAUSED"
    assert still["progress"]["step"] == paused["progress"]["step"]
    assert resumed_reply.status_code == 200, resumed_reply.text
    assert resumed_reply.json()["state"] == "QUEUED"
    resumed_steps = [m["payload"]["step"] for m in rest if m["type"] == "training_progress"]
    assert resumed_steps and min(resumed_steps) >= paused["progress"]["step"]
    assert done["state"] == "SUCCEEDED", done["failure_reason"]
    assert reference["state"] == "SUCCEEDED", reference["failure_reason"]
    assert done["final_metrics"] == reference["final_metrics"]
    mine = [(p["step"], p["name"], p["value"]) for p in _metrics(http, alice, job["id"])]
    theirs = [(p["step"], p["name"], p["value"]) for p in _metrics(http, alice, reference["id"])]
    assert [p for p in mine if _deterministic(p[1])] == [p for p in theirs if _deterministic(p[1])]


async def test_another_user_cannot_see_control_or_follow_a_job(
    stack: Stack, http: httpx.Client, bob: dict[str, str], baseline: dict[str, Any]
) -> None:
    job_id = baseline["id"]
    topic = baseline["events_topic"]
    assert stack.redis_url is not None

    replies = {
        "get": http.get(f"/api/v1/training-jobs/{job_id}", headers=_auth(bob)),
        "pause": http.post(f"/api/v1/training-jobs/{job_id}:pause", headers=_auth(bob)),
        "resume": http.post(f"/api/v1/training-jobs/{job_id}:resume", headers=_auth(bob)),
        "cancel": http.post(f"/api/v1/training-jobs/{job_id}:cancel", headers=_auth(bob)),
        "metrics": http.get(f"/api/v1/training-jobs/{job_id}/metrics", headers=_auth(bob)),
    }
    listed = http.get("/api/v1/training-jobs", headers=_auth(bob))
    async with connect(_ws_url(stack, bob)) as ws:
        await _subscribe(ws, topic, _from_start(topic))
        bus = EventBus(stack.redis_url)
        try:
            marker = await bus.publish(
                topic,
                bob["id"],
                "training_progress",
                {"job_id": job_id, "step": 0, "total_steps": 1, "fraction": 0.0},
            )
        finally:
            await bus.close()
        seen = await _events(ws, until=lambda m: True)

    for verb, reply in replies.items():
        assert reply.status_code == 404, (verb, reply.text)
        _assert_error(reply, 404, "NOT_FOUND")
    assert listed.status_code == 200 and listed.json()["jobs"] == []
    # Everything of alice's job in the stream came before bob's marker and none reached bob.
    assert [m["event_id"] for m in seen] == [marker]


def test_bad_inputs_are_clear_4xx_in_the_standard_error_body(
    http: httpx.Client, alice: dict[str, str], strategy: dict[str, Any]
) -> None:
    auth = _auth(alice)

    unknown = http.post(
        "/api/v1/training-jobs", headers=auth, json={"strategy_id": str(uuid.uuid4())}
    )
    negative = http.post(
        "/api/v1/training-jobs",
        headers=auth,
        json={"strategy_id": strategy["id"], "total_steps": -5},
    )
    gpu = http.post(
        "/api/v1/training-jobs",
        headers=auth,
        json={
            "strategy_id": strategy["id"],
            "resources": {"num_gpus": 1, "gpu_required": True},
        },
    )

    assert "strategy" in _assert_error(unknown, 404, "NOT_FOUND")["message"].lower()
    error = _assert_error(negative, 400, "INVALID_ARGUMENT")
    assert "total_steps" in {v["field"] for v in error["field_violations"]}
    gpu_error = _assert_error(gpu, 400, "FAILED_PRECONDITION")
    assert "gpu" in gpu_error["message"].lower()


def test_active_job_limit_is_429_and_cancel_is_idempotent(
    http: httpx.Client, stack: Stack, btc: str
) -> None:
    carol = _researcher(http, stack)
    strategy = _tiny_dqn(http, carol, btc)
    auth = _auth(carol)
    limit = 3  # TM_TRAINER_MAX_ACTIVE_JOBS_PER_USER default
    started = [
        _start(http, carol, strategy_id=strategy["id"], total_steps=3_000) for _ in range(limit)
    ]

    over = http.post("/api/v1/training-jobs", headers=auth, json={"strategy_id": strategy["id"]})
    first = [http.post(f"/api/v1/training-jobs/{j['id']}:cancel", headers=auth) for j in started]
    done = [_wait(http, carol, j["id"], lambda j: j["state"] == "CANCELLED", 60.0) for j in started]
    again = [http.post(f"/api/v1/training-jobs/{j['id']}:cancel", headers=auth) for j in started]
    after = http.post(
        "/api/v1/training-jobs",
        headers=auth,
        json={"strategy_id": strategy["id"], "total_steps": 1_000},
    )

    error = _assert_error(over, 429, "RESOURCE_EXHAUSTED")
    assert error["message"].startswith(
        f"quota: {limit} concurrent training jobs by default ({limit} in use)"
    ), error
    assert all(r.status_code == 200 for r in first), [r.text for r in first]
    assert {r.json()["state"] for r in first} <= {"CANCELLING", "CANCELLED"}
    assert all(j["ended_at"] for j in done)
    assert [r.status_code for r in again] == [200] * limit
    assert {r.json()["state"] for r in again} == {"CANCELLED"}
    assert after.status_code == 201, after.text
    http.post(f"/api/v1/training-jobs/{after.json()['id']}:cancel", headers=auth)


def test_cli_start_watch_follows_the_job_to_success(
    http: httpx.Client,
    stack: Stack,
    alice: dict[str, str],
    strategy: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    for name, value in client_env(stack).items():
        monkeypatch.setenv(name, value)
    args = ["--token", alice["token"]]

    result = CliRunner().invoke(
        jobs, ["start", strategy["id"], "--steps", "1000", "--seed", "5", "--watch", *args]
    )
    listed = CliRunner().invoke(jobs, ["list", "--json", *args])
    # Watch returns once the stored job is final too, so the next command sees it.
    newest = json.loads(listed.output)["jobs"][0]

    assert result.exit_code == 0, result.output
    assert "job SUCCEEDED" in result.output
    assert newest["state"] == "SUCCEEDED"
    assert newest["progress"]["step"] == 1_000
    assert newest["final_metrics"]


async def test_many_subscribers_of_one_job_each_get_every_event_once(
    stack: Stack, http: httpx.Client, alice: dict[str, str], strategy: dict[str, Any]
) -> None:
    job = _start(http, alice, strategy_id=strategy["id"], seed=SEED, total_steps=1_000)
    topic = job["events_topic"]
    sockets = [await connect(_ws_url(stack, alice)) for _ in range(20)]
    try:
        # Fresh subscribers share one notifier stream; a resuming one gets its own.
        for ws in sockets[:-1]:
            await _subscribe(ws, topic, "")
        await _subscribe(sockets[-1], topic, _from_start(topic))
        streams = await asyncio.gather(*(_events(ws, until=_finished) for ws in sockets))
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))

    full = [m["event_id"] for m in streams[-1]]
    assert len(set(full)) == len(full)
    for stream in streams[:-1]:
        ids = [m["event_id"] for m in stream]
        assert ids == full[len(full) - len(ids) :]
    assert streams[0][-1]["payload"]["state"] == "SUCCEEDED"
