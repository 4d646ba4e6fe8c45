"""Deployments against real servers: a model trained on the session's Ray head and registered
in a real strategy service trades a paper account of a real risk service through a runner on
Ray, reading a replayed bar stream on the session's Redis; all state in PostgreSQL.

Covers: orders and fills of the deployment at the risk service (deployment id and model version
on each order), pause (bars followed, no orders), resume, kill -9 of the runner mid-run (it is
resubmitted, resumes after its last recorded bar, and no bar gets a second order), stop with
flatten through the risk path, and the edge's refusals (live mode, another owner, bad fields).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pandas as pd
import psutil
import pytest
import redis.asyncio as aioredis
from support.fake_venues import alpaca as fake_alpaca
from support.fake_venues.book import FakeBook
from support.servers import PostgresHandle
from tm_backtest.config import BacktestSettings
from tm_backtest.server import build as build_backtest
from tm_notifier.config import NotifierSettings
from tm_notifier.server import build as build_notifier
from tm_risk.config import RiskSettings
from tm_risk.marketdata import Bar, publish_bar
from tm_risk.server import build as build_risk
from tm_strategy.config import StrategySettings
from tm_strategy.server import build as build_strategy
from tm_trainer.config import TrainerSettings
from tm_trainer.server import build as build_trainer
from trademaster.api.backtest.v1 import backtest_pb2, backtest_pb2_grpc
from trademaster.api.common.v1 import common_pb2
from trademaster.api.notifier.v1 import notifier_pb2, notifier_pb2_grpc
from trademaster.api.risk.v1 import risk_pb2 as rpb
from trademaster.api.risk.v1 import risk_pb2_grpc
from trademaster.api.strategy.v1 import model_registry_pb2 as reg
from trademaster.api.strategy.v1 import model_registry_pb2_grpc
from trademaster.api.trainer.v1 import deployment_pb2 as pb
from trademaster.api.trainer.v1 import deployment_pb2_grpc
from trademaster.service.errors import error_details
from trademaster.service.localstack import RayHead

from .conftest import JWT_SECRET, Started, State, TrainerHarness, start_service, token

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ALICE = "dep-alice"
LIVE_NAME = "dep-alpaca"
BOB = "dep-bob"
IID = "SYN-USD"
D = pb.DeploymentState


def auth(subject: str, *roles: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token(subject, *(roles or ('researcher', 'trader')))}")]


@dataclass
class Stack:
    deployments: deployment_pb2_grpc.DeploymentServiceStub
    risk: risk_pb2_grpc.RiskServiceStub
    redis: aioredis.Redis
    stream: str
    model_id: str
    account_id: str
    backtest_id: str
    book: FakeBook
    version_2_job: str
    registry_port: int
    clock_ns: int
    rng: np.random.Generator
    price: float = 100.0
    backtest_port: int = 0
    data_dir: Path = Path()
    notifier: notifier_pb2_grpc.NotifierServiceStub | None = None
    dataset_id: str = ""
    job_id: str = ""

    async def bars(self, count: int, pace_s: float = 0.15) -> None:
        """A seeded random walk of ``count`` one-minute bars, paced like a live feed."""
        for _ in range(count):
            self.clock_ns += 60_000_000_000
            step = float(self.rng.normal(0.0, 0.02))
            open_ = self.price
            self.price = max(1.0, self.price * (1.0 + step))
            high, low = max(open_, self.price) * 1.002, min(open_, self.price) * 0.998
            bar = Bar(IID, self.clock_ns, open_, high, low, self.price, 1e6)
            await publish_bar(self.redis, bar, self.stream)
            await asyncio.sleep(pace_s)

    async def get(self, dep_id: str, who: str = ALICE) -> pb.Deployment:
        reply = await self.deployments.GetDeployment(
            pb.GetDeploymentRequest(deployment_id=dep_id), metadata=auth(who), timeout=10
        )
        return reply.deployment

    async def wait(
        self, dep_id: str, done: Callable[[pb.Deployment], bool], timeout_s: float = 240
    ) -> pb.Deployment:
        deadline = time.monotonic() + timeout_s
        while True:
            dep = await self.get(dep_id)
            if done(dep):
                return dep
            if time.monotonic() > deadline:
                raise AssertionError(f"deployment never got there in {timeout_s}s: {dep}")
            await asyncio.sleep(0.2)

    async def orders(self) -> list[rpb.Order]:
        reply = await self.risk.ListOrders(
            rpb.ListOrdersRequest(account_id=self.account_id, page_size=500),
            metadata=auth(ALICE, "viewer"),
            timeout=10,
        )
        return list(reply.orders)

    async def orders_of(self, account_id: str) -> list[rpb.Order]:
        reply = await self.risk.ListOrders(
            rpb.ListOrdersRequest(account_id=account_id, page_size=500),
            metadata=auth(ALICE, "viewer"),
            timeout=10,
        )
        return list(reply.orders)

    async def fills(self) -> list[rpb.Fill]:
        reply = await self.risk.ListFills(
            rpb.ListFillsRequest(account_id=self.account_id, page_size=500),
            metadata=auth(ALICE, "viewer"),
            timeout=10,
        )
        return list(reply.fills)

    async def position(self) -> float:
        reply = await self.risk.ListPositions(
            rpb.ListPositionsRequest(account_id=self.account_id),
            metadata=auth(ALICE, "viewer"),
            timeout=10,
        )
        return sum(float(p.quantity) for p in reply.positions if p.instrument_id == IID)


async def _register(strategy_port: int, job_id: str) -> str:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{strategy_port}") as channel:
        stub = model_registry_pb2_grpc.ModelRegistryServiceStub(channel)
        model = await stub.CreateRegisteredModel(
            reg.CreateRegisteredModelRequest(name=f"dep-{uuid.uuid4().hex[:8]}"),
            metadata=auth(ALICE),
            timeout=10,
        )
        await stub.CreateModelVersion(
            reg.CreateModelVersionRequest(model_id=model.model.model_id, training_job_id=job_id),
            metadata=auth(ALICE),
            timeout=20,
        )
    return str(model.model.model_id)


async def _paper_account(risk: risk_pb2_grpc.RiskServiceStub) -> str:
    admin = auth("dep-admin", "admin")
    await risk.PutInstrument(
        rpb.PutInstrumentRequest(
            instrument=rpb.Instrument(instrument_id=IID, tick_size="0.01", lot_size="0.001")
        ),
        metadata=admin,
        timeout=10,
    )
    reply = await risk.CreateAccount(
        rpb.CreateAccountRequest(
            account=rpb.Account(
                name=f"dep-{uuid.uuid4().hex[:6]}",
                mode=rpb.ACCOUNT_MODE_PAPER,
                initial_cash="100000",
            )
        ),
        metadata=auth(ALICE, "trader"),
        timeout=10,
    )
    account_id = reply.account.account_id
    # The runner may fall behind a paced feed on a loaded machine: allow older references.
    await risk.SetLimits(
        rpb.SetLimitsRequest(
            account_id=account_id,
            limits=rpb.RiskLimits(max_reference_age_ms=600_000),
            reason="deployment test",
        ),
        metadata=auth("dep-officer", "risk_officer"),
        timeout=10,
    )
    return str(account_id)


@pytest.fixture(scope="module")
async def stack(
    trainer: TrainerHarness,
    postgres_server: PostgresHandle,
    redis_url: str,
    ray_head: RayHead,
    strategy_service: tuple[str, Path],
    tm_session_dir: Path,
) -> AsyncIterator[Stack]:
    job = await trainer.create(ALICE, seed=7)
    job_2 = await trainer.create(ALICE, seed=8)  # version 2, for the live rollback
    name = f"dep_{uuid.uuid4().hex[:8]}"
    stream = f"tm:md:{name}"
    started: list[Started] = []
    book = FakeBook()
    venue = fake_alpaca.FakeAlpaca(book)
    await venue.start()
    secrets = tm_session_dir / name / "venues.json"
    secrets.parent.mkdir(parents=True, exist_ok=True)
    entry = {"venue": "alpaca", "key_id": fake_alpaca.KEY_ID, "secret": fake_alpaca.SECRET,
             "base_url": venue.base_url}  # fmt: skip
    secrets.write_text(json.dumps({"accounts": {f"{ALICE}/{LIVE_NAME}": entry}}))
    backtest = await start_service(
        BacktestSettings(
            database_url=postgres_server.create_database(f"{name}_bt"),
            redis_url=redis_url,
            jwt_secret=JWT_SECRET,
            strategy_addr=strategy_service[0],
            artifact_dir=trainer.settings.artifact_dir,
            trainer_addr=trainer.address,
            workers=1,
        ),
        "backtest",
        build_backtest,
    )
    started.append(backtest)
    registry = await start_service(
        StrategySettings(
            database_url=postgres_server.create_database(f"{name}_reg"),
            redis_url="redis://127.0.0.1:1/0",
            jwt_secret=JWT_SECRET,
            data_dir=tm_session_dir / name / "datasets",
            trainer_addr=trainer.address,
            backtest_addr=f"127.0.0.1:{backtest.port}",
        ),
        "strategy",
        build_strategy,
    )
    risk = await start_service(
        RiskSettings(
            database_url=postgres_server.create_database(f"{name}_risk"),
            redis_url=redis_url,
            jwt_secret=JWT_SECRET,  # type: ignore[arg-type]
            market_data_stream=stream,
            venue_secrets_file=secrets,
        ),
        "risk",
        build_risk,
    )
    deployer = await start_service(
        TrainerSettings(
            database_url=postgres_server.create_database(f"{name}_tr"),
            redis_url=redis_url,
            jwt_secret=JWT_SECRET,
            strategy_addr=strategy_service[0],
            registry_addr=f"127.0.0.1:{registry.port}",
            risk_addr=f"127.0.0.1:{risk.port}",
            backtest_addr=f"127.0.0.1:{backtest.port}",
            bar_stream=stream,
            ray_address=ray_head.address,
            artifact_dir=trainer.settings.artifact_dir,
            data_dirs=[strategy_service[1]],
            scheduler_interval_s=0.2,
            cancel_grace_s=30.0,
        ),
        "trainer",
        build_trainer,
    )
    notifier = await start_service(
        NotifierSettings(redis_url=redis_url, jwt_secret=JWT_SECRET),  # type: ignore[arg-type]
        "notifier",
        build_notifier,
    )
    started += [registry, risk, deployer, notifier]
    notifier_channel = grpc.aio.insecure_channel(f"127.0.0.1:{notifier.port}")
    risk_channel = grpc.aio.insecure_channel(f"127.0.0.1:{risk.port}")
    dep_channel = grpc.aio.insecure_channel(f"127.0.0.1:{deployer.port}")
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    risk_stub = risk_pb2_grpc.RiskServiceStub(risk_channel)
    for each in (job, job_2):
        done = await trainer.wait_for(
            ALICE, each.job_id, lambda j: j.state in (State.SUCCEEDED, State.FAILED), 300
        )
        assert done.state == State.SUCCEEDED, done.failure_reason
    deployments = deployment_pb2_grpc.DeploymentServiceStub(dep_channel)
    model_id = await _register(registry.port, job.job_id)
    backtest_id = await _backtest(backtest.port, trainer.dataset_id, job.job_id)
    await set_policy(deployments, **LENIENT)
    yield Stack(
        deployments,
        risk_stub,
        client,
        stream,
        model_id,
        await _paper_account(risk_stub),
        backtest_id,
        book,
        job_2.job_id,
        registry.port,
        clock_ns=1_700_000_000_000_000_000,
        rng=np.random.default_rng(11),
        backtest_port=backtest.port,
        data_dir=strategy_service[1],
        notifier=notifier_pb2_grpc.NotifierServiceStub(notifier_channel),
        dataset_id=trainer.dataset_id,
        job_id=job.job_id,
    )
    await client.aclose()
    await notifier_channel.close()
    await risk_channel.close()
    await dep_channel.close()
    for service in reversed(started):
        await service.stop()
    # Bounded: one run's teardown waited on something past the services' stop (cause not found).
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(venue.stop(), 15)


LENIENT: dict[str, Any] = {
    "min_backtest_trades": 0,
    "max_backtest_drawdown": 1.0,
    "min_backtest_sharpe": -100.0,
    "min_paper_bars": 50,
}
"""ALICE's gate thresholds: the tiny test model must pass on its out-of-sample backtest."""


