"""Validation of a ``BacktestSpec``: every field checked at the edge of the service, turned into
the stored config and the runner's job fields (dataset, dates, costs, decision source).

Datasets are resolved through ``StrategyService.GetDataset`` with the caller's token (so users'
uploads are theirs only and blocked data is refused): the service scans no data folders and
the runner opens the URI it returns."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format
from pydantic import ValidationError
from trademaster.api.backtest.v1 import backtest_pb2 as pb
from trademaster.api.strategy.v1 import strategy_pb2, strategy_pb2_grpc
from trademaster.api.trainer.v1 import trainer_pb2, trainer_pb2_grpc
from trademaster.backtest.config import BacktestConfig, SlippageConfig
from trademaster.backtest.sources import BASELINES
from trademaster.config.run import DatasetRef
from trademaster.data.catalog import BOOK_KINDS
from trademaster.data.meta import is_user_dataset_id
from trademaster.service.artifacts import ArtifactStore
from trademaster.service.auth import forwarded_authorization
from trademaster.service.dataset_gate import refuse_blocked
from trademaster.service.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable

TRAINER_TIMEOUT_S = 10.0
STRATEGY_TIMEOUT_S = 10.0
TRAINED_SOURCES = ("model", "checkpoint")
FILL_TIMINGS = {
    pb.FILL_TIMING_UNSPECIFIED: "next_open",
    pb.FILL_TIMING_NEXT_OPEN: "next_open",
    pb.FILL_TIMING_NEXT_CLOSE: "next_close",
    pb.FILL_TIMING_SAME_CLOSE: "same_close",
}


def bad_field(field: str, message: str, reason: str = "INVALID_BACKTEST_SPEC") -> InvalidArgument:
    return InvalidArgument(f"{field} {message}", [(field, message)], reason=reason)


def _decimal(value: str, field: str, default: float) -> float:
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise bad_field(field, f"must be a decimal string, was {value!r}") from None
    if not math.isfinite(number):
        raise bad_field(field, f"must be finite, was {value!r}")
    return number


def _check_book_costs(spec: pb.BacktestSpec, info: DatasetView) -> None:
    """What an order-book replay cannot honour: bar slippage models, fill timings other than
    the next snapshot, date ranges over step-indexed (HFT) books."""
    which = spec.slippage.WhichOneof("model")
    if which not in (None, "fixed_bps"):
        raise bad_field(
            f"spec.slippage.{which}",
            "does not apply to order books (walking the book is the impact); use fixed_bps",
        )
    if spec.fill_timing not in (pb.FILL_TIMING_UNSPECIFIED, pb.FILL_TIMING_NEXT_OPEN):
        raise bad_field(
            "spec.fill_timing", "must be NEXT_OPEN for order books (fills at the next snapshot)"
        )
    if info.kind == "hft_lob" and spec.HasField("date_range"):
        raise bad_field(
            "spec.date_range",
            f"cannot apply: {info.dataset_id!r} has step timestamps, not times",
            "INVALID_DATE_RANGE",
        )


@dataclass(frozen=True)
class DatasetView:
    """What validation and the runner need of a ``strategy.v1.Dataset``."""

    dataset_id: str
    path: str
    kind: str
    tics: tuple[str, ...]
    start: datetime | None
    end: datetime | None

    @classmethod
    def of(cls, message: strategy_pb2.Dataset) -> DatasetView:
        """Raises FAILED_PRECONDITION when the strategy service gave no URI."""
        if not message.uri:
            raise FailedPrecondition(
                f"the strategy service gave no URI for dataset {message.dataset_id!r}",
                reason="DATASET_UNREACHABLE",
            )
        return cls(
            dataset_id=message.dataset_id,
            path=DatasetRef(uri=message.uri).local_path(),
            kind=message.kind,
            tics=tuple(message.assets),
            start=message.start_time.ToDatetime() if message.HasField("start_time") else None,
            end=message.end_time.ToDatetime() if message.HasField("end_time") else None,
        )


class SpecValidator:
    """Checks a spec against its dataset (resolved by the strategy service) and, for trained
    policies, the trainer."""

    def __init__(
        self,
        strategies: strategy_pb2_grpc.StrategyServiceStub,
        artifact_dir: Path,
        trainer: trainer_pb2_grpc.TrainerServiceStub | None,
    ) -> None:
        self._strategies = strategies
        self._artifact_dir = artifact_dir.resolve()
        self._store = ArtifactStore(self._artifact_dir)
        self._trainer = trainer

    async def stored_config(
        self, spec: pb.BacktestSpec, context: grpc.aio.ServicerContext
    ) -> dict[str, Any]:
        """The validated spec as stored: the request, the costs and the runner's job fields."""
        source = await self._source(spec, context)
        info = await self._dataset(spec.dataset_id, context, source["source"])
        start, end = self._dates(spec, info)
        config = self._config(spec)
        if info.kind in BOOK_KINDS:
            _check_book_costs(spec, info)
        benchmark = spec.benchmark or "buy_and_hold"
        if benchmark != "buy_and_hold" and benchmark not in info.tics:
            raise bad_field(
                "spec.benchmark",
                f"must be 'buy_and_hold' or one of {list(info.tics)}, was {benchmark!r}",
            )
        job_fields = {
            "dataset_path": info.path,
            "dataset_kind": info.kind,
            "start": start,
            "end": end,
            "benchmark": benchmark,
            "config": config.model_dump(mode="json"),
            **source,
        }
        return {
            "spec": json_format.MessageToDict(spec),
            "config": config.model_dump(mode="json"),
            "job": job_fields,
        }

    async def _dataset(
        self, dataset_id: str, context: grpc.aio.ServicerContext, source: str
    ) -> DatasetView:
        """The spec's dataset as its creator may read it (asked of the strategy service AS THE
        CALLER) if its quality report allows it; order books only for trained policies (OE/HFT
        replay), bars for every source."""
        if not dataset_id:
            raise bad_field("spec.dataset_id", "must not be empty")
        try:
            reply = await self._strategies.GetDataset(
                strategy_pb2.GetDatasetRequest(dataset_id=dataset_id),
                metadata=forwarded_authorization(context),
                timeout=STRATEGY_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND and is_user_dataset_id(dataset_id):
                # Another user's file is invisible, as every resource of another owner.
                raise NotFound(
                    f"dataset {dataset_id!r} not found", reason="UNKNOWN_DATASET"
                ) from None
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise bad_field(
                    "spec.dataset_id",
                    f"names no known dataset, was {dataset_id!r}",
                    "UNKNOWN_DATASET",
                ) from None
            raise Unavailable(
                f"strategy service could not answer for dataset {dataset_id!r}: {error.code().name}"
            ) from error
        quality = reply.dataset.quality
        refuse_blocked(dataset_id, quality.status, list(quality.error_codes))
        info = DatasetView.of(reply.dataset)
        if info.kind in BOOK_KINDS and source not in TRAINED_SOURCES:
            raise bad_field(
                "spec.dataset_id",
                f"{dataset_id!r} is an order book ({info.kind}); order books replay trained "
                "policies only (training_job_id or checkpoint_uri)",
            )
        if info.kind != "ohlcv" and info.kind not in BOOK_KINDS:
            raise bad_field(
                "spec.dataset_id",
                f"must be an OHLCV or order-book dataset, {dataset_id!r} is "
                f"{info.kind or 'unparseable'}",
            )
        return info

    def _dates(self, spec: pb.BacktestSpec, info: DatasetView) -> tuple[str | None, str | None]:
        rng = spec.date_range
        start = rng.start_time.ToDatetime() if rng.HasField("start_time") else None
        end = (
            rng.end_time.ToDatetime() - timedelta(microseconds=1)
            if rng.HasField("end_time")
            else None
        )
        if start is not None and end is not None and start > end:
            raise bad_field(
                "spec.date_range", f"start {start} must be before end {end}", "INVALID_DATE_RANGE"
            )
        lo, hi = info.start, info.end
        if (start is not None and hi is not None and start > hi) or (
            end is not None and lo is not None and end < lo
        ):
            raise bad_field(
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
                raise bad_field(
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
                raise bad_field("spec.signal_series", "must hold at least one signal")
            return {"source": "signal_series", "signals": signals}
        if which == "checkpoint_uri":
            raw = spec.checkpoint_uri.removeprefix("file://")
            path = (self._artifact_dir / raw).resolve()
            if not path.is_relative_to(self._artifact_dir) or not path.is_dir():
                raise bad_field(
                    "spec.checkpoint_uri",
                    f"must name a run directory in the artifact store, was {spec.checkpoint_uri!r}",
                )
            return {"source": "checkpoint", "checkpoint_dir": str(path)}
        if which == "training_job_id":
            return {"source": "model", "model_uri": await self._training_model(spec, context)}
        raise bad_field("spec.source", "must set one of baseline, signal_series, checkpoint_uri")

    async def _training_model(
        self, spec: pb.BacktestSpec, context: grpc.aio.ServicerContext
    ) -> str:
        """The model artifact URI of a succeeded training job, asked of the trainer AS THE
        CALLER; the artifact must be readable from this service's artifact store."""
        if self._trainer is None:
            raise FailedPrecondition(
                "training_job_id sources need the trainer (set TM_BACKTEST_TRAINER_ADDR); "
                "pass checkpoint_uri instead",
                reason="TRAINER_NOT_CONFIGURED",
            )
        metadata = forwarded_authorization(context)
        try:
            reply = await self._trainer.GetTrainingJob(
                trainer_pb2.GetTrainingJobRequest(job_id=spec.training_job_id),
                metadata=metadata,
                timeout=TRAINER_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise bad_field(
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
        readable = self._store.contains(job.model_uri) and await asyncio.to_thread(
            self._store.exists, job.model_uri
        )
        if not readable:
            raise FailedPrecondition(
                f"model {job.model_uri} of training job {spec.training_job_id} is not in the "
                f"backtest service's artifact store {self._store.root}",
                reason="MODEL_UNREACHABLE",
            )
        return job.model_uri
