"""BacktestService: validate and authorize, persist, run in a worker process pool, report."""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from concurrent.futures import Executor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import grpc
from google.protobuf import json_format, timestamp_pb2
from pydantic import ValidationError
from redis.exceptions import RedisError
from trademaster.api.backtest.v1 import backtest_pb2 as pb
from trademaster.api.backtest.v1 import backtest_pb2_grpc
from trademaster.api.common.v1 import common_pb2
from trademaster.api.trainer.v1 import trainer_pb2, trainer_pb2_grpc
from trademaster.backtest.config import BacktestConfig, SlippageConfig
from trademaster.backtest.event import BacktestCancelled
from trademaster.backtest.sources import BASELINES
from trademaster.data.catalog import Catalog, DatasetInfo
from trademaster.service.auth import current_principal
from trademaster.service.authz import Action, Resource, authorize
from trademaster.service.errors import FailedPrecondition, InvalidArgument, NotFound
from trademaster.service.events import EventBus
from trademaster.service.ids import parse_uuid
from trademaster.service.paging import decode_page_token, encode_page_token

from tm_backtest.store import (
    FINAL_STATES,
    BacktestRecord,
    BacktestStore,
)
from tm_backtest.worker import CANCEL_KEY, PROGRESS_EVENT, JobSpec, run_job, topic

_LOGGER = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
DEFAULT_TRADES_PAGE = 200
TRAINER_TIMEOUT_S = 10.0
FILL_TIMINGS = {
    pb.FILL_TIMING_UNSPECIFIED: "next_open",
    pb.FILL_TIMING_NEXT_OPEN: "next_open",
    pb.FILL_TIMING_NEXT_CLOSE: "next_close",
    pb.FILL_TIMING_SAME_CLOSE: "same_close",
}


def _bad(field: str, message: str, reason: str = "INVALID_BACKTEST_SPEC") -> InvalidArgument:
    return InvalidArgument(f"{field} {message}", [(field, message)], reason=reason)


def _decimal(value: str, field: str, default: float) -> float:
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise _bad(field, f"must be a decimal string, was {value!r}") from None
    if not math.isfinite(number):
        raise _bad(field, f"must be finite, was {value!r}")
    return number