async def set_policy(stub: deployment_pb2_grpc.DeploymentServiceStub, **fields: Any) -> None:
    await stub.SetPromotionPolicy(
        pb.SetPromotionPolicyRequest(policy=pb.PromotionPolicy(owner_id=ALICE, **fields)),
        metadata=auth("dep-officer", "risk_officer"),
        timeout=10,
    )


async def _backtest(
    port: int, dataset_id: str, job_id: str, date_range: common_pb2.DateRange | None = None
) -> str:
    """A backtest of the job on its dataset's test split (after the training period), or on
    ``date_range`` of it."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = backtest_pb2_grpc.BacktestServiceStub(channel)
        created = await stub.CreateBacktest(
            backtest_pb2.CreateBacktestRequest(
                spec=backtest_pb2.BacktestSpec(
                    dataset_id=dataset_id,
                    training_job_id=job_id,
                    fee_rate="0.001",
                    date_range=date_range,
                )
            ),
            metadata=auth(ALICE),
            timeout=30,
        )
        ident = created.backtest.backtest_id
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            got = await stub.GetBacktest(
                backtest_pb2.GetBacktestRequest(backtest_id=ident), metadata=auth(ALICE)
            )
            if got.backtest.state in (
                backtest_pb2.BACKTEST_STATE_SUCCEEDED,
                backtest_pb2.BACKTEST_STATE_FAILED,
            ):
                break
            await asyncio.sleep(0.3)
        assert got.backtest.state == backtest_pb2.BACKTEST_STATE_SUCCEEDED, got.backtest
    return str(ident)


def _request(stack: Stack, **fields: Any) -> pb.CreateDeploymentRequest:
    values: dict[str, Any] = {
        "model_id": stack.model_id,
        "model_version": 1,
        "account_id": stack.account_id,
        "instruments": [IID],
        "bar_interval_seconds": 60,
        "mode": pb.TRADING_MODE_PAPER,
        "limits": pb.DeploymentLimits(capital_fraction="0.5"),
    }
    values.update(fields)
    return pb.CreateDeploymentRequest(deployment=pb.Deployment(**values))


async def _rpc_error(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return raised.value


async def test_edge_refuses_live_mode_bad_fields_and_other_owners(stack: Stack) -> None:
    create = stack.deployments.CreateDeployment
    live = await _rpc_error(
        create(_request(stack, mode=pb.TRADING_MODE_LIVE), metadata=auth(ALICE))
    )
    bad = await _rpc_error(
        create(_request(stack, instruments=[], bar_interval_seconds=0), metadata=auth(ALICE))
    )
    viewer = await _rpc_error(create(_request(stack), metadata=auth(ALICE, "viewer")))
    foreign = await _rpc_error(create(_request(stack), metadata=auth(BOB)))
    missing = await _rpc_error(stack.get(str(uuid.uuid4())))

    assert live.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_details(live).reason == "PROMOTION_GATE_FAILED"
    assert "approved_live_promotion" in (live.details() or "")
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = {f for f, _ in error_details(bad).field_violations}
    assert {"deployment.instruments", "deployment.bar_interval_seconds"} <= fields
    assert viewer.code() == grpc.StatusCode.PERMISSION_DENIED
    assert foreign.code() == grpc.StatusCode.NOT_FOUND  # Bob reaches neither model nor account
    assert missing.code() == grpc.StatusCode.NOT_FOUND


DAY_NS = 86_400 * 1_000_000_000
REPLAY_FROM, REPLAY_BARS = 600, 80
"""Rows of the synthetic daily dataset replayed as live bars (and backtested over)."""


def _dataset_bars(stack: Stack) -> list[Bar]:
    """Bars REPLAY_FROM.. of the training dataset's file, as the live feed carries them."""
    frame = pd.read_csv(stack.data_dir / "synthetic" / "gbm_daily.csv", parse_dates=["date"])
    rows = frame.iloc[REPLAY_FROM : REPLAY_FROM + REPLAY_BARS]
    return [
        Bar(IID, int(r.date.value), r.open, r.high, r.low, r.close, r.volume)
        for r in rows.itertuples()
    ]


