"""trademaster-client against the real local stack: password login and its refresh, typed
errors, pagination, retries only for idempotent RPCs (through a fault-injecting proxy in front
of the real trainer) and an event stream that resumes after the notifier restarts."""

from __future__ import annotations

import asyncio
import queue
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf import struct_pb2
from support.client_endpoints import stack_endpoints
from support.grpc_faults import FlakyProxy
from trademaster.api.identity.v1 import identity_pb2
from trademaster.api.notifier.v1 import notifier_pb2
from trademaster.api.strategy.v1 import strategy_pb2
from trademaster.api.trainer.v1 import trainer_pb2
from trademaster.config.strategy import default_config
from trademaster.service.auth import Role, issue_token
from trademaster.service.events import EventBus
from trademaster.service.localstack import Stack
from trademaster.service.localstack.services import ServiceProcess
from trademaster_client import (
    AsyncClient,
    Client,
    Endpoints,
    InvalidArgumentError,
    NotFoundError,
    PasswordLogin,
    PermissionDeniedError,
    ServiceToken,
    UnauthenticatedError,
    UnavailableError,
)
from trademaster_client.credentials import Token, jwt_expiry

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "client-tests-password"
BTC = "algorithmic_trading.btc.train.csv"


@pytest.fixture(scope="module")
def endpoints(stack: Stack) -> Endpoints:
    return stack_endpoints(stack)


@pytest.fixture(scope="module")
def researcher(stack: Stack, endpoints: Endpoints) -> PasswordLogin:
    username = f"cl-{uuid.uuid4().hex[:8]}"
    with Client(endpoints, PasswordLogin("admin", stack.admin_password)) as admin:
        admin.identity.CreateUser(
            identity_pb2.CreateUserRequest(
                username=username, password=PASSWORD, roles=[identity_pb2.ROLE_RESEARCHER]
            )
        )
    return PasswordLogin(username, PASSWORD)


@pytest.fixture(scope="module")
def client(endpoints: Endpoints, researcher: PasswordLogin) -> Iterator[Client]:
    with Client(endpoints, researcher) as tm:
        yield tm


def tiny_dqn(name: str) -> strategy_pb2.Strategy:
    config = default_config("algorithmic_trading", "dqn")
    config["dataset_id"] = BTC
    config["env"].update(num_envs=4, episode_length=64)
    config["agent_params"].update(
        learning_starts=200, buffer_size=5_000, exploration_steps=1_000, hidden_sizes=[32, 32]
    )
    config["training"].update(total_steps=1_000, log_every_steps=200)
    struct = struct_pb2.Struct()
    struct.update(config)
    return strategy_pb2.Strategy(
        name=name,
        task=strategy_pb2.TASK_ALGORITHMIC_TRADING,
        agent="dqn",
        dataset_id=BTC,
        config=struct,
    )


@pytest.fixture(scope="module")
def strategy_id(client: Client, shared_data_dir: Path) -> str:
    if not (shared_data_dir / "algorithmic_trading" / "BTC" / "train.csv").is_file():
        pytest.skip("algorithmic_trading/BTC/train.csv is not in the shared data")
    reply = client.strategy.CreateStrategy(
        strategy_pb2.CreateStrategyRequest(strategy=tiny_dqn(f"cl-{uuid.uuid4().hex[:6]}"))
    )
    return reply.strategy.strategy_id


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_password_login_is_refreshed_before_the_token_expires(
    endpoints: Endpoints, researcher: PasswordLogin
) -> None:
    clock = FakeClock()
    with Client(endpoints, researcher, clock=clock) as tm:
        tm.strategy.ListAgents(strategy_pb2.ListAgentsRequest())
        first = tm.tokens.token()
        tm.strategy.ListAgents(strategy_pb2.ListAgentsRequest())
        logins_before = tm.tokens.logins
        # An hour-long token: 30 s before its end is inside the 60 s refresh margin.
        assert first is not None
        clock.now = jwt_expiry(first) - 30
        tm.strategy.ListAgents(strategy_pb2.ListAgentsRequest())

        assert logins_before == 1
        assert tm.tokens.logins == 2
        assert tm.tokens.token() != first


