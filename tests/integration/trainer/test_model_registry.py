"""Model registry against real servers: a strategy service with the registry calling a real
trainer (jobs trained on the session's Ray head) and a real backtest service, on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from google.protobuf import struct_pb2, timestamp_pb2
from support.servers import PostgresHandle
from tm_backtest.config import BacktestSettings
from tm_backtest.server import build as build_backtest
from tm_strategy.config import StrategySettings
from tm_strategy.server import build as build_strategy
from trademaster.api.backtest.v1 import backtest_pb2, backtest_pb2_grpc
from trademaster.api.strategy.v1 import model_registry_pb2 as pb
from trademaster.api.strategy.v1 import model_registry_pb2_grpc
from trademaster.api.trainer.v1 import trainer_pb2
from trademaster.service.errors import error_details

from .conftest import JWT_SECRET, State, TrainerHarness, start_service, token

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ALICE = "reg-alice"
BOB = "reg-bob"


def auth(subject: str, *roles: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token(subject, *(roles or ('researcher',)))}")]


def trader(subject: str = ALICE) -> list[tuple[str, str]]:
    return auth(subject, "researcher", "trader")


@dataclass
class Registry:
    stub: model_registry_pb2_grpc.ModelRegistryServiceStub
    backtests: backtest_pb2_grpc.BacktestServiceStub
    database_url: str
    jobs: list[str]
    """Two SUCCEEDED jobs of ALICE (gamma 0.9 and 0.95)."""

    async def model(self, name: str = "", who: str = ALICE) -> pb.RegisteredModel:
        reply = await self.stub.CreateRegisteredModel(
            pb.CreateRegisteredModelRequest(name=name or f"m-{uuid.uuid4().hex[:8]}"),
            metadata=auth(who),
            timeout=10,
        )
        return reply.model

    async def version(self, model_id: str, job_id: str, **fields: Any) -> pb.ModelVersion:
        reply = await self.stub.CreateModelVersion(
            pb.CreateModelVersionRequest(model_id=model_id, training_job_id=job_id, **fields),
            metadata=auth(ALICE),
            timeout=20,
        )
        return reply.model_version


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(value)
    return message


async def _train_two(trainer: TrainerHarness) -> list[str]:
    created = [
        await trainer.create(ALICE, overrides=_struct({"agent_params": {"gamma": gamma}}))
        for gamma in (0.9, 0.95)
    ]
    done = await asyncio.gather(
        *(
            trainer.wait_for(
                ALICE, job.job_id, lambda j: j.state in (State.SUCCEEDED, State.FAILED), 240
            )
            for job in created
        )
    )
    for job in done:
        assert job.state == State.SUCCEEDED, job.failure_reason
    return [job.job_id for job in done]


@pytest.fixture(scope="module")
async def registry(
    trainer: TrainerHarness,
    strategy_service: tuple[str, Path],
    postgres_server: PostgresHandle,
    tm_session_dir: Path,
) -> AsyncIterator[Registry]:
    name = f"reg_{uuid.uuid4().hex[:8]}"
    backtest_settings = BacktestSettings(
        database_url=postgres_server.create_database(f"{name}_bt"),
        redis_url=trainer.settings.redis_url,
        jwt_secret=JWT_SECRET,
        strategy_addr=strategy_service[0],
        artifact_dir=trainer.settings.artifact_dir,
        trainer_addr=trainer.address,
        workers=1,
    )
    backtest = await start_service(backtest_settings, "backtest", build_backtest)
    database_url = postgres_server.create_database(name)
    strategy = await start_service(
        StrategySettings(
            database_url=database_url,
            redis_url="redis://127.0.0.1:1/0",
            jwt_secret=JWT_SECRET,
            data_dir=tm_session_dir / name / "datasets",
            trainer_addr=trainer.address,
            backtest_addr=f"127.0.0.1:{backtest.port}",
        ),
        "strategy",
        build_strategy,
    )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{strategy.port}")
    backtest_channel = grpc.aio.insecure_channel(f"127.0.0.1:{backtest.port}")
    yield Registry(
        model_registry_pb2_grpc.ModelRegistryServiceStub(channel),
        backtest_pb2_grpc.BacktestServiceStub(backtest_channel),
        database_url,
        await _train_two(trainer),
    )
    await channel.close()
    await backtest_channel.close()
    await strategy.stop()
    await backtest.stop()


async def _rpc_error(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return raised.value


async def test_version_copies_the_jobs_artifact_spec_and_metrics(
    registry: Registry, trainer: TrainerHarness
) -> None:
    model = await registry.model()
    job = await trainer.get(ALICE, registry.jobs[0])

    version = await registry.version(model.model_id, job.job_id, tags={"purpose": "test"})
    again = await registry.version(model.model_id, job.job_id)

    assert version.version == 1 and again.version == 1
    assert version.model_uri == job.model_uri
    assert json.loads(version.run_spec_json) == json.loads(job.run_spec_json)
    assert dict(version.metrics) == dict(job.final_metrics) and version.metrics
    assert version.strategy_id == job.strategy_id
    assert version.dataset_id == json.loads(job.run_spec_json)["dataset"]["dataset_id"]
    assert version.tags == {"purpose": "test"}
    assert json.loads(version.run_record_json)
    listed = await registry.stub.ListModelVersions(
        pb.ListModelVersionsRequest(training_job_id=job.job_id), metadata=auth(ALICE), timeout=10
    )
    assert (model.model_id, 1) in {(v.model_id, v.version) for v in listed.model_versions}


async def test_unknown_and_unfinished_jobs_are_refused(
    registry: Registry, trainer: TrainerHarness
) -> None:
    model = await registry.model()
    unknown = await _rpc_error(registry.version(model.model_id, str(uuid.uuid4())))
    queued = await trainer.create(ALICE)
    unfinished = await _rpc_error(registry.version(model.model_id, queued.job_id))
    await trainer.trainer.CancelTrainingJob(
        trainer_pb2.CancelTrainingJobRequest(job_id=queued.job_id), metadata=trainer.auth(ALICE)
    )

    assert unknown.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(unknown).reason == "UNKNOWN_TRAINING_JOB"
    assert unfinished.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_details(unfinished).reason == "TRAINING_JOB_NOT_SUCCEEDED"


def _stamp(when: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(when)
    return stamp


async def _resolve(registry: Registry, model_id: str, alias: str, when: datetime | None) -> int:
    request = pb.ResolveModelAliasRequest(model_id=model_id, alias=alias)
    if when is not None:
        request.as_of.CopyFrom(_stamp(when))
    reply = await registry.stub.ResolveModelAlias(request, metadata=auth(ALICE), timeout=10)
    return reply.version


async def test_alias_history_answers_which_version_it_named_at_any_time(
    registry: Registry,
) -> None:
    model = await registry.model()
    for job in registry.jobs:
        await registry.version(model.model_id, job)
    before = datetime.now(UTC)
    set_alias = registry.stub.SetModelAlias

    await set_alias(
        pb.SetModelAliasRequest(model_id=model.model_id, alias="champion", version=1),
        metadata=auth(ALICE),
    )
    while_one = datetime.now(UTC)
    moved = await set_alias(
        pb.SetModelAliasRequest(model_id=model.model_id, alias="champion", version=2),
        metadata=auth(ALICE),
    )
    while_two = datetime.now(UTC)
    await registry.stub.DeleteModelAlias(
        pb.DeleteModelAliasRequest(model_id=model.model_id, alias="champion"), metadata=auth(ALICE)
    )

    assert dict(moved.model.aliases) == {"champion": 2}
    assert await _resolve(registry, model.model_id, "champion", before) == 0
    assert await _resolve(registry, model.model_id, "champion", while_one) == 1
    assert await _resolve(registry, model.model_id, "champion", while_two) == 2
    assert await _resolve(registry, model.model_id, "champion", None) == 0
    history = await registry.stub.ListModelHistory(
        pb.ListModelHistoryRequest(model_id=model.model_id), metadata=auth(ALICE)
    )
    kinds = [
        pb.ModelEventKind.Name(e.kind).removeprefix("MODEL_EVENT_KIND_") for e in history.events
    ]
    assert kinds == [
        "MODEL_CREATED",
        "VERSION_CREATED",
        "VERSION_CREATED",
        "ALIAS_SET",
        "ALIAS_SET",
        "ALIAS_REMOVED",
    ]
    assert all(e.actor == ALICE for e in history.events)


async def test_history_rows_cannot_be_changed_or_removed(registry: Registry) -> None:
    await registry.model()
    with psycopg.connect(registry.database_url) as conn:
        for statement in (
            "UPDATE strategy.model_history SET actor = 'mallory'",
            "DELETE FROM strategy.model_history",
            "TRUNCATE strategy.model_history",
        ):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(statement)
            conn.rollback()


async def test_compare_shows_training_and_backtest_metrics_and_differing_settings(
    registry: Registry, trainer: TrainerHarness
) -> None:
    model = await registry.model()
    for job in registry.jobs:
        await registry.version(model.model_id, job)
    created = await registry.backtests.CreateBacktest(
        backtest_pb2.CreateBacktestRequest(
            spec=backtest_pb2.BacktestSpec(
                dataset_id=trainer.dataset_id, training_job_id=registry.jobs[0], fee_rate="0.001"
            )
        ),
        metadata=auth(ALICE),
        timeout=30,
    )
    backtest_id = created.backtest.backtest_id
    for _ in range(600):
        got = await registry.backtests.GetBacktest(
            backtest_pb2.GetBacktestRequest(backtest_id=backtest_id), metadata=auth(ALICE)
        )
        if got.backtest.state in (
            backtest_pb2.BACKTEST_STATE_SUCCEEDED,
            backtest_pb2.BACKTEST_STATE_FAILED,
        ):
            break
        await asyncio.sleep(0.2)
    assert got.backtest.state == backtest_pb2.BACKTEST_STATE_SUCCEEDED, got.backtest.failure_reason

    detail = await registry.stub.GetModelVersion(
        pb.GetModelVersionRequest(model_id=model.model_id, version=1), metadata=auth(ALICE)
    )
    compared = await registry.stub.CompareModelVersions(
        pb.CompareModelVersionsRequest(model_id=model.model_id, versions=[2, 1]),
        metadata=auth(ALICE),
    )

    assert [b.backtest_id for b in detail.model_version.backtests] == [backtest_id]
    assert [v.version for v in compared.model_versions] == [2, 1]
    rows = {m.name: list(m.values) for m in compared.metrics}
    sharpe = got.backtest.summary_metrics["sharpe_ratio"]
    backtest_sharpe = rows["backtest/sharpe_ratio"]
    assert backtest_sharpe[1] == pytest.approx(sharpe) and backtest_sharpe[0] != backtest_sharpe[0]
    settings = {s.path: list(s.values) for s in compared.differing_settings}
    assert settings["strategy.agent_params.gamma"] == ["0.95", "0.9"]


async def test_deployed_version_cannot_be_deleted_and_account_history_answers_at_time(
    registry: Registry,
) -> None:
    model = await registry.model()
    first = await registry.version(model.model_id, registry.jobs[0])
    second = await registry.version(model.model_id, registry.jobs[1])
    account = f"acct-{uuid.uuid4().hex[:6]}"
    before = datetime.now(UTC)

    recorded = await registry.stub.RecordModelDeployment(
        pb.RecordModelDeploymentRequest(
            model_id=model.model_id,
            version=first.version,
            account_id=account,
            mode=pb.DEPLOYMENT_MODE_PAPER,
            request_id="deploy-1",
        ),
        metadata=trader(),
    )
    during = datetime.now(UTC)
    ended = await registry.stub.EndModelDeployment(
        pb.EndModelDeploymentRequest(deployment_id=recorded.deployment.deployment_id),
        metadata=trader(),
    )
    refused = await _rpc_error(
        registry.stub.DeleteModelVersion(
            pb.DeleteModelVersionRequest(model_id=model.model_id, version=first.version),
            metadata=auth(ALICE),
        )
    )
    await registry.stub.SetModelAlias(
        pb.SetModelAliasRequest(model_id=model.model_id, alias="challenger", version=2),
        metadata=auth(ALICE),
    )
    aliased = await _rpc_error(
        registry.stub.DeleteModelVersion(
            pb.DeleteModelVersionRequest(model_id=model.model_id, version=second.version),
            metadata=auth(ALICE),
        )
    )
    await registry.stub.DeleteModelAlias(
        pb.DeleteModelAliasRequest(model_id=model.model_id, alias="challenger"),
        metadata=auth(ALICE),
    )
    await registry.stub.DeleteModelVersion(
        pb.DeleteModelVersionRequest(model_id=model.model_id, version=second.version),
        metadata=auth(ALICE),
    )
    again = await registry.version(model.model_id, registry.jobs[1])

    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_details(refused).reason == "MODEL_VERSION_DEPLOYED"
    assert error_details(aliased).reason == "MODEL_VERSION_HAS_ALIAS"
    assert again.version == 3, "a deleted version's number is never reused"
    assert ended.deployment.HasField("end_time")

    async def deployed(when: datetime | None) -> list[int]:
        request = pb.ListDeployedModelVersionsRequest(account_id=account)
        if when is not None:
            request.as_of.CopyFrom(_stamp(when))
        reply = await registry.stub.ListDeployedModelVersions(request, metadata=trader())
        return [d.version for d in reply.deployments]

    assert await deployed(before) == []
    assert await deployed(during) == [1]
    assert await deployed(None) == []
    detail = await registry.stub.GetModelVersion(
        pb.GetModelVersionRequest(model_id=model.model_id, version=1), metadata=auth(ALICE)
    )
    assert detail.model_version.ever_deployed
    assert [d.account_id for d in detail.model_version.deployments] == [account]


async def test_models_are_visible_to_their_owner_only(registry: Registry) -> None:
    model = await registry.model()
    await registry.version(model.model_id, registry.jobs[0])

    hidden = await _rpc_error(
        registry.stub.GetRegisteredModel(
            pb.GetRegisteredModelRequest(model_id=model.model_id), metadata=auth(BOB)
        )
    )
    listed = await registry.stub.ListRegisteredModels(
        pb.ListRegisteredModelsRequest(owner_id=ALICE), metadata=auth(BOB)
    )
    versions = await registry.stub.ListModelVersions(
        pb.ListModelVersionsRequest(training_job_id=registry.jobs[0]), metadata=auth(BOB)
    )
    alias = await _rpc_error(
        registry.stub.SetModelAlias(
            pb.SetModelAliasRequest(model_id=model.model_id, alias="champion", version=1),
            metadata=auth(BOB),
        )
    )
    stolen = await _rpc_error(
        registry.stub.CreateModelVersion(
            pb.CreateModelVersionRequest(model_id=model.model_id, training_job_id=registry.jobs[0]),
            metadata=auth(BOB),
        )
    )
    not_trader = await _rpc_error(
        registry.stub.RecordModelDeployment(
            pb.RecordModelDeploymentRequest(
                model_id=model.model_id,
                version=1,
                account_id="acct-1",
                mode=pb.DEPLOYMENT_MODE_PAPER,
            ),
            metadata=auth(ALICE),
        )
    )
    viewer = await _rpc_error(
        registry.stub.CreateRegisteredModel(
            pb.CreateRegisteredModelRequest(name="nope"), metadata=auth(BOB, "viewer")
        )
    )

    assert hidden.code() == grpc.StatusCode.NOT_FOUND
    assert list(listed.models) == [] and list(versions.model_versions) == []
    assert alias.code() == grpc.StatusCode.NOT_FOUND
    assert stolen.code() == grpc.StatusCode.NOT_FOUND
    assert not_trader.code() == grpc.StatusCode.PERMISSION_DENIED
    assert viewer.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_invalid_requests_name_the_field(registry: Registry) -> None:
    model = await registry.model()
    cases = [
        registry.stub.CreateRegisteredModel(
            pb.CreateRegisteredModelRequest(name="bad name!"), metadata=auth(ALICE)
        ),
        registry.stub.SetModelAlias(
            pb.SetModelAliasRequest(model_id=model.model_id, alias="Champion", version=1),
            metadata=auth(ALICE),
        ),
        registry.stub.CompareModelVersions(
            pb.CompareModelVersionsRequest(model_id=model.model_id, versions=[1]),
            metadata=auth(ALICE),
        ),
        registry.stub.GetModelVersion(
            pb.GetModelVersionRequest(model_id="not-a-uuid", version=1), metadata=auth(ALICE)
        ),
    ]
    fields = []
    for call in cases:
        error = await _rpc_error(call)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
        fields.append(error_details(error).field_violations[0][0])
    taken = await _rpc_error(registry.model(model.name))

    assert fields == ["name", "alias", "versions", "model_id"]
    assert taken.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_tag_changes_are_recorded_and_the_limit_writes_nothing(registry: Registry) -> None:
    model = await registry.model()
    await registry.version(model.model_id, registry.jobs[0], tags={"stage": "dev"})
    update = registry.stub.UpdateModelVersionTags

    changed = await update(
        pb.UpdateModelVersionTagsRequest(
            model_id=model.model_id,
            version=1,
            set_tags={"stage": "prod", "owner": "desk-1"},
            remove_tag_keys=["absent"],
        ),
        metadata=auth(ALICE),
    )
    too_many = await _rpc_error(
        update(
            pb.UpdateModelVersionTagsRequest(
                model_id=model.model_id,
                version=1,
                set_tags={f"k{i}": "v" for i in range(49)},
            ),
            metadata=auth(ALICE),
        )
    )
    await update(
        pb.UpdateModelVersionTagsRequest(
            model_id=model.model_id, version=1, remove_tag_keys=["owner"]
        ),
        metadata=auth(ALICE),
    )
    await registry.stub.SetModelAlias(
        pb.SetModelAliasRequest(model_id=model.model_id, alias="champion", version=1),
        metadata=auth(ALICE),
    )

    assert dict(changed.model_version.tags) == {"stage": "prod", "owner": "desk-1"}
    assert too_many.code() == grpc.StatusCode.INVALID_ARGUMENT
    got = await registry.stub.GetModelVersion(
        pb.GetModelVersionRequest(model_id=model.model_id, version=1), metadata=auth(ALICE)
    )
    assert dict(got.model_version.tags) == {"stage": "prod"}
    history = await registry.stub.ListModelHistory(
        pb.ListModelHistoryRequest(model_id=model.model_id, page_size=2), metadata=auth(ALICE)
    )
    events = list(history.events)
    token = history.next_page_token
    while token:
        page = await registry.stub.ListModelHistory(
            pb.ListModelHistoryRequest(model_id=model.model_id, page_size=2, page_token=token),
            metadata=auth(ALICE),
        )
        events += page.events
        token = page.next_page_token
    tags = [
        (pb.ModelEventKind.Name(e.kind).removeprefix("MODEL_EVENT_KIND_"), e.tag_key, e.tag_value)
        for e in events
        if e.tag_key
    ]
    assert tags == [
        ("TAG_SET", "stage", "dev"),
        ("TAG_SET", "owner", "desk-1"),
        ("TAG_SET", "stage", "prod"),
        ("TAG_REMOVED", "owner", ""),
    ]
    listed = await registry.stub.ListRegisteredModels(
        pb.ListRegisteredModelsRequest(), metadata=auth(ALICE)
    )
    mine = {m.model_id: dict(m.aliases) for m in listed.models}
    assert mine[model.model_id] == {"champion": 1}
