"""HTTP routes for backtests; each mirrors one BacktestService RPC, plus the report download."""

import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

import grpc
from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import StreamingResponse
from google.protobuf import json_format
from pydantic import BaseModel, ConfigDict, Field
from trademaster.api.backtest.v1 import backtest_pb2 as pb
from trademaster.api.backtest.v1 import backtest_pb2_grpc
from trademaster.service.topics import backtest_topic

from tm_gateway.api_models import JobActionName, action_names
from tm_gateway.backends import Backends
from tm_gateway.convert import CallerDependency, CallerLike, time_of
from tm_gateway.http_errors import ApiError

_LOGGER = logging.getLogger(__name__)

TAG = "backtests"


class SignalBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time: datetime = Field(description="When the signal becomes known.")
    asset: str = Field(min_length=1, max_length=64)
    target_weight: float = Field(ge=-1.0, le=1.0)


class SlippageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["none", "fixed_bps", "volume_share", "sqrt_impact"] = "none"
    bps: float = Field(default=0.0, ge=0.0, description="fixed_bps: basis points per fill.")
    volume_limit: float = Field(default=0.0, ge=0.0, le=1.0, description="0 = no cap.")
    price_impact: float = Field(default=0.1, ge=0.0, description="Impact coefficient.")
    window: int = Field(default=20, ge=0, le=10_000, description="sqrt_impact window.")


class BacktestCreate(BaseModel):
    """Exactly one source: ``baseline``, ``signals`` or ``checkpoint_uri``."""

    model_config = ConfigDict(extra="forbid")

    dataset_id: str = Field(min_length=1, max_length=300)
    baseline: Literal["buy_and_hold", "equal_weight", "cash"] | None = None
    signals: list[SignalBody] | None = Field(default=None, max_length=100_000)
    checkpoint_uri: str | None = Field(default=None, max_length=1000)
    training_job_id: str | None = Field(default=None, max_length=200)
    start: datetime | None = Field(default=None, description="Inclusive start.")
    end: datetime | None = Field(default=None, description="Exclusive end.")
    initial_cash: float = Field(default=1_000_000.0, gt=0)
    fee_rate: float = Field(default=0.0, ge=0, lt=1)
    fixed_fee: float = Field(default=0.0, ge=0)
    slippage: SlippageBody = Field(default_factory=SlippageBody)
    fill_timing: Literal["next_open", "next_close", "same_close"] = "next_open"
    benchmark: str = Field(default="buy_and_hold", max_length=64)
    request_id: str = Field(default="", max_length=128)


class BacktestOut(BaseModel):
    id: str
    owner_id: str
    state: str
    failure_reason: str
    progress: float
    summary_metrics: dict[str, float]
    spec: dict[str, Any]
    events_topic: str
    create_time: datetime | None
    end_time: datetime | None
    allowed_actions: list[JobActionName] = Field(
        default_factory=list, description="Controls the service accepts now (cancel)."
    )
    resource_usage: dict[str, float] = Field(
        default_factory=dict,
        description="Peak/mean CPU % and RSS MiB (GPU fields only with a GPU) once finished.",
    )


class BacktestList(BaseModel):
    backtests: list[BacktestOut]
    next_page_token: str


class EquityPointOut(BaseModel):
    time: datetime
    equity: float
    benchmark_equity: float | None
    drawdown: float
    regime: str = ""


class TradeOut(BaseModel):
    time: datetime
    asset: str
    side: Literal["buy", "sell"]
    effect: Literal["entry", "exit"]
    quantity: float
    price: float
    fee: float
    slippage: float
    realized_pnl: float | None


class RegimeOut(BaseModel):
    regime: str
    bars: int
    metrics: dict[str, float]


class ResourceSampleOut(BaseModel):
    t: float
    cpu_percent: float
    rss_mib: float
    gpu_util_percent: float | None = None
    gpu_memory_mib: float | None = None


class DynamicsPolicyOut(BaseModel):
    policy: str
    metrics: dict[str, float]


class DynamicsTestOut(BaseModel):
    """TradeMaster's dynamics test on one label (0 = do nothing, 50 = buy and hold)."""

    label: str
    segments: int
    policies: list[DynamicsPolicyOut]
    scores: dict[str, float]


class ArtifactOut(BaseModel):
    name: str
    media_type: str
    size_bytes: int
    download_path: str


class BacktestResultOut(BaseModel):
    id: str
    metrics: dict[str, float]
    equity_curve: list[EquityPointOut]
    trades: list[TradeOut]
    next_trades_page_token: str
    regimes: list[RegimeOut]
    artifacts: list[ArtifactOut]
    dynamics_tests: list[DynamicsTestOut]
    resource_history: list[ResourceSampleOut]