async def _progress_events(
    call: grpc.aio.UnaryStreamCall, until_bars: int, timeout_s: float = 240
) -> list[notifier_pb2.DeploymentProgress]:
    seen: list[notifier_pb2.DeploymentProgress] = []

    async def read() -> None:
        async for reply in call:
            if reply.event.type == "deployment_progress":
                seen.append(reply.event.deployment_progress)
                if reply.event.deployment_progress.bars_processed >= until_bars:
                    return

    await asyncio.wait_for(read(), timeout_s)
    return seen


async def test_paper_equity_is_stored_published_and_gates_live_on_tracking_error(
    stack: Stack,
) -> None:
    """A paper deployment replays N daily bars of the dataset; its backtest covers the same
    bars: equity per bar is stored (GetDeploymentEquity), each bar is announced once on the
    owner's event feed, and the live gate measures the tracking error against the backtest."""
    bars = _dataset_bars(stack)
    window = common_pb2.DateRange()
    window.start_time.FromNanoseconds(bars[0].time_ns)
    window.end_time.FromNanoseconds(bars[-1].time_ns + DAY_NS)
    backtest_id = await _backtest(stack.backtest_port, stack.dataset_id, stack.job_id, window)
    account = await _paper_account(stack.risk)
    created = await stack.deployments.CreateDeployment(
        _request(stack, account_id=account, bar_interval_seconds=86_400),
        metadata=auth(ALICE),
        timeout=30,
    )
    dep_id = created.deployment.deployment_id
    assert stack.notifier is not None
    feed = stack.notifier.Subscribe(
        notifier_pb2.SubscribeRequest(topics=[f"deployment/{dep_id}"]),
        metadata=auth(ALICE, "viewer"),
    )
    other = stack.notifier.Subscribe(
        notifier_pb2.SubscribeRequest(topics=[f"deployment/{dep_id}"]),
        metadata=auth(BOB, "viewer"),
    )
    await stack.wait(dep_id, lambda d: d.state == D.DEPLOYMENT_STATE_RUNNING, 60)
    events = asyncio.create_task(_progress_events(feed, len(bars)))
    for bar in bars:
        await publish_bar(stack.redis, bar, stack.stream)
        await asyncio.sleep(0.15)
    dep = await stack.wait(dep_id, lambda d: d.bars_processed >= len(bars))
    progress = await events
    feed.cancel()
    bob_saw: list[str] = []
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        async for reply in _bounded(other, 2.0):
            bob_saw.append(reply.event.type)
    await stack.deployments.StopDeployment(
        pb.StopDeploymentRequest(deployment_id=dep_id), metadata=auth(ALICE), timeout=10
    )
    first = await stack.deployments.GetDeploymentEquity(
        pb.GetDeploymentEquityRequest(deployment_id=dep_id, page_size=50),
        metadata=auth(ALICE),
        timeout=10,
    )
    rest = await stack.deployments.GetDeploymentEquity(
        pb.GetDeploymentEquityRequest(
            deployment_id=dep_id, page_size=50, page_token=first.next_page_token
        ),
        metadata=auth(ALICE),
        timeout=10,
    )
    foreign = await _rpc_error(
        stack.deployments.GetDeploymentEquity(
            pb.GetDeploymentEquityRequest(deployment_id=dep_id), metadata=auth(BOB), timeout=10
        )
    )
    samples = list(first.samples) + list(rest.samples)

    # Stored equity: one sample per processed bar, at the bar's market time.
    assert len(first.samples) == 50 and first.next_page_token and not rest.next_page_token
    assert [s.bar_time.ToNanoseconds() for s in samples] == [b.time_ns for b in bars]
    assert all(float(s.equity) > 0 for s in samples)
    assert [s.bars_processed for s in samples] == list(range(1, len(bars) + 1))
    assert samples[-1].orders_submitted == dep.orders_submitted > 0
    assert foreign.code() == grpc.StatusCode.NOT_FOUND
    # Progress events: at most one per bar, in order, with the stored figures.
    counts = [p.bars_processed for p in progress]
    assert counts == sorted(set(counts)) and counts[-1] == len(bars)
    last = progress[-1]
    assert last.deployment_id == dep_id and last.equity == samples[-1].equity
    assert last.last_bar_time.ToNanoseconds() == bars[-1].time_ns
    assert last.orders_submitted == samples[-1].orders_submitted
    assert "deployment_progress" not in bob_saw  # another user's feed never carries it

    # The live gate measures the tracking error against the backtest of the same bars.
    live = pb.EvaluatePromotionRequest(
        model_id=stack.model_id,
        model_version=1,
        stage=pb.PROMOTION_STAGE_LIVE,
        account_id="live-tracking",
    )
    await set_policy(stack.deployments, **{**LENIENT, "max_tracking_error_bps": 1e9})
    try:
        loose = await stack.deployments.EvaluatePromotion(live, metadata=auth(ALICE), timeout=60)
        rule = {r.rule: r for r in loose.rules}["max_tracking_error_bps"]
        actual = float(rule.actual)
        below = actual / 2
        await set_policy(stack.deployments, **{**LENIENT, "max_tracking_error_bps": below})
        tight = await stack.deployments.RequestPromotion(
            pb.RequestPromotionRequest(
                model_id=stack.model_id,
                model_version=1,
                stage=pb.PROMOTION_STAGE_LIVE,
                account_id="live-tracking",
            ),
            metadata=auth(ALICE),
            timeout=60,
        )
    finally:
        await set_policy(stack.deployments, **LENIENT)
    failed = {r.rule: r for r in tight.promotion.rules}["max_tracking_error_bps"]

    assert rule.passed and math.isfinite(actual) and actual > 0, rule
    assert rule.threshold == "<= 1e+09"
    assert f"deployment {dep_id} vs backtest {backtest_id}: {len(bars)} common bars" in rule.detail
    assert tight.promotion.state == pb.PROMOTION_STATE_REJECTED
    assert not failed.passed and failed.actual == rule.actual
    assert failed.threshold == f"<= {below:g}"


