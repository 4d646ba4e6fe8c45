"""BacktestService rules: owner scoping, validation with field violations, restarts."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import timestamp_pb2
from trademaster.api.backtest.v1 import backtest_pb2 as pb
from trademaster.api.common.v1 import common_pb2
from trademaster.service.errors import error_details

from .conftest import LARGE, Harness, auth, user

pytestmark = pytest.mark.integration


def _stamp(text: str) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromJsonString(text)
    return stamp


async def _error(coro) -> grpc.aio.AioRpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await coro
    return caught.value


async def test_other_users_get_not_found_for_every_rpc(harness: Harness) -> None:
    owner, other = user(), user()
    created = await harness.create(owner, harness.spec())
    await harness.wait_for(owner, created.backtest_id)
    ident = created.backtest_id

    calls = [
        harness.stub.GetBacktest(pb.GetBacktestRequest(backtest_id=ident), metadata=auth(other)),
        harness.stub.GetBacktestResult(
            pb.GetBacktestResultRequest(backtest_id=ident), metadata=auth(other)
        ),
        harness.stub.CancelBacktest(
            pb.CancelBacktestRequest(backtest_id=ident), metadata=auth(other)
        ),
    ]
    codes = [(await _error(call)).code() for call in calls]
    listed = await harness.stub.ListBacktests(pb.ListBacktestsRequest(), metadata=auth(other))
    mine = await harness.stub.ListBacktests(pb.ListBacktestsRequest(), metadata=auth(owner))

    assert codes == [grpc.StatusCode.NOT_FOUND] * 3
    assert ident not in [b.backtest_id for b in listed.backtests]
    assert [b.backtest_id for b in mine.backtests] == [ident]


async def test_admin_sees_every_owner(harness: Harness) -> None:
    owner = user()
    created = await harness.create(owner, harness.spec())

    seen = await harness.stub.GetBacktest(
        pb.GetBacktestRequest(backtest_id=created.backtest_id),
        metadata=auth("ops", "admin"),
        timeout=10,
    )

    assert seen.backtest.owner_id == owner
    await harness.wait_for(owner, created.backtest_id)


async def test_viewer_cannot_create(harness: Harness) -> None:
    error = await _error(
        harness.stub.CreateBacktest(
            pb.CreateBacktestRequest(spec=harness.spec()), metadata=auth(user(), "viewer")
        )
    )

    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"dataset_id": "no.such.dataset.csv"}, "spec.dataset_id", "UNKNOWN_DATASET"),
        ({"fee_rate": "-0.01"}, "spec.fee_rate", "INVALID_BACKTEST_SPEC"),
        ({"fee_rate": "1.5"}, "spec.fee_rate", "INVALID_BACKTEST_SPEC"),
        ({"fee_rate": "ten bps"}, "spec.fee_rate", "INVALID_BACKTEST_SPEC"),
        ({"initial_cash": "0"}, "spec.initial_cash", "INVALID_BACKTEST_SPEC"),
        ({"baseline": "martingale"}, "spec.baseline", "INVALID_BACKTEST_SPEC"),
        ({"benchmark": "NOPE"}, "spec.benchmark", "INVALID_BACKTEST_SPEC"),
        (
            {
                "date_range": common_pb2.DateRange(
                    start_time=_stamp("2020-06-01T00:00:00Z"),
                    end_time=_stamp("2020-03-01T00:00:00Z"),
                )
            },
            "spec.date_range",
            "INVALID_DATE_RANGE",
        ),
        (
            {
                "date_range": common_pb2.DateRange(
                    start_time=_stamp("1990-01-01T00:00:00Z"),
                    end_time=_stamp("1991-01-01T00:00:00Z"),
                )
            },
            "spec.date_range",
            "INVALID_DATE_RANGE",
        ),
    ],
)
async def test_bad_specs_are_invalid_argument_with_field_violations(
    harness: Harness, fields: dict, field: str, reason: str
) -> None:
    spec = harness.spec()
    for name, value in fields.items():
        if isinstance(value, str):
            setattr(spec, name, value)
        else:
            getattr(spec, name).CopyFrom(value)

    error = await _error(
        harness.stub.CreateBacktest(
            pb.CreateBacktestRequest(spec=spec), metadata=auth(user()), timeout=10
        )
    )

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = error_details(error)
    assert details.reason == reason
    assert field in dict(details.field_violations), details.field_violations


async def test_malformed_id_is_invalid_argument(harness: Harness) -> None:
    error = await _error(
        harness.stub.GetBacktest(pb.GetBacktestRequest(backtest_id="nope"), metadata=auth(user()))
    )

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_list_pages_newest_first(harness: Harness) -> None:
    owner = user()
    ids = [
        (await harness.create(owner, harness.spec(baseline="cash"))).backtest_id for _ in range(5)
    ]

    pages, token = [], ""
    while True:
        reply = await harness.stub.ListBacktests(
            pb.ListBacktestsRequest(page_size=2, page_token=token), metadata=auth(owner)
        )
        pages.append([b.backtest_id for b in reply.backtests])
        token = reply.next_page_token
        if not token:
            break

    assert [len(p) for p in pages] == [2, 2, 1]
    assert [i for p in pages for i in p] == ids[::-1]
    for ident in ids:
        await harness.wait_for(owner, ident)


@pytest.mark.slow
async def test_restart_requeues_queued_and_running_backtests(harness: Harness) -> None:
    owner = user()
    second = await harness.start(workers=1)
    running = await harness.create(owner, harness.spec(LARGE), stub=second.stub)
    queued = [
        await harness.create(owner, harness.spec(baseline="cash"), stub=second.stub)
        for _ in range(2)
    ]
    await harness.wait_for(
        owner, running.backtest_id, lambda b: b.state == pb.BACKTEST_STATE_RUNNING, stub=second.stub
    )
    await second.stop()
    harness.services.remove(second)
    left = {
        b.backtest_id: (await harness.get(owner, b.backtest_id)).state for b in [running, *queued]
    }

    third = await harness.start()
    done = [
        await harness.wait_for(owner, b.backtest_id, stub=third.stub, timeout_s=180)
        for b in [running, *queued]
    ]

    assert left[running.backtest_id] == pb.BACKTEST_STATE_RUNNING
    assert [left[b.backtest_id] for b in queued] == [pb.BACKTEST_STATE_QUEUED] * 2
    assert [b.state for b in done] == [pb.BACKTEST_STATE_SUCCEEDED] * 3, [
        b.failure_reason for b in done
    ]