def test_a_token_the_server_calls_expired_is_replaced_by_a_new_login(
    stack: Stack, endpoints: Endpoints, researcher: PasswordLogin
) -> None:
    expired, expires = issue_token(stack.jwt_secret, "someone", [Role.RESEARCHER], ttl_s=1)
    while time.time() <= expires.timestamp():
        time.sleep(0.2)
    with Client(endpoints, researcher) as tm:
        tm.tokens._state.token = Token(expired, float("inf"))  # the client believes it valid
        tm.tokens._state.refresh_at = float("inf")
        reply = tm.strategy.ListAgents(strategy_pb2.ListAgentsRequest())

        assert reply.agents
        assert tm.tokens.logins == 1
        assert tm.tokens.token() != expired


def test_an_expired_service_token_fails_locally_with_its_reason(
    stack: Stack, endpoints: Endpoints
) -> None:
    token, expires = issue_token(stack.jwt_secret, "svc", [Role.VIEWER], kind="service")
    clock = FakeClock()
    clock.now = expires.timestamp() + 1
    with (
        Client(endpoints, ServiceToken(token), clock=clock) as tm,
        pytest.raises(UnauthenticatedError) as caught,
    ):
        tm.strategy.ListAgents(strategy_pb2.ListAgentsRequest())

    assert caught.value.reason == "TOKEN_EXPIRED"


def test_errors_are_typed_and_carry_the_error_info_reason(
    endpoints: Endpoints, client: Client
) -> None:
    with pytest.raises(NotFoundError) as missing:
        client.trainer.GetTrainingJob(trainer_pb2.GetTrainingJobRequest(job_id=str(uuid.uuid4())))
    with pytest.raises(PermissionDeniedError) as denied:
        client.identity.ListUsers(identity_pb2.ListUsersRequest())
    with pytest.raises(InvalidArgumentError) as invalid:
        client.strategy.CreateStrategy(strategy_pb2.CreateStrategyRequest())
    with (
        Client(endpoints, ServiceToken("not-a-jwt")) as anonymous,
        pytest.raises(UnauthenticatedError) as bad_token,
    ):
        anonymous.strategy.ListAgents(strategy_pb2.ListAgentsRequest())

    assert missing.value.reason.endswith("NOT_FOUND")
    assert denied.value.reason == "MISSING_ROLE"
    assert denied.value.metadata["required_roles"] == "admin"
    assert invalid.value.field_violations
    assert bad_token.value.reason == "TOKEN_INVALID"


def test_paginate_walks_more_than_two_pages(client: Client, strategy_id: str) -> None:
    prefix = f"page-{uuid.uuid4().hex[:6]}"
    created = {
        client.strategy.CreateStrategy(
            strategy_pb2.CreateStrategyRequest(strategy=tiny_dqn(f"{prefix}-{i}"))
        ).strategy.strategy_id
        for i in range(5)
    }
    pages = []

    def counted(request: strategy_pb2.ListStrategiesRequest, **kwargs: object) -> object:
        pages.append(request.page_token)
        return client.strategy.ListStrategies(request, **kwargs)

    seen = [
        s.strategy_id
        for s in client.paginate(counted, strategy_pb2.ListStrategiesRequest(), page_size=2)
    ]

    assert created | {strategy_id} <= set(seen)
    assert len(seen) == len(set(seen))
    assert len(pages) >= 3 and pages[0] == "" and all(pages[1:])