async def _bounded(call: grpc.aio.UnaryStreamCall, seconds: float) -> AsyncIterator[Any]:
    """Events of ``call`` for ``seconds``, then the call is cancelled."""
    deadline = time.monotonic() + seconds
    iterator = call.__aiter__()
    try:
        while (left := deadline - time.monotonic()) > 0:
            yield await asyncio.wait_for(iterator.__anext__(), left)
    finally:
        call.cancel()


def _runner_pids(dep_id: str) -> list[int]:
    pids = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if "trademaster.runner.deployment" in cmdline and dep_id in cmdline:
            pids.append(int(proc.info["pid"]))
    return pids


async def test_paper_deployment_trades_pauses_survives_kill_and_stops_flat(stack: Stack) -> None:
    reply = await stack.deployments.CreateDeployment(
        _request(stack), metadata=auth(ALICE), timeout=30
    )
    dep_id = reply.deployment.deployment_id
    assert reply.deployment.state == D.DEPLOYMENT_STATE_QUEUED
    other = await _rpc_error(stack.get(dep_id, BOB))
    assert other.code() == grpc.StatusCode.NOT_FOUND
    await stack.wait(dep_id, lambda d: d.state == D.DEPLOYMENT_STATE_RUNNING, 60)

    # Warm-up (features + window) and trading.
    await stack.bars(70)
    dep = await stack.wait(dep_id, lambda d: d.bars_processed >= 65 and d.orders_submitted > 0)
    orders = await stack.orders()
    assert orders and all(o.deployment_id == dep_id for o in orders)
    assert {o.model_version for o in orders} == {f"{stack.model_id}:1"}
    await stack.bars(2)
    assert await stack.fills()

    # Pause: bars are still followed, no order is placed.
    paused = await stack.deployments.PauseDeployment(
        pb.PauseDeploymentRequest(deployment_id=dep_id), metadata=auth(ALICE), timeout=10
    )
    assert paused.deployment.state == D.DEPLOYMENT_STATE_PAUSED
    assert list(paused.deployment.allowed_actions) == [2, 3]  # RESUME, CANCEL
    seen = (await stack.get(dep_id)).bars_processed
    await stack.bars(3)
    await stack.wait(dep_id, lambda d: d.bars_processed >= seen + 3)
    before = len(await stack.orders())
    await stack.bars(8)
    await stack.wait(dep_id, lambda d: d.bars_processed >= seen + 11)
    assert len(await stack.orders()) == before

    # Resume, then kill -9 the runner mid-run: it comes back and continues without duplicates.
    await stack.deployments.ResumeDeployment(
        pb.ResumeDeploymentRequest(deployment_id=dep_id), metadata=auth(ALICE), timeout=10
    )
    await stack.bars(5)
    pids = _runner_pids(dep_id)
    assert pids, "the runner process was not found"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    await stack.bars(10)
    dep = await stack.wait(dep_id, lambda d: d.attempt >= 2 and d.bars_processed >= seen + 26, 300)
    assert dep.state == D.DEPLOYMENT_STATE_RUNNING
    orders = await stack.orders()
    bar_times = [o.client_order_id.split("-")[1] for o in orders]
    assert len(bar_times) == len(set(bar_times)), "a bar got two orders"
    # Each crash can lose at most the report of the one bar in flight (its order stands and is
    # the record); the re-run of that bar never adds a second order.
    assert 0 <= len(orders) - dep.orders_submitted <= dep.attempt - 1
    assert len(orders) > before, "no order after resume"

    # Stop with flatten: reduce-only exit through the risk service, then CANCELLED.
    stopped = await stack.deployments.StopDeployment(
        pb.StopDeploymentRequest(deployment_id=dep_id, flatten=True),
        metadata=auth(ALICE),
        timeout=10,
    )
    assert stopped.deployment.state == D.DEPLOYMENT_STATE_CANCELLING
    await stack.wait(dep_id, lambda d: d.state == D.DEPLOYMENT_STATE_CANCELLED, 120)
    await stack.bars(2)
    deadline = time.monotonic() + 30
    while abs(await stack.position()) > 1e-9 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    last = [
        (o.client_order_id, o.side, o.quantity, o.status, o.status_reason, o.reduce_only)
        for o in (await stack.orders())[:3]
    ]
    assert abs(await stack.position()) < 1e-9, last
    again = await stack.deployments.StopDeployment(
        pb.StopDeploymentRequest(deployment_id=dep_id), metadata=auth(ALICE), timeout=10
    )
    assert again.deployment.state == D.DEPLOYMENT_STATE_CANCELLED


