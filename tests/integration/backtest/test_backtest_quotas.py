"""The concurrent-backtest quota on a real service: counted atomically in the database (no two
concurrent creates both take the last slot), refused with RESOURCE_EXHAUSTED naming the quota."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from trademaster.api.backtest.v1 import backtest_pb2 as pb
from trademaster.service.errors import error_details
from trademaster.service.quotas import Quota

from .conftest import LARGE, Harness, auth, user

pytestmark = pytest.mark.integration


async def test_concurrent_creates_never_pass_the_backtest_quota(harness: Harness) -> None:
    capped = await harness.start(quota_backtests=Quota(default=2, roles={"admin": 3}))
    owner, admin = user(), user()

    async def create(who: str, *roles: str) -> pb.Backtest:
        reply = await capped.stub.CreateBacktest(
            pb.CreateBacktestRequest(spec=harness.spec(LARGE)),
            metadata=auth(who, *roles),
            timeout=30,
        )
        return reply.backtest

    results = await asyncio.gather(*(create(owner) for _ in range(6)), return_exceptions=True)
    admin_runs = [await create(admin, "admin") for _ in range(3)]
    admin_error = error_details(
        (await asyncio.gather(create(admin, "admin"), return_exceptions=True))[0]  # type: ignore[arg-type]
    )

    created = [r for r in results if isinstance(r, pb.Backtest)]
    refused = [error_details(r) for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(created) == 2, results
    assert len(refused) == 4, results
    for error in refused:
        assert error.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert error.reason == "TOO_MANY_ACTIVE_BACKTESTS"
        assert error.message.startswith("quota: 2 concurrent backtests by default (2 in use)")
    assert admin_error.message.startswith("quota: 3 concurrent backtests for role admin (3 in use)")
    for who, runs in ((owner, created), (admin, admin_runs)):
        for run in runs:
            await capped.stub.CancelBacktest(
                pb.CancelBacktestRequest(backtest_id=run.backtest_id),
                metadata=auth(who),
                timeout=10,
            )
    for run in created:
        await harness.wait_for(owner, run.backtest_id, stub=capped.stub)
    assert (await create(owner)).state == pb.BACKTEST_STATE_QUEUED
