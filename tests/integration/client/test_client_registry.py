"""trademaster-client's model registry (``tm.model_registry``) and the ``trademaster models``
CLI against a real strategy service (PostgreSQL, gRPC on loopback): pages over more than two
pages, typed NOT_FOUND (also across owners), field-naming INVALID_ARGUMENT, and retries through a
fault-injecting proxy only where the protos mark the RPC idempotent."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.grpc_faults import FlakyProxy
from trademaster.api.strategy.v1 import model_registry_pb2 as pb
from trademaster.cli.models import models
from trademaster.service.auth import Role, issue_token
from trademaster.service.localstack import Stack
from trademaster_client import (
    AsyncClient,
    Client,
    Endpoints,
    InvalidArgumentError,
    NotFoundError,
    ServiceToken,
    UnavailableError,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REGISTRY = "/trademaster.api.strategy.v1.ModelRegistryService/"


@pytest.fixture(scope="module")
def registry_stack(stack_factory: object) -> Stack:
    """The strategy service alone: it serves ModelRegistryService next to StrategyService."""
    return stack_factory(services=("strategy",))  # type: ignore[operator,no-any-return]


@pytest.fixture(scope="module")
def endpoints(registry_stack: Stack) -> Endpoints:
    return Endpoints({"strategy": registry_stack.addresses["strategy"]})


def _researcher(stack: Stack) -> ServiceToken:
    assert stack.jwt_secret is not None
    token, _ = issue_token(stack.jwt_secret, f"reg-{uuid.uuid4().hex[:8]}", [Role.RESEARCHER])
    return ServiceToken(token)


@pytest.fixture(scope="module")
def alice(registry_stack: Stack) -> ServiceToken:
    return _researcher(registry_stack)


@pytest.fixture(scope="module")
def client(endpoints: Endpoints, alice: ServiceToken) -> Iterator[Client]:
    with Client(endpoints, alice) as tm:
        yield tm


def _create(tm: Client, name: str) -> pb.RegisteredModel:
    request = pb.CreateRegisteredModelRequest(name=name)
    return tm.model_registry.CreateRegisteredModel(request).model  # type: ignore[no-any-return]


def test_paginate_walks_more_than_two_pages_of_registered_models(client: Client) -> None:
    prefix = f"page-{uuid.uuid4().hex[:6]}"
    created = [_create(client, f"{prefix}-{i}").model_id for i in range(5)]
    pages = []

    def counted(request: pb.ListRegisteredModelsRequest, **kwargs: object) -> object:
        pages.append(request.page_token)
        return client.model_registry.ListRegisteredModels(request, **kwargs)

    seen = [
        m.model_id for m in client.paginate(counted, pb.ListRegisteredModelsRequest(), page_size=2)
    ]

    assert [i for i in seen if i in created] == created[::-1]  # newest first
    assert len(seen) == len(set(seen))
    assert len(pages) >= 3 and pages[0] == "" and all(pages[1:])


def test_registry_errors_are_typed_and_other_owners_models_are_not_found(
    registry_stack: Stack, endpoints: Endpoints, client: Client
) -> None:
    mine = _create(client, f"own-{uuid.uuid4().hex[:6]}")
    with pytest.raises(NotFoundError) as missing:
        client.model_registry.GetRegisteredModel(
            pb.GetRegisteredModelRequest(model_id=str(uuid.uuid4()))
        )
    with pytest.raises(NotFoundError) as no_version:
        client.model_registry.GetModelVersion(
            pb.GetModelVersionRequest(model_id=mine.model_id, version=1)
        )
    with pytest.raises(InvalidArgumentError) as invalid:
        client.model_registry.SetModelAlias(
            pb.SetModelAliasRequest(model_id=mine.model_id, alias="Bad!", version=1)
        )
    with (
        Client(endpoints, _researcher(registry_stack)) as bob,
        pytest.raises(NotFoundError) as foreign,
    ):
        bob.model_registry.GetRegisteredModel(pb.GetRegisteredModelRequest(model_id=mine.model_id))

    assert missing.value.reason == "MODEL_NOT_FOUND"
    assert no_version.value.reason == "MODEL_VERSION_NOT_FOUND"
    assert [field for field, _ in invalid.value.field_violations] == ["alias"]
    assert foreign.value.reason == "MODEL_NOT_FOUND"


def test_only_idempotent_registry_rpcs_are_retried(
    endpoints: Endpoints, alice: ServiceToken, client: Client
) -> None:
    name = f"retry-{uuid.uuid4().hex[:6]}"
    with (
        FlakyProxy(endpoints.address("model_registry"), fail_first=1) as proxy,
        Client(endpoints.with_overrides({"strategy": proxy.address}), alice) as tm,
    ):
        created = _create(tm, name)  # keyed by the request_id the client adds
        read = tm.model_registry.GetRegisteredModel(
            pb.GetRegisteredModelRequest(model_id=created.model_id)
        ).model
        with pytest.raises(UnavailableError):
            tm.model_registry.DeleteModelVersion(
                pb.DeleteModelVersionRequest(model_id=created.model_id, version=1)
            )
    named = [
        m.name
        for m in client.paginate(
            client.model_registry.ListRegisteredModels, pb.ListRegisteredModelsRequest()
        )
    ]

    assert read.name == name
    assert proxy.attempts[REGISTRY + "CreateRegisteredModel"] == 2
    assert proxy.forwarded[REGISTRY + "CreateRegisteredModel"] == 1
    assert proxy.attempts[REGISTRY + "GetRegisteredModel"] == 2
    assert proxy.attempts[REGISTRY + "DeleteModelVersion"] == 1  # not idempotent: never retried
    assert proxy.forwarded[REGISTRY + "DeleteModelVersion"] == 0
    assert named.count(name) == 1


async def test_async_registry_pages_and_types_errors(
    endpoints: Endpoints, alice: ServiceToken, client: Client
) -> None:
    prefix = f"async-{uuid.uuid4().hex[:6]}"
    created = {_create(client, f"{prefix}-{i}").model_id for i in range(3)}
    async with AsyncClient(endpoints, alice) as tm:
        listed = [
            m.model_id
            async for m in tm.paginate(
                tm.model_registry.ListRegisteredModels,
                pb.ListRegisteredModelsRequest(),
                page_size=1,
            )
        ]
        with pytest.raises(NotFoundError) as missing:
            await tm.model_registry.ListModelHistory(
                pb.ListModelHistoryRequest(model_id=str(uuid.uuid4()))
            )

    assert created <= set(listed)
    assert missing.value.reason == "MODEL_NOT_FOUND"


def test_the_models_cli_calls_the_registry_over_grpc(
    endpoints: Endpoints, alice: ServiceToken, client: Client, tmp_path: Path
) -> None:
    runner = CliRunner(
        env={
            "TM_CLIENT_STRATEGY_ADDR": endpoints.address("strategy"),
            "XDG_CONFIG_HOME": str(tmp_path),
            "TM_TOKEN": alice.token,
        }
    )
    name = f"cli-{uuid.uuid4().hex[:6]}"

    created = runner.invoke(models, ["create", name, "--description", "from the CLI", "--json"])
    listed = runner.invoke(models, ["list", "--json"])
    shown = runner.invoke(models, ["show", json.loads(created.output)["id"]])
    missing = runner.invoke(models, ["show", str(uuid.uuid4())])
    history = runner.invoke(models, ["history", json.loads(created.output)["id"], "--json"])

    assert created.exit_code == 0, created.output
    model = json.loads(created.output)
    assert (model["name"], model["description"], model["latest_version"]) == (
        name,
        "from the CLI",
        0,
    )
    assert model["create_time"].endswith("Z")
    assert model in json.loads(listed.output)["models"]
    assert shown.exit_code == 0 and name in shown.output and "no aliases" in shown.output
    assert missing.exit_code == 1 and "NOT_FOUND/MODEL_NOT_FOUND" in missing.output
    assert [e["kind"] for e in json.loads(history.output)["events"]] == ["MODEL_CREATED"]
    direct = client.model_registry.GetRegisteredModel(
        pb.GetRegisteredModelRequest(model_id=model["id"])
    ).model
    assert direct.name == name