async def test_paper_gate_refuses_with_the_failing_rules_and_values(stack: Stack) -> None:
    evaluated = await stack.deployments.EvaluatePromotion(
        pb.EvaluatePromotionRequest(
            model_id=stack.model_id, model_version=1, stage=pb.PROMOTION_STAGE_PAPER
        ),
        metadata=auth(ALICE),
        timeout=30,
    )
    rules = {r.rule: r for r in evaluated.rules}
    assert evaluated.passed, evaluated
    assert rules["out_of_sample_backtest"].actual == stack.backtest_id
    await set_policy(stack.deployments, **{**LENIENT, "min_backtest_sharpe": 100.0})
    try:
        refused = await _rpc_error(
            stack.deployments.CreateDeployment(_request(stack), metadata=auth(ALICE), timeout=30)
        )
    finally:
        await set_policy(stack.deployments, **LENIENT)
    info = error_details(refused)
    sharpe = rules["min_backtest_sharpe"].actual

    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert info.reason == "PROMOTION_GATE_FAILED"
    assert info.metadata["failing_rules"] == "min_backtest_sharpe"
    assert info.metadata["min_backtest_sharpe.actual"] == sharpe
    assert info.metadata["min_backtest_sharpe.threshold"] == ">= 100"
    assert f"min_backtest_sharpe: actual {sharpe}, needs >= 100" in (refused.details() or "")
    stored = await stack.deployments.ListPromotions(
        pb.ListPromotionsRequest(model_id=stack.model_id), metadata=auth(ALICE), timeout=10
    )
    assert stored.promotions[0].state == pb.PROMOTION_STATE_REJECTED
    assert not stored.promotions[0].passed