def test_only_idempotent_rpcs_are_retried(
    endpoints: Endpoints, researcher: PasswordLogin, strategy_id: str
) -> None:
    with (
        FlakyProxy(endpoints.address("trainer"), fail_first=1) as proxy,
        Client(endpoints.with_overrides({"trainer": proxy.address}), researcher) as tm,
    ):
        created = tm.trainer.CreateTrainingJob(
            trainer_pb2.CreateTrainingJobRequest(strategy_id=strategy_id, total_steps=400)
        ).job
        read = tm.trainer.GetTrainingJob(
            trainer_pb2.GetTrainingJobRequest(job_id=created.job_id)
        ).job
        with pytest.raises(UnavailableError):
            tm.trainer.ResumeTrainingJob(
                trainer_pb2.ResumeTrainingJobRequest(job_id=created.job_id)
            )
        tm.trainer.CancelTrainingJob(trainer_pb2.CancelTrainingJobRequest(job_id=created.job_id))
        same_strategy = list(
            tm.paginate(
                tm.trainer.ListTrainingJobs,
                trainer_pb2.ListTrainingJobsRequest(strategy_id=strategy_id),
            )
        )

    prefix = "/trademaster.api.trainer.v1.TrainerService/"
    assert read.job_id == created.job_id
    assert proxy.attempts[prefix + "CreateTrainingJob"] == 2  # keyed by the client's request_id
    assert proxy.forwarded[prefix + "CreateTrainingJob"] == 1
    assert proxy.attempts[prefix + "GetTrainingJob"] == 2
    assert proxy.attempts[prefix + "ResumeTrainingJob"] == 1  # not idempotent: never retried
    assert proxy.forwarded[prefix + "ResumeTrainingJob"] == 0
    assert [job.job_id for job in same_strategy].count(created.job_id) == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _publish(redis_url: str, topic: str, step: int) -> str:
    async def run() -> str:
        bus = EventBus(redis_url)
        try:
            return await bus.publish(
                topic,
                "",
                "training_progress",
                {"job_id": "j", "step": step, "total_steps": 10, "fraction": step / 10},
            )
        finally:
            await bus.close()

    return asyncio.run(run())


def test_event_stream_resumes_after_the_notifier_restarts(stack_factory: object) -> None:
    port = _free_port()
    notifier_stack: Stack = stack_factory(  # type: ignore[operator]
        services=("notifier",), extra_env={"TM_NOTIFIER_GRPC_PORT": str(port)}
    )
    assert notifier_stack.redis_url is not None
    token, _ = issue_token(notifier_stack.jwt_secret, "svc-events", [Role.VIEWER], kind="service")
    topic = f"training_job/{uuid.uuid4().hex}"
    received: queue.Queue[notifier_pb2.Event | BaseException] = queue.Queue()
    with Client(Endpoints({"notifier": f"127.0.0.1:{port}"}), ServiceToken(token)) as tm:
        stream = tm.subscribe([topic], include_heartbeats=True)

        def follow() -> None:
            try:
                for event in stream:
                    received.put(event)
            except BaseException as error:  # handed to the test thread
                received.put(error)

        reader = threading.Thread(target=follow, daemon=True)
        reader.start()
        _next(received, want_id=False)  # joined
        before = _publish(notifier_stack.redis_url, topic, 1)
        assert _next(received).event_id == before

        first = notifier_stack.services["notifier"]
        first.stop()
        during = [_publish(notifier_stack.redis_url, topic, step) for step in (2, 3)]
        second = ServiceProcess(
            "notifier",
            notifier_stack.env_for("notifier"),
            first.port_file,
            log_path=first.log_path.with_suffix(".restarted.log"),
        )
        try:
            second.start()
            after = _publish(notifier_stack.redis_url, topic, 4)
            resumed = [_next(received).event_id for _ in range(3)]
        finally:
            stream.close()
            reader.join(timeout=30)
            second.stop()

    assert resumed == [*during, after]
    assert stream.reconnects >= 1
    assert stream.last_event_id == after


def _next(received: queue.Queue, want_id: bool = True) -> notifier_pb2.Event:  # type: ignore[type-arg]
    while True:
        item = received.get(timeout=60)
        if isinstance(item, BaseException):
            raise item
        if bool(item.event_id) == want_id:
            return item


async def test_async_client_pages_types_errors_and_joins_streams(
    endpoints: Endpoints, researcher: PasswordLogin, strategy_id: str
) -> None:
    async with AsyncClient(endpoints, researcher) as tm:
        listed = [
            s.strategy_id
            async for s in tm.paginate(
                tm.strategy.ListStrategies, strategy_pb2.ListStrategiesRequest(), page_size=1
            )
        ]
        with pytest.raises(NotFoundError) as missing:
            await tm.trainer.GetTrainingJob(
                trainer_pb2.GetTrainingJobRequest(job_id=str(uuid.uuid4()))
            )
        stream = tm.subscribe([f"training_job/{uuid.uuid4().hex}"], include_heartbeats=True)
        async for event in stream:
            joined = event
            stream.close()
            break

    assert strategy_id in listed
    assert missing.value.reason.endswith("NOT_FOUND")
    assert joined.HasField("heartbeat") and not joined.event_id
    assert tm.tokens.logins == 1
