"""BacktestService end to end in-process: create → worker → SUCCEEDED → result, events, cancel."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import grpc
import numpy as np
import pytest
from trademaster.api.backtest.v1 import backtest_pb2 as pb
from trademaster.api.common.v1 import common_pb2
from trademaster.backtest.data import MarketData
from trademaster.data.catalog import load_dataset
from trademaster.metrics.report import compute_metrics
from trademaster.metrics.returns import infer_market

from .conftest import LARGE, SMALL, Harness, auth, user

pytestmark = pytest.mark.integration


async def _result(
    harness: Harness, owner: str, backtest_id: str, **fields: object
) -> pb.GetBacktestResultResponse:
    return await harness.stub.GetBacktestResult(
        pb.GetBacktestResultRequest(backtest_id=backtest_id, **fields),  # type: ignore[arg-type]
        metadata=auth(owner),
        timeout=30,
    )


async def test_create_returns_queued_and_a_worker_runs_it_to_succeeded(harness: Harness) -> None:
    owner = user()

    created = await harness.create(owner, harness.spec(baseline="equal_weight", fee_rate="0.001"))
    done = await harness.wait_for(owner, created.backtest_id)

    assert created.state == pb.BACKTEST_STATE_QUEUED
    assert created.progress == 0.0
    assert done.state == pb.BACKTEST_STATE_SUCCEEDED, done.failure_reason
    assert done.progress == 1.0
    assert done.start_time.seconds > 0 and done.end_time.seconds >= done.start_time.seconds
    assert set(done.summary_metrics) >= {"total_return", "sharpe_ratio", "max_drawdown"}


async def test_result_metrics_equal_compute_metrics_of_the_equity_curve(harness: Harness) -> None:
    owner = user()
    created = await harness.create(owner, harness.spec(baseline="equal_weight", fee_rate="0.001"))
    await harness.wait_for(owner, created.backtest_id)

    result = await _result(harness, owner, created.backtest_id, max_equity_points=0)

    equity = np.array([float(p.equity) for p in result.equity_curve])
    bench = np.array([float(p.benchmark_equity) for p in result.equity_curve])
    info_path = harness.data_dir / SMALL
    market = MarketData.from_frame(load_dataset(info_path, "ohlcv"))
    assert len(equity) == market.num_bars == 300
    ppy = market.periods_per_year(infer_market(market.dates))  # synthetic daily bars incl. weekends
    expected = compute_metrics(equity, periods_per_year=ppy, benchmark=bench)
    for key in ("total_return", "annualized_return", "sharpe_ratio", "max_drawdown", "volatility"):
        if key in expected:
            assert result.metrics[key] == pytest.approx(expected[key], rel=1e-9, abs=1e-12), key
    assert result.metrics["total_fees"] > 0
    assert result.equity_curve[0].equity == repr(1_000_000.0)


async def test_result_downsamples_equity_and_pages_trades(harness: Harness) -> None:
    owner = user()
    created = await harness.create(owner, harness.spec(baseline="equal_weight"))
    await harness.wait_for(owner, created.backtest_id)

    small = await _result(harness, owner, created.backtest_id, max_equity_points=50)
    full = await _result(harness, owner, created.backtest_id, max_equity_points=0)
    pages, token, seen = 0, "", []
    while True:
        page = await _result(
            harness, owner, created.backtest_id, trades_page_size=97, trades_page_token=token
        )
        assert len(page.trades) <= 97
        seen += [(t.time.ToSeconds(), t.asset, t.quantity) for t in page.trades]
        pages += 1
        token = page.next_trades_page_token
        if not token:
            break
    everything = await _result(harness, owner, created.backtest_id, trades_page_size=5_000)

    assert len(small.equity_curve) == 50
    assert small.equity_curve[0] == full.equity_curve[0]
    assert small.equity_curve[-1] == full.equity_curve[-1]
    assert pages > 2
    assert seen == [(t.time.ToSeconds(), t.asset, t.quantity) for t in everything.trades]
    assert len(set(seen)) == len(seen)


async def test_result_lists_report_artifacts_that_exist(harness: Harness) -> None:
    owner = user()
    created = await harness.create(owner, harness.spec())
    await harness.wait_for(owner, created.backtest_id)

    result = await _result(harness, owner, created.backtest_id)

    names = {a.name: a for a in result.artifacts}
    assert set(names) == {"report.html", "summary.png"}
    for artifact in result.artifacts:
        path = Path(unquote(urlparse(artifact.uri).path))
        assert path.is_file(), artifact.uri
        assert path.stat().st_size == artifact.size_bytes > 0
        assert path.is_relative_to(harness.settings.artifact_dir.resolve())
    assert names["report.html"].media_type == "text/html"


async def test_result_before_success_is_failed_precondition(harness: Harness) -> None:
    import grpc

    owner = user()
    created = await harness.create(owner, harness.spec(LARGE))

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _result(harness, owner, created.backtest_id)

    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    await harness.stub.CancelBacktest(
        pb.CancelBacktestRequest(backtest_id=created.backtest_id), metadata=auth(owner), timeout=10
    )
    await harness.wait_for(owner, created.backtest_id)


async def test_progress_events_and_stored_progress_while_running(harness: Harness) -> None:
    owner = user()
    created = await harness.create(owner, harness.spec(LARGE))
    topic = f"backtest/{created.backtest_id}"
    seen: list[pb.Backtest] = []

    done = await harness.wait_for(owner, created.backtest_id, seen=seen, timeout_s=120)
    events = await harness.bus.read([topic], after=None, count=1_000)

    assert done.state == pb.BACKTEST_STATE_SUCCEEDED, done.failure_reason
    progress = [e.payload["fraction"] for e in events if e.type == "backtest_progress"]
    assert progress[0] == 0.0 and progress[-1] == 1.0
    assert len(progress) >= 5
    assert progress == sorted(progress)
    assert all(e.owner_id == owner for e in events)
    states = [e.payload["new_state"] for e in events if e.type == "job_state_changed"]
    assert states == ["RUNNING", "SUCCEEDED"]
    finished = [e.payload for e in events if e.type == "backtest_finished"]
    assert [f["state"] for f in finished] == ["SUCCEEDED"]
    assert finished[0]["metrics"]["total_return"] == pytest.approx(
        done.summary_metrics["total_return"]
    )
    # Whether a 50 ms poll lands mid-run depends on machine speed, so only the invariants of
    # the stored progress are asserted: it never goes back and ends at 1.
    assert done.progress == 1.0
    assert [b.progress for b in seen] == sorted(b.progress for b in seen)


async def test_cancel_running_is_idempotent_and_ends_cancelled(harness: Harness) -> None:
    owner = user()
    created = await harness.create(owner, harness.spec(LARGE))
    running = await harness.wait_for(
        owner, created.backtest_id, lambda b: b.state == pb.BACKTEST_STATE_RUNNING
    )
    assert list(running.allowed_actions) == [common_pb2.JOB_ACTION_CANCEL]

    first = await harness.stub.CancelBacktest(
        pb.CancelBacktestRequest(backtest_id=created.backtest_id), metadata=auth(owner), timeout=10
    )
    done = await harness.wait_for(owner, created.backtest_id)
    again = await harness.stub.CancelBacktest(
        pb.CancelBacktestRequest(backtest_id=created.backtest_id), metadata=auth(owner), timeout=10
    )

    assert first.backtest.state in (pb.BACKTEST_STATE_CANCELLING, pb.BACKTEST_STATE_CANCELLED)
    assert done.state == pb.BACKTEST_STATE_CANCELLED
    assert again.backtest.state == pb.BACKTEST_STATE_CANCELLED
    assert done.end_time.seconds > 0
    assert list(again.backtest.allowed_actions) == []


async def test_cancel_succeeded_backtest_keeps_it_succeeded(harness: Harness) -> None:
    owner = user()
    created = await harness.create(owner, harness.spec())
    await harness.wait_for(owner, created.backtest_id)

    reply = await harness.stub.CancelBacktest(
        pb.CancelBacktestRequest(backtest_id=created.backtest_id), metadata=auth(owner), timeout=10
    )

    assert reply.backtest.state == pb.BACKTEST_STATE_SUCCEEDED
    assert list(reply.backtest.allowed_actions) == []


async def test_same_request_id_returns_the_first_backtest(harness: Harness) -> None:
    owner = user()

    first = await harness.create(owner, harness.spec(), request_id="r-1")
    again = await harness.create(owner, harness.spec(baseline="cash"), request_id="r-1")

    assert again.backtest_id == first.backtest_id
    assert again.spec.baseline == "buy_and_hold"
    await harness.wait_for(owner, first.backtest_id)


async def test_every_public_event_is_already_stored(harness: Harness) -> None:
    """One writer: re-reading the backtest after any public event shows that state or later."""
    owner = user()
    created = await harness.create(owner, harness.spec(LARGE))
    topic = f"backtest/{created.backtest_id}"
    cursor = {topic: "0-0"}
    order = ["QUEUED", "RUNNING", "SUCCEEDED"]
    mismatches: list[str] = []
    seen: list[str] = []
    for _ in range(600):  # one-second reads; a stuck backtest fails the test, never hangs it
        if "backtest_finished" in seen:
            break
        for event in await harness.bus.read([topic], after=cursor, block_ms=1_000):
            cursor[topic] = event.event_id.rpartition("@")[2]
            seen.append(event.type)
            reply = await harness.stub.GetBacktest(
                pb.GetBacktestRequest(backtest_id=created.backtest_id),
                metadata=auth(owner),
                timeout=10,
            )
            stored = pb.BacktestState.Name(reply.backtest.state).removeprefix("BACKTEST_STATE_")
            p = event.payload
            if event.type == "backtest_progress" and reply.backtest.progress < p["fraction"]:
                mismatches.append(f"progress {p['fraction']} > stored {reply.backtest.progress}")
            if event.type == "job_state_changed" and order.index(stored) < order.index(
                p["new_state"]
            ):
                mismatches.append(f"state {p['new_state']}, stored {stored}")
            if event.type == "backtest_finished" and stored != p["state"]:
                mismatches.append(f"finished {p['state']}, stored {stored}")

    assert "backtest_finished" in seen
    assert mismatches == []
    assert seen.count("backtest_progress") >= 5


async def test_report_artifacts_stream_by_rpc_and_stay_owner_scoped(harness: Harness) -> None:
    owner = user()
    created = await harness.create(owner, harness.spec())
    await harness.wait_for(owner, created.backtest_id)
    result = await harness.stub.GetBacktestResult(
        pb.GetBacktestResultRequest(backtest_id=created.backtest_id),
        metadata=auth(owner),
        timeout=30,
    )
    report = next(a for a in result.artifacts if a.name == "report.html")

    chunks = [
        c
        async for c in harness.stub.GetBacktestArtifact(
            pb.GetBacktestArtifactRequest(backtest_id=created.backtest_id, name="report.html"),
            metadata=auth(owner),
            timeout=30,
        )
    ]

    body = b"".join(c.data for c in chunks)
    assert body == Path(unquote(urlparse(report.uri).path)).read_bytes()
    assert chunks[0].media_type == "text/html" and chunks[0].size_bytes == len(body)
    for who, name in ((user(), "report.html"), (owner, "../../etc/passwd")):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for _ in harness.stub.GetBacktestArtifact(
                pb.GetBacktestArtifactRequest(backtest_id=created.backtest_id, name=name),
                metadata=auth(who),
                timeout=30,
            ):
                pass
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_resource_usage_is_sampled_stored_and_streamed(harness: Harness) -> None:
    owner = user()
    created = await harness.create(owner, harness.spec(LARGE))
    done = await harness.wait_for(owner, created.backtest_id, timeout_s=120)
    assert done.state == pb.BACKTEST_STATE_SUCCEEDED, done.failure_reason

    usage = dict(done.resource_usage)
    assert usage["rss_mib_peak"] > 0 and usage["samples"] >= 1
    assert usage["cpu_percent_peak"] > 0  # the closing sample covers the whole CPU-bound run
    history = (await _result(harness, owner, created.backtest_id)).resource_history
    assert len(history) == usage["samples"] + 1  # plus the priming sample
    assert [s.t for s in history] == sorted(s.t for s in history)
    assert max(s.rss_mib for s in history) == pytest.approx(usage["rss_mib_peak"], abs=1e-3)
    if not any(k.startswith("gpu_") for k in usage):  # no GPU: absent, never zero
        assert not any(s.HasField("gpu_util_percent") for s in history)
    events = await harness.bus.read([f"backtest/{created.backtest_id}"], after=None, count=1_000)
    live = [e.payload.get("resources", {}) for e in events if e.type == "backtest_progress"]
    assert all(r.get("resources/rss_mib", 0) > 0 for r in live)