async def test_live_promotion_needs_paper_bars_and_a_second_person_risk_officer(
    stack: Stack,
) -> None:
    """Runs after the paper deployment test: its bars count toward ``min_paper_bars``."""
    account = "live-account-1"
    request = pb.RequestPromotionRequest(
        model_id=stack.model_id,
        model_version=1,
        stage=pb.PROMOTION_STAGE_LIVE,
        account_id=account,
    )
    await set_policy(stack.deployments, **{**LENIENT, "min_paper_bars": 10_000})
    too_few = await stack.deployments.RequestPromotion(request, metadata=auth(ALICE), timeout=30)
    await set_policy(stack.deployments, **LENIENT)
    pending = await stack.deployments.RequestPromotion(
        request, metadata=auth(ALICE, "trader", "risk_officer"), timeout=30
    )
    promotion_id = pending.promotion.promotion_id
    approve = pb.ApprovePromotionRequest(promotion_id=promotion_id, approve=True, reason="ok")
    own = await _rpc_error(
        stack.deployments.ApprovePromotion(
            approve, metadata=auth(ALICE, "trader", "risk_officer"), timeout=30
        )
    )
    researcher = await _rpc_error(
        stack.deployments.ApprovePromotion(approve, metadata=auth(BOB, "researcher"), timeout=30)
    )
    unpromoted = await _rpc_error(
        stack.deployments.CreateDeployment(
            _request(stack, mode=pb.TRADING_MODE_LIVE), metadata=auth(ALICE), timeout=30
        )
    )
    approved = await stack.deployments.ApprovePromotion(
        approve, metadata=auth("dep-officer", "risk_officer"), timeout=30
    )
    live_on_paper = await _rpc_error(
        stack.deployments.CreateDeployment(
            _request(stack, mode=pb.TRADING_MODE_LIVE, account_id=account),
            metadata=auth(ALICE),
            timeout=30,
        )
    )

    bars = {r.rule: r for r in too_few.promotion.rules}["min_paper_bars"]
    assert too_few.promotion.state == pb.PROMOTION_STATE_REJECTED
    assert not bars.passed and bars.threshold == ">= 10000" and int(bars.actual) >= 65
    rules = {r.rule: r for r in pending.promotion.rules}
    assert pending.promotion.state == pb.PROMOTION_STATE_PENDING_APPROVAL
    assert rules["min_paper_bars"].passed and rules["max_breaker_trips"].actual == "0"
    assert rules["requester_role"].passed
    assert rules["risk_officer_approval"].actual == "pending"
    assert own.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_details(own).reason == "SAME_PERSON_APPROVAL"
    assert researcher.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_details(unpromoted).reason == "PROMOTION_GATE_FAILED"
    assert approved.promotion.state == pb.PROMOTION_STATE_APPROVED
    assert approved.promotion.decided_by == "dep-officer" and approved.promotion.passed
    # The gate passed; the account is then checked (an unknown account is not found).
    assert live_on_paper.code() == grpc.StatusCode.NOT_FOUND