def _ts(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def backtest_message(record: BacktestRecord) -> pb.Backtest:
    spec = pb.BacktestSpec()
    json_format.ParseDict(record.config.get("spec", {}), spec)
    msg = pb.Backtest(
        backtest_id=str(record.id),
        owner_id=record.owner,
        spec=spec,
        state=pb.BacktestState.Value(f"BACKTEST_STATE_{record.state}"),
        failure_reason=record.failure_reason,
        progress=record.progress,
        summary_metrics={k: v for k, v in record.summary_metrics.items() if v is not None},
    )
    for name, value in (
        ("create_time", record.created_at),
        ("start_time", record.started_at),
        ("end_time", record.ended_at),
        ("update_time", record.updated_at),
    ):
        stamp = _ts(value)
        if stamp is not None:
            getattr(msg, name).CopyFrom(stamp)
    return msg


class BacktestServicer(backtest_pb2_grpc.BacktestServiceServicer):
    """Owner-scoped backtests; runs are executed by ``executor`` (a process pool)."""

    def __init__(
        self,
        store: BacktestStore,
        catalog: Catalog,
        executor: Executor,
        bus: EventBus,
        *,
        artifact_dir: Path,
        redis_url: str,
        redis_client: Any,
        trainer: trainer_pb2_grpc.TrainerServiceStub | None = None,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._executor = executor
        self._bus = bus
        self._artifact_dir = artifact_dir.resolve()
        self._redis_url = redis_url
        self._redis = redis_client
        self._trainer = trainer
        self._tasks: set[asyncio.Task[None]] = set()

    # --- validation --------------------------------------------------------------------
    async def _dataset(self, dataset_id: str) -> DatasetInfo:
        if not dataset_id:
            raise _bad("spec.dataset_id", "must not be empty")
        try:
            info = await asyncio.to_thread(self._catalog.get, dataset_id)
        except KeyError:
            raise _bad(
                "spec.dataset_id", f"names no known dataset, was {dataset_id!r}", "UNKNOWN_DATASET"
            ) from None
        if info.kind != "ohlcv":
            raise _bad(
                "spec.dataset_id", f"must be an OHLCV dataset, {dataset_id!r} is {info.kind}"
            )
        return info

    def _dates(self, spec: pb.BacktestSpec, info: DatasetInfo) -> tuple[str | None, str | None]:
        rng = spec.date_range
        start = rng.start_time.ToDatetime() if rng.HasField("start_time") else None
        end = (
            rng.end_time.ToDatetime() - timedelta(microseconds=1)
            if rng.HasField("end_time")
            else None
        )
        if start is not None and end is not None and start > end:
            raise _bad(
                "spec.date_range", f"start {start} must be before end {end}", "INVALID_DATE_RANGE"
            )
        lo, hi = info.start, info.end
        if (start is not None and hi is not None and start > hi) or (
            end is not None and lo is not None and end < lo
        ):
            raise _bad(
                "spec.date_range",
                f"{start}..{end} does not overlap the dataset's {lo}..{hi}",
                "INVALID_DATE_RANGE",
            )
        return (None if start is None else start.isoformat()), (
            None if end is None else end.isoformat()
        )

    def _config(self, spec: pb.BacktestSpec) -> BacktestConfig:
        slip = spec.slippage
        which = slip.WhichOneof("model")
        if which == "fixed_bps":
            slippage = SlippageConfig(
                kind="fixed_bps", bps=_decimal(slip.fixed_bps.bps, "spec.slippage.fixed_bps.bps", 0)
            )
        elif which == "volume_share":
            vs = slip.volume_share
            limit = _decimal(vs.volume_limit, "spec.slippage.volume_share.volume_limit", 0)
            slippage = SlippageConfig(
                kind="volume_share",
                volume_limit=limit or None,
                price_impact=_decimal(
                    vs.price_impact, "spec.slippage.volume_share.price_impact", 0.1
                ),
            )
        elif which == "sqrt_impact":
            sq = slip.sqrt_impact
            slippage = SlippageConfig(
                kind="sqrt_impact",
                price_impact=_decimal(sq.coefficient, "spec.slippage.sqrt_impact.coefficient", 0.1),
                window=sq.window or 20,
            )
        else:
            slippage = SlippageConfig()
        try:
            return BacktestConfig(
                initial_cash=_decimal(spec.initial_cash, "spec.initial_cash", 1_000_000.0),
                fee_rate=_decimal(spec.fee_rate, "spec.fee_rate", 0.0),
                fixed_fee=_decimal(spec.fixed_fee, "spec.fixed_fee", 0.0),
                slippage=slippage,
                fill_timing=FILL_TIMINGS.get(spec.fill_timing, "next_open"),
                allow_short=True,
            )
        except ValidationError as error:
            violations = [
                ("spec." + ".".join(str(p) for p in item["loc"]), item["msg"])
                for item in error.errors()
            ]
            raise InvalidArgument(
                f"invalid backtest settings: {', '.join(f for f, _ in violations)}",
                violations,
                reason="INVALID_BACKTEST_SPEC",
            ) from None

    async def _source(
        self, spec: pb.BacktestSpec, context: grpc.aio.ServicerContext
    ) -> dict[str, Any]:
        which = spec.WhichOneof("source")
        if which == "baseline":
            if spec.baseline not in BASELINES:
                raise _bad(
                    "spec.baseline", f"must be one of {list(BASELINES)}, was {spec.baseline!r}"
                )
            return {"source": "baseline", "baseline": spec.baseline}
        if which == "signal_series":
            signals = []
            for i, s in enumerate(spec.signal_series.signals):
                weight = _decimal(
                    s.target_weight, f"spec.signal_series.signals[{i}].target_weight", 0
                )
                signals.append((s.time.ToDatetime().isoformat(), s.asset, weight))
            if not signals:
                raise _bad("spec.signal_series", "must hold at least one signal")
            return {"source": "signal_series", "signals": signals}
        if which == "checkpoint_uri":
            raw = spec.checkpoint_uri.removeprefix("file://")
            path = (self._artifact_dir / raw).resolve()
            if not path.is_relative_to(self._artifact_dir) or not path.is_dir():
                raise _bad(
                    "spec.checkpoint_uri",
                    f"must name a run directory in the artifact store, was {spec.checkpoint_uri!r}",
                )
            return {"source": "checkpoint", "checkpoint_dir": str(path)}
        if which == "training_job_id":
            return {
                "source": "checkpoint",
                "checkpoint_dir": await self._training_run_dir(spec, context),
            }
        raise _bad("spec.source", "must set one of baseline, signal_series, checkpoint_uri")

    async def _training_run_dir(
        self, spec: pb.BacktestSpec, context: grpc.aio.ServicerContext
    ) -> str:
        """The run dir of a succeeded training job, asked of the trainer AS THE CALLER."""
        if self._trainer is None:
            raise FailedPrecondition(
                "training_job_id sources need the trainer (set TM_BACKTEST_TRAINER_ADDR); "
                "pass checkpoint_uri instead",
                reason="TRAINER_NOT_CONFIGURED",
            )
        metadata = [
            (key, value)
            for key, value in (context.invocation_metadata() or ())
            if key == "authorization"
        ]
        try:
            reply = await self._trainer.GetTrainingJob(
                trainer_pb2.GetTrainingJobRequest(job_id=spec.training_job_id),
                metadata=metadata,
                timeout=TRAINER_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise _bad(
                    "spec.training_job_id",
                    f"names no training job of yours, was {spec.training_job_id!r}",
                    "UNKNOWN_TRAINING_JOB",
                ) from None
            raise
        job = reply.job
        if job.state != trainer_pb2.TRAINING_JOB_STATE_SUCCEEDED or not job.model_uri:
            raise FailedPrecondition(
                f"training job {spec.training_job_id} is "
                f"{trainer_pb2.TrainingJobState.Name(job.state)}, backtests need SUCCEEDED",
                reason="TRAINING_JOB_NOT_SUCCEEDED",
            )
        model = Path(unquote(urlparse(job.model_uri).path))
        if urlparse(job.model_uri).scheme != "file" or not model.is_file():
            raise FailedPrecondition(
                f"model {job.model_uri} of training job {spec.training_job_id} is not readable "
                "from the backtest service",
                reason="MODEL_UNREACHABLE",
            )
        return str(model.parent)

    # --- RPCs ----------------------------------------------------------------------------
    async def CreateBacktest(
        self, request: pb.CreateBacktestRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateBacktestResponse:
        principal = authorize(current_principal(), Resource.BACKTEST, Action.CREATE)
        spec = request.spec
        source = await self._source(spec, context)
        info = await self._dataset(spec.dataset_id)
        start, end = self._dates(spec, info)
        config = self._config(spec)
        benchmark = spec.benchmark or "buy_and_hold"
        if benchmark != "buy_and_hold" and benchmark not in info.tics:
            raise _bad(
                "spec.benchmark",
                f"must be 'buy_and_hold' or one of {list(info.tics)}, was {benchmark!r}",
            )
        job_fields = {
            "dataset_path": info.path,
            "dataset_kind": info.kind or "ohlcv",
            "start": start,
            "end": end,
            "benchmark": benchmark,
            "config": config.model_dump(mode="json"),
            **source,
        }
        stored = {
            "spec": json_format.MessageToDict(spec),
            "config": config.model_dump(mode="json"),
            "job": job_fields,
        }
        record, created = await self._store.create(
            principal.subject, stored, request.request_id, spec.training_job_id
        )
        if created:
            _LOGGER.info("backtest.created backtest.id=%s owner=%s", record.id, record.owner)
            self._schedule(record)
        return pb.CreateBacktestResponse(backtest=backtest_message(record))

    def _job(self, record: BacktestRecord) -> JobSpec:
        return JobSpec(
            backtest_id=str(record.id),
            owner_id=record.owner,
            artifact_dir=str(self._artifact_dir),
            redis_url=self._redis_url,
            **record.config["job"],
        )

    def _schedule(self, record: BacktestRecord) -> None:
        task = asyncio.create_task(self._run(record.id, self._job(record)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def resume_unfinished(self) -> int:
        """Re-queue what a previous process left QUEUED/RUNNING; finish what was CANCELLING.

        Returns how many backtests were queued again.
        """
        queued = 0
        for record in await self._store.unfinished():
            if record.state == "CANCELLING":
                await self._state_event(
                    await self._store.set_state(record.id, "CANCELLED", only_from=("CANCELLING",))
                )
                continue
            if "job" not in record.config:
                await self._state_event(
                    await self._store.set_state(
                        record.id,
                        "FAILED",
                        only_from=("QUEUED", "RUNNING"),
                        failure_reason="created by an older service version; submit it again",
                    )
                )
                continue
            if record.state == "RUNNING":
                record = (
                    await self._store.set_state(
                        record.id, "QUEUED", only_from=("RUNNING",), progress=0.0
                    )
                    or record
                )
            _LOGGER.info("backtest.requeued backtest.id=%s", record.id)
            self._schedule(record)
            queued += 1
        return queued

    async def _state_event(self, record: BacktestRecord | None) -> None:
        if record is None:
            return
        name = topic(str(record.id))
        await self._bus.publish(
            name,
            record.owner,
            "job_state_changed",
            {
                "job_id": str(record.id),
                "job_kind": "backtest",
                "new_state": record.state,
                "reason": record.failure_reason,
            },
        )
        if record.state in FINAL_STATES:
            await self._bus.publish(
                name,
                record.owner,
                "backtest_finished",
                {
                    "backtest_id": str(record.id),
                    "state": record.state,
                    "metrics": record.summary_metrics,
                    "failure_reason": record.failure_reason,
                },
            )

    async def _follow_worker(self, backtest_id: uuid.UUID, cursor: dict[str, str]) -> None:
        """Mark RUNNING when the worker's first event arrives; persist its progress."""
        name = topic(str(backtest_id))
        started = False
        while True:
            try:
                events = await self._bus.read([name], after=cursor, block_ms=1_000)
            except (RedisError, OSError) as error:
                # Progress is best effort; the result is stored when the worker returns.
                _LOGGER.warning(
                    "backtest.follow_failed backtest.id=%s error=%s", backtest_id, error
                )
                await asyncio.sleep(1.0)
                continue
            for event in events:
                cursor[name] = event.event_id.rpartition("@")[2]
                if event.type != PROGRESS_EVENT:
                    continue
                if not started:
                    started = True
                    moved = await self._store.set_state(
                        backtest_id, "RUNNING", only_from=("QUEUED",)
                    )
                    await self._state_event(moved)
                await self._store.set_progress(backtest_id, float(event.payload["fraction"]))

    async def _run(self, backtest_id: uuid.UUID, job: JobSpec) -> None:
        loop = asyncio.get_running_loop()
        name = topic(str(backtest_id))
        follower = asyncio.create_task(
            self._follow_worker(backtest_id, await self._bus.cursors([name], "$"))
        )
        try:
            result = await loop.run_in_executor(self._executor, run_job, job)
        except BacktestCancelled:
            await self._finish(backtest_id, "CANCELLED")
            return
        except Exception as error:  # the worker's failure is the backtest's, not the service's
            _LOGGER.warning("backtest.failed backtest.id=%s error=%s", backtest_id, error)
            if await self._redis.exists(CANCEL_KEY.format(backtest_id)):
                await self._finish(backtest_id, "CANCELLED")
            else:
                await self._finish(backtest_id, "FAILED", f"{type(error).__name__}: {error}"[:500])
            return
        finally:
            follower.cancel()
        await self._store.save_result(backtest_id, result)
        final = await self._store.get(backtest_id, None)
        if final is not None and final.state == "CANCELLING":
            final = await self._store.set_state(backtest_id, "CANCELLED")
        await self._state_event(final)

    async def _finish(self, backtest_id: uuid.UUID, state: str, failure_reason: str = "") -> None:
        moved = await self._store.set_state(
            backtest_id,
            state,
            only_from=("QUEUED", "RUNNING", "CANCELLING"),
            failure_reason=failure_reason,
        )
        await self._state_event(moved)

    async def _owned(self, backtest_id: str, action: Action = Action.READ) -> BacktestRecord:
        grant = authorize(current_principal(), Resource.BACKTEST, action)
        record = await self._store.get(parse_uuid(backtest_id, "backtest_id"), grant.owner_scope)
        if record is None:
            raise NotFound(f"backtest {backtest_id} not found", reason="BACKTEST_NOT_FOUND")
        return record

    async def GetBacktest(
        self, request: pb.GetBacktestRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetBacktestResponse:
        return pb.GetBacktestResponse(
            backtest=backtest_message(await self._owned(request.backtest_id))
        )

    async def ListBacktests(
        self, request: pb.ListBacktestsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListBacktestsResponse:
        principal = authorize(current_principal(), Resource.BACKTEST, Action.READ)
        if request.page_size < 0:
            raise _bad("page_size", f"must be >= 0, was {request.page_size}")
        size = min(request.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        owner = principal.owner_scope
        if request.owner_id:
            if owner is not None and request.owner_id != owner:
                return pb.ListBacktestsResponse()
            owner = request.owner_id
        states = [pb.BacktestState.Name(s).removeprefix("BACKTEST_STATE_") for s in request.states]
        records, token = await self._store.list(
            owner, size, request.page_token, states, request.training_job_id
        )
        return pb.ListBacktestsResponse(
            backtests=[backtest_message(r) for r in records], next_page_token=token
        )

    async def CancelBacktest(
        self, request: pb.CancelBacktestRequest, context: grpc.aio.ServicerContext
    ) -> pb.CancelBacktestResponse:
        record = await self._owned(request.backtest_id, Action.CANCEL)
        if record.state in ("QUEUED", "RUNNING"):
            await self._redis.set(CANCEL_KEY.format(record.id), "1", ex=86_400)
            moved = await self._store.set_state(record.id, "CANCELLED", only_from=("QUEUED",))
            if moved is None:
                moved = await self._store.set_state(record.id, "CANCELLING", only_from=("RUNNING",))
            await self._state_event(moved)
        current = await self._store.get(record.id, None)
        assert current is not None
        return pb.CancelBacktestResponse(backtest=backtest_message(current))

    async def GetBacktestResult(
        self, request: pb.GetBacktestResultRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetBacktestResultResponse:
        record = await self._owned(request.backtest_id)
        if record.state != "SUCCEEDED":
            raise FailedPrecondition(
                f"backtest {record.id} is {record.state}, results exist once SUCCEEDED",
                reason="BACKTEST_NOT_SUCCEEDED",
            )
        stored = await self._store.result(record.id)
        if stored is None:
            raise NotFound(f"result of backtest {record.id} not found", reason="RESULT_NOT_FOUND")
        if request.max_equity_points < 0 or request.trades_page_size < 0:
            raise _bad("max_equity_points", "and trades_page_size must be >= 0")
        equity = stored["equity"]
        if request.max_equity_points and len(equity) > request.max_equity_points:
            n = request.max_equity_points
            idx = sorted({round(i * (len(equity) - 1) / max(1, n - 1)) for i in range(n)})
            equity = [equity[i] for i in idx]
        after = -1
        if request.trades_page_token:
            (after,) = decode_page_token(request.trades_page_token, int, field="trades_page_token")
        size = min(request.trades_page_size or DEFAULT_TRADES_PAGE, 5_000)
        trades, last = await self._store.trades(record.id, after, size)
        out = pb.GetBacktestResultResponse(
            backtest_id=str(record.id),
            metrics={k: v for k, v in stored["metrics"].items() if v is not None},
            next_trades_page_token="" if last is None else encode_page_token(last),
        )
        for point in equity:
            stamp = timestamp_pb2.Timestamp()
            stamp.FromDatetime(datetime.fromisoformat(point["time"]).replace(tzinfo=UTC))
            out.equity_curve.append(
                pb.EquityPoint(
                    time=stamp,
                    equity=repr(point["equity"]),
                    benchmark_equity=""
                    if point["benchmark_equity"] is None
                    else repr(point["benchmark_equity"]),
                    drawdown=-float(point["drawdown"]),
                )
            )
        for t in trades:
            stamp = timestamp_pb2.Timestamp()
            stamp.FromDatetime(t["time"])
            out.trades.append(
                pb.Trade(
                    time=stamp,
                    asset=t["asset"],
                    side=pb.TRADE_SIDE_BUY if t["side"] == "buy" else pb.TRADE_SIDE_SELL,
                    quantity=repr(t["quantity"]),
                    price=repr(t["price"]),
                    fee=repr(t["fee"]),
                    slippage=repr(t["slippage"]),
                    effect=pb.TRADE_EFFECT_ENTRY
                    if t["effect"] == "entry"
                    else pb.TRADE_EFFECT_EXIT,
                    realized_pnl="" if t["realized_pnl"] is None else repr(t["realized_pnl"]),
                )
            )
        for r in stored["regimes"]:
            out.regimes.append(
                pb.RegimeBreakdown(
                    regime=r["regime"],
                    bars=r["bars"],
                    metrics={k: v for k, v in r["metrics"].items() if v is not None},
                )
            )
        for a in stored["artifacts"]:
            out.artifacts.append(common_pb2.Artifact(**a))
        return out

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()


__all__ = ["BacktestServicer", "current_principal"]