def _sample_out(x: pb.ResourceSample) -> ResourceSampleOut:
    """GPU fields stay null (not zero) when the sample had none."""
    return ResourceSampleOut(
        t=x.t,
        cpu_percent=x.cpu_percent,
        rss_mib=x.rss_mib,
        gpu_util_percent=x.gpu_util_percent if x.HasField("gpu_util_percent") else None,
        gpu_memory_mib=x.gpu_memory_mib if x.HasField("gpu_memory_mib") else None,
    )


def _dynamics_out(d: pb.DynamicsTest) -> DynamicsTestOut:
    return DynamicsTestOut(
        label=d.label,
        segments=d.segments,
        policies=[DynamicsPolicyOut(policy=p.policy, metrics=dict(p.metrics)) for p in d.policies],
        scores=dict(d.scores),
    )


def backtest_out(b: pb.Backtest) -> BacktestOut:
    return BacktestOut(
        id=b.backtest_id,
        owner_id=b.owner_id,
        state=pb.BacktestState.Name(b.state).removeprefix("BACKTEST_STATE_"),
        failure_reason=b.failure_reason,
        progress=b.progress,
        summary_metrics=dict(b.summary_metrics),
        spec=json_format.MessageToDict(b.spec),
        events_topic=backtest_topic(b.backtest_id),
        create_time=time_of(b, "create_time"),
        end_time=time_of(b, "end_time"),
        allowed_actions=action_names(b.allowed_actions),
        resource_usage=dict(b.resource_usage),
    )


def spec_message(body: BacktestCreate) -> pb.BacktestSpec:
    sources = [
        x for x in (body.baseline, body.signals, body.checkpoint_uri, body.training_job_id) if x
    ]
    if len(sources) != 1:
        raise ApiError(
            grpc.StatusCode.INVALID_ARGUMENT,
            "set exactly one of baseline, signals, checkpoint_uri, training_job_id",
            reason="INVALID_BACKTEST_SPEC",
        )
    spec = pb.BacktestSpec(
        dataset_id=body.dataset_id,
        initial_cash=repr(body.initial_cash),
        fee_rate=repr(body.fee_rate),
        fixed_fee=repr(body.fixed_fee),
        fill_timing=pb.FillTiming.Value(f"FILL_TIMING_{body.fill_timing.upper()}"),
        benchmark=body.benchmark,
    )
    if body.baseline:
        spec.baseline = body.baseline
    elif body.signals:
        for s in body.signals:
            signal = spec.signal_series.signals.add(
                asset=s.asset, target_weight=repr(s.target_weight)
            )
            signal.time.FromDatetime(s.time)
    elif body.checkpoint_uri:
        spec.checkpoint_uri = body.checkpoint_uri
    elif body.training_job_id:
        spec.training_job_id = body.training_job_id
    if body.start is not None:
        spec.date_range.start_time.FromDatetime(body.start)
    if body.end is not None:
        spec.date_range.end_time.FromDatetime(body.end)
    slip = body.slippage
    if slip.kind == "fixed_bps":
        spec.slippage.fixed_bps.bps = repr(slip.bps)
    elif slip.kind == "volume_share":
        spec.slippage.volume_share.volume_limit = repr(slip.volume_limit)
        spec.slippage.volume_share.price_impact = repr(slip.price_impact)
    elif slip.kind == "sqrt_impact":
        spec.slippage.sqrt_impact.coefficient = repr(slip.price_impact)
        spec.slippage.sqrt_impact.window = slip.window
    return spec


def _num(text: str) -> float | None:
    return float(text) if text else None