async def _live_account(stack: Stack) -> str:
    reply = await stack.risk.CreateAccount(
        rpb.CreateAccountRequest(
            account=rpb.Account(name=LIVE_NAME, mode=rpb.ACCOUNT_MODE_LIVE, initial_cash="100000")
        ),
        metadata=auth(ALICE, "trader"),
        timeout=30,
    )
    await stack.risk.SetLimits(
        rpb.SetLimitsRequest(
            account_id=reply.account.account_id,
            limits=rpb.RiskLimits(max_reference_age_ms=600_000),
            reason="deployment test",
        ),
        metadata=auth("dep-officer", "risk_officer"),
        timeout=10,
    )
    return str(reply.account.account_id)


async def _promote_live(stack: Stack, version: int, account: str) -> None:
    pending = await stack.deployments.RequestPromotion(
        pb.RequestPromotionRequest(
            model_id=stack.model_id,
            model_version=version,
            stage=pb.PROMOTION_STAGE_LIVE,
            account_id=account,
        ),
        metadata=auth(ALICE),
        timeout=30,
    )
    assert pending.promotion.state == pb.PROMOTION_STATE_PENDING_APPROVAL, pending.promotion
    approved = await stack.deployments.ApprovePromotion(
        pb.ApprovePromotionRequest(
            promotion_id=pending.promotion.promotion_id, approve=True, reason="test"
        ),
        metadata=auth("dep-officer", "risk_officer"),
        timeout=30,
    )
    assert approved.promotion.state == pb.PROMOTION_STATE_APPROVED, approved.promotion


