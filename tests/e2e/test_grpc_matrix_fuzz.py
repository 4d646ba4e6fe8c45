"""Every RPC of every service on the whole stack, generated from the descriptors:

* the authorization matrix: no/expired/tampered token → UNAUTHENTICATED; each role →
  PERMISSION_DENIED exactly where the table (trademaster.service.authz) says; cross-owner
  reads and writes → NOT_FOUND;
* a descriptor-driven fuzzer (hypothesis, fixed seed, bounded budget): random and hostile
  requests never get INTERNAL/UNKNOWN, and every service still answers health afterwards.

``TM_FUZZ_EXAMPLES`` (default 8 per RPC) sets the budget; the slow marker runs it in CI.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, seed, settings
from support.proto_fuzz import message_strategy
from support.surface import api_methods
from trademaster.api.strategy.v1 import strategy_pb2
from trademaster.service import authz
from trademaster.service.auth import Role, issue_token
from trademaster.service.localstack import Stack
from trademaster_client.services import SERVICES as CLIENT_SERVICES

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

METHODS = api_methods()
GUARDED = sorted(m for m in METHODS if m not in authz.PUBLIC_RPCS)
TIMEOUT_S = 15.0
EXAMPLES = int(os.environ.get("TM_FUZZ_EXAMPLES", "8"))
_SERVICE_OF_DOMAIN = {"identity": "gateway"}


def _address(stack: Stack, method: str) -> str:
    domain = method.split(".")[2]
    name = _SERVICE_OF_DOMAIN.get(domain, domain)
    process = stack.services[name]
    if name == "gateway":
        return f"127.0.0.1:{process.port_file.read_text().strip()}"
    return process.address


@pytest.fixture(scope="module")
def channels(stack: Stack) -> Iterator[dict[str, grpc.Channel]]:
    opened = {name: grpc.insecure_channel(_address(stack, name)) for name in METHODS}
    yield opened
    for channel in opened.values():
        channel.close()


def _call(
    channels: dict[str, grpc.Channel], method: str, request: Message, token: str | None
) -> grpc.StatusCode:
    descriptor: MethodDescriptor = METHODS[method]
    response_cls = message_factory.GetMessageClass(descriptor.output_type)
    metadata = [("authorization", f"Bearer {token}")] if token is not None else []
    channel = channels[method]
    try:
        if descriptor.server_streaming:
            stream = channel.unary_stream(
                method,
                request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=response_cls.FromString,
            )(request, metadata=metadata, timeout=TIMEOUT_S)
            next(iter(stream))
            stream.cancel()
        else:
            channel.unary_unary(
                method,
                request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=response_cls.FromString,
            )(request, metadata=metadata, timeout=TIMEOUT_S)
    except grpc.RpcError as error:
        code: grpc.StatusCode = error.code()  # type: ignore[attr-defined]
        return code
    return grpc.StatusCode.OK


def test_the_matrix_covers_every_service_the_client_reaches() -> None:
    """Both read the descriptor set; the registry (a second service of the strategy package,
    served by the strategy process) is in the matrix and the fuzzer like any other."""
    services = {method.strip("/").split("/")[0] for method in METHODS}
    registry = [m for m in GUARDED if ".ModelRegistryService/" in m]

    assert services == {spec.full_name for spec in CLIENT_SERVICES.values()}
    assert len(registry) == 19  # 16 + ShareModel, UnshareModel, ListModelShares
    assert {m.split(".")[2] for m in registry} == {"strategy"}  # routed to the strategy process


def _empty(method: str) -> Message:
    return message_factory.GetMessageClass(METHODS[method].input_type)()


def _token(stack: Stack, *roles: Role, subject: str | None = None, ttl_s: float = 600) -> str:
    assert stack.jwt_secret is not None
    return issue_token(stack.jwt_secret, subject or str(uuid.uuid4()), roles, ttl_s=ttl_s)[0]


def test_every_rpc_refuses_missing_expired_and_tampered_tokens(
    stack: Stack, channels: dict[str, grpc.Channel]
) -> None:
    expired = _token(stack, Role.ADMIN, ttl_s=0.001)
    good = _token(stack, Role.ADMIN)
    tampered = good[:-2] + ("AA" if good[-2:] != "AA" else "BB")

    for method in GUARDED:
        for token in (None, expired, tampered):
            assert _call(channels, method, _empty(method), token) == (
                grpc.StatusCode.UNAUTHENTICATED
            ), (method, token is None)


@pytest.mark.parametrize("role", list(Role))
def test_every_rpc_enforces_the_table_for_each_role(
    stack: Stack, channels: dict[str, grpc.Channel], role: Role
) -> None:
    token = _token(stack, role)
    wrong = []
    for method in GUARDED:
        row = authz.permission_for_rpc(method)
        assert row is not None, f"{method} is in no row of the authorization table"
        code = _call(channels, method, _empty(method), token)
        denied = code == grpc.StatusCode.PERMISSION_DENIED
        broken = code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.INTERNAL)
        if denied == (role in row.roles) or broken:
            wrong.append((method, code.name))

    assert wrong == []


def test_cross_owner_reads_and_writes_are_not_found(
    stack: Stack, channels: dict[str, grpc.Channel]
) -> None:
    alice = _token(stack, Role.RESEARCHER)
    bob = _token(stack, Role.RESEARCHER)
    officer = _token(stack, Role.RISK_OFFICER)
    stub = strategy_pb2  # the request types
    channel = channels["/trademaster.api.strategy.v1.StrategyService/CreateStrategy"]
    create = channel.unary_unary(
        "/trademaster.api.strategy.v1.StrategyService/CreateStrategy",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=stub.CreateStrategyResponse.FromString,
    )
    created = create(
        stub.CreateStrategyRequest(
            strategy=stub.Strategy(
                name=f"private-{uuid.uuid4().hex[:6]}",
                task=stub.TASK_PORTFOLIO_MANAGEMENT,
                agent="ppo",
            )
        ),
        metadata=[("authorization", f"Bearer {alice}")],
        timeout=TIMEOUT_S,
    ).strategy
    prefix = "/trademaster.api.strategy.v1.StrategyService/"
    get = stub.GetStrategyRequest(strategy_id=created.strategy_id)
    update = stub.UpdateStrategyRequest(strategy=created)
    delete = stub.DeleteStrategyRequest(strategy_id=created.strategy_id)

    assert _call(channels, prefix + "GetStrategy", get, bob) == grpc.StatusCode.NOT_FOUND
    assert _call(channels, prefix + "UpdateStrategy", update, bob) == grpc.StatusCode.NOT_FOUND
    assert _call(channels, prefix + "DeleteStrategy", delete, bob) == grpc.StatusCode.NOT_FOUND
    assert _call(channels, prefix + "GetStrategy", get, officer) == grpc.StatusCode.OK
    assert _call(channels, prefix + "UpdateStrategy", update, officer) == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    assert _call(channels, prefix + "GetStrategy", get, alice) == grpc.StatusCode.OK


@pytest.mark.parametrize("method", sorted(METHODS))
def test_fuzzed_requests_never_get_internal_or_unknown(
    stack: Stack, channels: dict[str, grpc.Channel], method: str
) -> None:
    token = _token(stack, Role.ADMIN)
    failures: list[str] = []

    @seed(20261203)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(message_strategy(METHODS[method].input_type))
    def run(request: Message) -> None:
        code = _call(channels, method, request, token)
        if code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN):
            failures.append(f"{code.name}: {str(request)[:300]!r}")
        assert code not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN)

    run()
    health = health_pb2_grpc.HealthStub(channels[method])

    assert failures == []
    assert health.Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT_S).status == (
        health_pb2.HealthCheckResponse.SERVING
    )