def backtests_router(backends: Backends, caller: CallerDependency) -> APIRouter:
    """Routes under ``/backtests``; ``caller`` is the app's auth dependency."""
    router = APIRouter(tags=[TAG])
    CallerDep = Annotated[CallerLike, Depends(caller)]

    def backtest() -> backtest_pb2_grpc.BacktestServiceStub:
        channel = backends.channel("backtest")
        if channel is None:
            raise ApiError(
                grpc.StatusCode.UNAVAILABLE,
                "the backtest service is not configured (set TM_GATEWAY_BACKTEST_ADDR)",
                reason="BACKEND_NOT_CONFIGURED",
            )
        return backtest_pb2_grpc.BacktestServiceStub(channel)

    @router.post("/backtests", response_model=BacktestOut, status_code=status.HTTP_201_CREATED)
    async def create_backtest(body: BacktestCreate, who: CallerDep) -> BacktestOut:
        """Queue a backtest; returns at once. Follow it on WS `/api/v1/events` (`events_topic`)."""
        request = pb.CreateBacktestRequest(spec=spec_message(body), request_id=body.request_id)
        reply = await backends.call(backtest().CreateBacktest, request, who.token)
        return backtest_out(reply.backtest)

    @router.get("/backtests", response_model=BacktestList)
    async def list_backtests(
        who: CallerDep,
        page_size: Annotated[int, Query(ge=0, le=500)] = 0,
        page_token: str = "",
        training_job_id: str = "",
        shared_with_me: Annotated[
            bool, Query(description="Only those others shared with the caller (read-only).")
        ] = False,
    ) -> BacktestList:
        """The caller's backtests (or those shared with the caller), newest first."""
        request = pb.ListBacktestsRequest(
            page_size=page_size,
            page_token=page_token,
            training_job_id=training_job_id,
            shared_with_me=shared_with_me,
        )
        reply = await backends.call(backtest().ListBacktests, request, who.token)
        return BacktestList(
            backtests=[backtest_out(b) for b in reply.backtests],
            next_page_token=reply.next_page_token,
        )

    @router.get("/backtests/{backtest_id}", response_model=BacktestOut)
    async def get_backtest(backtest_id: str, who: CallerDep) -> BacktestOut:
        """One backtest (state, progress, headline metrics)."""
        request = pb.GetBacktestRequest(backtest_id=backtest_id)
        reply = await backends.call(backtest().GetBacktest, request, who.token)
        return backtest_out(reply.backtest)

    @router.post("/backtests/{backtest_id}:cancel", response_model=BacktestOut)
    async def cancel_backtest(backtest_id: str, who: CallerDep) -> BacktestOut:
        """Cancel; cancelling a finished backtest is not an error."""
        request = pb.CancelBacktestRequest(backtest_id=backtest_id)
        reply = await backends.call(backtest().CancelBacktest, request, who.token)
        return backtest_out(reply.backtest)

    @router.get("/backtests/{backtest_id}/result", response_model=BacktestResultOut)
    async def get_backtest_result(
        backtest_id: str,
        who: CallerDep,
        max_equity_points: Annotated[int, Query(ge=0, le=100_000)] = 500,
        trades_page_size: Annotated[int, Query(ge=0, le=5_000)] = 0,
        trades_page_token: str = "",
    ) -> BacktestResultOut:
        """Metrics, downsampled equity curve, a page of trades, regimes and report links."""
        request = pb.GetBacktestResultRequest(
            backtest_id=backtest_id,
            max_equity_points=max_equity_points,
            trades_page_size=trades_page_size,
            trades_page_token=trades_page_token,
        )
        r = await backends.call(backtest().GetBacktestResult, request, who.token)
        return BacktestResultOut(
            id=r.backtest_id,
            metrics=dict(r.metrics),
            equity_curve=[
                EquityPointOut(
                    time=p.time.ToDatetime(),
                    equity=float(p.equity),
                    benchmark_equity=_num(p.benchmark_equity),
                    drawdown=p.drawdown,
                    regime=p.regime,
                )
                for p in r.equity_curve
            ],
            trades=[
                TradeOut(
                    time=t.time.ToDatetime(),
                    asset=t.asset,
                    side="buy" if t.side == pb.TRADE_SIDE_BUY else "sell",
                    effect="entry" if t.effect == pb.TRADE_EFFECT_ENTRY else "exit",
                    quantity=float(t.quantity),
                    price=float(t.price),
                    fee=float(t.fee),
                    slippage=float(t.slippage),
                    realized_pnl=_num(t.realized_pnl),
                )
                for t in r.trades
            ],
            next_trades_page_token=r.next_trades_page_token,
            regimes=[
                RegimeOut(regime=g.regime, bars=g.bars, metrics=dict(g.metrics)) for g in r.regimes
            ],
            artifacts=[
                ArtifactOut(
                    name=a.name,
                    media_type=a.media_type,
                    size_bytes=a.size_bytes,
                    download_path=f"/api/v1/backtests/{backtest_id}/artifacts/{a.name}",
                )
                for a in r.artifacts
            ],
            dynamics_tests=[_dynamics_out(d) for d in r.dynamics_tests],
            resource_history=[_sample_out(x) for x in r.resource_history],
        )

    @router.get(
        "/backtests/{backtest_id}/artifacts/{name}",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/html": {}, "image/png": {}}}},
    )
    async def download_artifact(backtest_id: str, name: str, who: CallerDep) -> StreamingResponse:
        """Download a report file (``report.html``, ``summary.png``, ``dynamics_test.html``) of
        the caller's backtest, streamed from the backtest service (GetBacktestArtifact), never
        read from disk here."""
        request = pb.GetBacktestArtifactRequest(backtest_id=backtest_id, name=name)
        first, rest = await backends.stream(backtest().GetBacktestArtifact, request, who.token)

        async def body() -> AsyncIterator[bytes]:
            yield first.data
            async for chunk in rest:
                yield chunk.data

        return StreamingResponse(
            body(),
            media_type=first.media_type or "application/octet-stream",
            headers={
                "Content-Length": str(first.size_bytes),
                "Content-Disposition": f'attachment; filename="{name}"',
            },
        )

    return router