async def _version_2(stack: Stack) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{stack.registry_port}") as channel:
        reply = await model_registry_pb2_grpc.ModelRegistryServiceStub(channel).CreateModelVersion(
            reg.CreateModelVersionRequest(
                model_id=stack.model_id, training_job_id=stack.version_2_job
            ),
            metadata=auth(ALICE),
            timeout=20,
        )
    assert reply.model_version.version == 2


async def test_live_deployment_orders_reach_the_fake_alpaca_and_roll_back_to_the_previous_version(
    stack: Stack,
) -> None:
    """Two approvers per version; v1 live, then v2 live, then rollback to v1 (timed)."""
    account = await _live_account(stack)
    await _version_2(stack)
    await set_policy(stack.deployments, **{**LENIENT, "min_paper_bars": 0})
    try:
        for version in (1, 2):
            await _promote_live(stack, version, account)
    finally:
        await set_policy(stack.deployments, **LENIENT)
    live = {"mode": pb.TRADING_MODE_LIVE, "account_id": account}
    first = await stack.deployments.CreateDeployment(
        _request(stack, **live), metadata=auth(ALICE), timeout=30
    )
    dep_1 = first.deployment.deployment_id
    await stack.wait(dep_1, lambda d: d.state == D.DEPLOYMENT_STATE_RUNNING, 120)
    await stack.bars(70, pace_s=0.1)
    await stack.wait(dep_1, lambda d: d.orders_submitted > 0, 240)
    venue_ids = {o.id for o in stack.book.by_coid.values()}
    mine = [o for o in await stack.orders_of(account) if o.deployment_id == dep_1]
    at_venue = [o for o in mine if o.broker_order_id in venue_ids]
    await stack.deployments.StopDeployment(
        pb.StopDeploymentRequest(deployment_id=dep_1), metadata=auth(ALICE), timeout=10
    )
    second = await stack.deployments.CreateDeployment(
        _request(stack, model_version=2, **live), metadata=auth(ALICE), timeout=30
    )
    dep_2 = second.deployment.deployment_id
    await stack.wait(dep_2, lambda d: d.state == D.DEPLOYMENT_STATE_RUNNING, 120)

    started_at = time.monotonic()
    rolled = await stack.deployments.RollbackDeployment(
        pb.RollbackDeploymentRequest(account_id=account), metadata=auth(ALICE), timeout=60
    )
    back = rolled.started.deployment_id
    await stack.wait(back, lambda d: d.state == D.DEPLOYMENT_STATE_RUNNING, 120)
    rollback_s = time.monotonic() - started_at
    await stack.wait(dep_2, lambda d: d.state == D.DEPLOYMENT_STATE_CANCELLED, 120)
    again = await _rpc_error(
        stack.deployments.RollbackDeployment(
            pb.RollbackDeploymentRequest(account_id=account),
            metadata=auth("dep-officer", "risk_officer"),
            timeout=30,
        )
    )
    await stack.deployments.StopDeployment(
        pb.StopDeploymentRequest(deployment_id=back), metadata=auth(ALICE), timeout=10
    )

    assert at_venue, [(o.client_order_id, o.status, o.status_reason) for o in mine]
    assert all(o.model_version == f"{stack.model_id}:1" for o in at_venue)
    assert rolled.stopped.deployment_id == dep_2
    assert rolled.started.model_version == 1 and rolled.started.mode == pb.TRADING_MODE_LIVE
    print(f"rollback to the previous live version: {rollback_s:.1f} s to RUNNING")
    assert rollback_s <= 60, rollback_s
    assert again.code() == grpc.StatusCode.PERMISSION_DENIED  # risk officers stop, not deploy
