"""Read-only shares of registered models and backtests on real servers (strategy service with
the registry, backtest service, trainer on Ray, PostgreSQL): the owner shares, the user it is
shared with reads everything of it but changes nothing (PERMISSION_DENIED READ_ONLY_SHARE),
withdrawing takes effect at once, and everyone else still gets NOT_FOUND."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from trademaster.api.backtest.v1 import backtest_pb2 as bt
from trademaster.api.strategy.v1 import model_registry_pb2 as pb
from trademaster.service.errors import error_details

from .conftest import TrainerHarness
from .test_model_registry import ALICE, Registry, _rpc_error, auth, registry

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["registry"]  # the module fixture, reused

DENIED, MISSING = grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND


async def test_a_shared_model_is_read_only_for_its_users_until_unshared(
    registry: Registry,
) -> None:
    rita, vic, bob = (str(uuid.uuid4()) for _ in range(3))
    s = registry.stub
    model = await registry.model()
    await registry.version(model.model_id, registry.jobs[0])
    await s.SetModelAlias(
        pb.SetModelAliasRequest(model_id=model.model_id, alias="champion", version=1),
        metadata=auth(ALICE),
    )
    for user in (rita, vic):
        await s.ShareModel(
            pb.ShareModelRequest(model_id=model.model_id, user_id=user), metadata=auth(ALICE)
        )
    shares = await s.ListModelShares(
        pb.ListModelSharesRequest(model_id=model.model_id), metadata=auth(ALICE)
    )
    assert [(x.user_id, x.created_by) for x in shares.shares] == [(rita, ALICE), (vic, ALICE)]

    for user, role in ((rita, "researcher"), (vic, "viewer")):
        md = auth(user, role)
        got = await s.GetRegisteredModel(
            pb.GetRegisteredModelRequest(model_id=model.model_id), metadata=md
        )
        version = await s.GetModelVersion(
            pb.GetModelVersionRequest(model_id=model.model_id, version=1), metadata=md
        )
        versions = await s.ListModelVersions(
            pb.ListModelVersionsRequest(model_id=model.model_id), metadata=md
        )
        alias = await s.ResolveModelAlias(
            pb.ResolveModelAliasRequest(model_id=model.model_id, alias="champion"), metadata=md
        )
        history = await s.ListModelHistory(
            pb.ListModelHistoryRequest(model_id=model.model_id), metadata=md
        )
        shared = await s.ListRegisteredModels(
            pb.ListRegisteredModelsRequest(shared_with_me=True), metadata=md
        )
        own = await s.ListRegisteredModels(pb.ListRegisteredModelsRequest(), metadata=md)
        assert got.model.model_id == model.model_id and version.model_version.version == 1
        assert [v.version for v in versions.model_versions] == [1] and alias.version == 1
        assert len(history.events) >= 2
        assert [m.model_id for m in shared.models] == [model.model_id]
        assert list(own.models) == []

    rita_md = auth(rita)
    writes = [
        s.SetModelAlias(
            pb.SetModelAliasRequest(model_id=model.model_id, alias="challenger", version=1),
            metadata=rita_md,
        ),
        s.DeleteModelAlias(
            pb.DeleteModelAliasRequest(model_id=model.model_id, alias="champion"), metadata=rita_md
        ),
        s.UpdateModelVersionTags(
            pb.UpdateModelVersionTagsRequest(
                model_id=model.model_id, version=1, set_tags={"a": "b"}
            ),
            metadata=rita_md,
        ),
        s.DeleteModelVersion(
            pb.DeleteModelVersionRequest(model_id=model.model_id, version=1), metadata=rita_md
        ),
        s.CreateModelVersion(
            pb.CreateModelVersionRequest(model_id=model.model_id, training_job_id=registry.jobs[1]),
            metadata=rita_md,
        ),
        s.ShareModel(pb.ShareModelRequest(model_id=model.model_id, user_id=bob), metadata=rita_md),
    ]
    errors = [await _rpc_error(call) for call in writes]
    assert [(e.code(), error_details(e).reason) for e in errors] == [
        (DENIED, "READ_ONLY_SHARE")
    ] * len(writes)
    after = await s.GetRegisteredModel(
        pb.GetRegisteredModelRequest(model_id=model.model_id), metadata=auth(ALICE)
    )
    assert dict(after.model.aliases) == {"champion": 1} and after.model.latest_version == 1

    outsider = await _rpc_error(
        s.GetModelVersion(
            pb.GetModelVersionRequest(model_id=model.model_id, version=1), metadata=auth(bob)
        )
    )
    outsider_alias = await _rpc_error(
        s.SetModelAlias(
            pb.SetModelAliasRequest(model_id=model.model_id, alias="x", version=1),
            metadata=auth(bob),
        )
    )
    assert outsider.code() == outsider_alias.code() == MISSING

    await s.UnshareModel(
        pb.UnshareModelRequest(model_id=model.model_id, user_id=rita), metadata=auth(ALICE)
    )
    gone = await _rpc_error(
        s.GetRegisteredModel(
            pb.GetRegisteredModelRequest(model_id=model.model_id), metadata=rita_md
        )
    )
    gone_write = await _rpc_error(
        s.SetModelAlias(
            pb.SetModelAliasRequest(model_id=model.model_id, alias="x", version=1),
            metadata=rita_md,
        )
    )
    listed = await s.ListRegisteredModels(
        pb.ListRegisteredModelsRequest(shared_with_me=True), metadata=rita_md
    )
    assert gone.code() == gone_write.code() == MISSING
    assert list(listed.models) == []


async def _finished_backtest(registry: Registry, trainer: TrainerHarness) -> str:
    created = await registry.backtests.CreateBacktest(
        bt.CreateBacktestRequest(
            spec=bt.BacktestSpec(dataset_id=trainer.dataset_id, baseline="buy_and_hold")
        ),
        metadata=auth(ALICE),
        timeout=30,
    )
    backtest_id = created.backtest.backtest_id
    for _ in range(600):
        got = await registry.backtests.GetBacktest(
            bt.GetBacktestRequest(backtest_id=backtest_id), metadata=auth(ALICE)
        )
        if got.backtest.state in (bt.BACKTEST_STATE_SUCCEEDED, bt.BACKTEST_STATE_FAILED):
            break
        await asyncio.sleep(0.2)
    assert got.backtest.state == bt.BACKTEST_STATE_SUCCEEDED, got.backtest.failure_reason
    return backtest_id


async def test_a_shared_backtest_is_read_only_for_its_users_until_unshared(
    registry: Registry, trainer: TrainerHarness
) -> None:
    rita, vic, bob = (str(uuid.uuid4()) for _ in range(3))
    b = registry.backtests
    backtest_id = await _finished_backtest(registry, trainer)
    for user in (rita, vic):
        share = await b.ShareBacktest(
            bt.ShareBacktestRequest(backtest_id=backtest_id, user_id=user), metadata=auth(ALICE)
        )
        assert share.share.resource_id == backtest_id

    for user, role in ((rita, "researcher"), (vic, "viewer")):
        md = auth(user, role)
        got = await b.GetBacktest(bt.GetBacktestRequest(backtest_id=backtest_id), metadata=md)
        result = await b.GetBacktestResult(
            bt.GetBacktestResultRequest(backtest_id=backtest_id), metadata=md
        )
        shared = await b.ListBacktests(bt.ListBacktestsRequest(shared_with_me=True), metadata=md)
        own = await b.ListBacktests(bt.ListBacktestsRequest(), metadata=md)
        assert got.backtest.backtest_id == backtest_id and result.metrics
        assert [x.backtest_id for x in shared.backtests] == [backtest_id]
        assert list(own.backtests) == []
        if result.artifacts:
            chunks = [
                c
                async for c in b.GetBacktestArtifact(
                    bt.GetBacktestArtifactRequest(
                        backtest_id=backtest_id, name=result.artifacts[0].name
                    ),
                    metadata=md,
                )
            ]
            assert chunks

    cancel = await _rpc_error(
        b.CancelBacktest(bt.CancelBacktestRequest(backtest_id=backtest_id), metadata=auth(rita))
    )
    listing = await _rpc_error(
        b.ListBacktestShares(
            bt.ListBacktestSharesRequest(backtest_id=backtest_id), metadata=auth(rita)
        )
    )
    viewer_cancel = await _rpc_error(
        b.CancelBacktest(
            bt.CancelBacktestRequest(backtest_id=backtest_id), metadata=auth(vic, "viewer")
        )
    )
    outsider = await _rpc_error(
        b.GetBacktestResult(
            bt.GetBacktestResultRequest(backtest_id=backtest_id), metadata=auth(bob)
        )
    )
    assert (cancel.code(), error_details(cancel).reason) == (DENIED, "READ_ONLY_SHARE")
    assert (listing.code(), error_details(listing).reason) == (DENIED, "READ_ONLY_SHARE")
    assert (viewer_cancel.code(), error_details(viewer_cancel).reason) == (DENIED, "MISSING_ROLE")
    assert outsider.code() == MISSING

    await b.UnshareBacktest(
        bt.UnshareBacktestRequest(backtest_id=backtest_id, user_id=rita), metadata=auth(ALICE)
    )
    gone = await _rpc_error(
        b.GetBacktest(bt.GetBacktestRequest(backtest_id=backtest_id), metadata=auth(rita))
    )
    gone_cancel = await _rpc_error(
        b.CancelBacktest(bt.CancelBacktestRequest(backtest_id=backtest_id), metadata=auth(rita))
    )
    listed = await b.ListBacktests(
        bt.ListBacktestsRequest(shared_with_me=True), metadata=auth(rita)
    )
    still = await b.GetBacktest(
        bt.GetBacktestRequest(backtest_id=backtest_id), metadata=auth(vic, "viewer")
    )
    assert gone.code() == gone_cancel.code() == MISSING
    assert list(listed.backtests) == [] and still.backtest.backtest_id == backtest_id
