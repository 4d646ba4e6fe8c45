"""The backtest runner: one backtest in a worker process (load data, build decisions, run,
write the report). OHLCV datasets are filled by the bar model from target weights; order-book
datasets (lob, hft_lob) replay a trained OE/HFT policy through its own env
(:mod:`trademaster.backtest.book_replay`).

Progress is reported to the backtest service on the private report stream of ``backtest/<id>``
(:class:`~trademaster.runner.reports.ReportChannel`); the service stores it and only then
publishes it. Cancellation is the job's control flag, polled by the progress callback. The
return value is plain JSON-able data that the service persists (it is the only writer of its
tables).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from trademaster.backtest.book_replay import book_between, book_dates, book_replay
from trademaster.backtest.config import BacktestConfig
from trademaster.backtest.data import MarketData
from trademaster.backtest.dynamics_test import (
    DynamicsTestReport,
    dynamics_tests,
    render_dynamics_html,
)
from trademaster.backtest.event import BacktestCancelled, run_target_weights
from trademaster.backtest.report import write_report
from trademaster.backtest.result import BacktestResult
from trademaster.backtest.sources import (
    SignalPoint,
    WeightPlan,
    baseline_plan,
    model_plan,
    run_dir_model,
    run_dir_plan,
    signal_plan,
)
from trademaster.data.catalog import BOOK_KINDS, load_dataset
from trademaster.metrics.returns import infer_market
from trademaster.runner.reports import ReportChannel
from trademaster.runner.training import RESOURCE_INTERVAL_ENV
from trademaster.service import payloads
from trademaster.service.artifacts import ArtifactStore
from trademaster.service.topics import REPORT_STREAM_PREFIX, backtest_topic
from trademaster.training.resources import ResourceSampler

_LOGGER = logging.getLogger(__name__)

MAX_EQUITY_POINTS = 2_000


class JobSpec(BaseModel):
    """Everything a worker needs; built and validated by the servicer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    backtest_id: str
    owner_id: str
    dataset_path: str
    dataset_kind: str
    start: str | None = None
    end: str | None = None
    source: str = Field(description="baseline | signal_series | checkpoint")
    baseline: str = ""
    signals: list[tuple[str, str, float]] = Field(default_factory=list)
    checkpoint_dir: str = ""
    model_uri: str = Field(
        "", description="Model artifact URI in the artifact store (source model)."
    )
    benchmark: str = "buy_and_hold"
    config: BacktestConfig
    artifact_dir: str
    redis_url: str
    stream_prefix: str = REPORT_STREAM_PREFIX


def _load_model(spec: JobSpec) -> Any:
    """The trained model artifact, read by URI from the artifact store (never a training file)."""
    import io

    from trademaster.training.model_artifact import ModelArtifact

    data = ArtifactStore(spec.artifact_dir).read_bytes(spec.model_uri)
    return ModelArtifact.load(io.BytesIO(data))


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def run_job(spec: JobSpec) -> dict[str, Any]:
    """Run the backtest, sampling its CPU and memory (GPU with NVML) like training jobs do;
    returns metrics, equity points, trades, regimes, artifacts and resource usage.

    Raises:
        BacktestCancelled: the cancel flag was set.
    """
    interval = float(os.environ.get(RESOURCE_INTERVAL_ENV, "2.0"))
    with (
        ReportChannel(
            spec.redis_url,
            backtest_topic(spec.backtest_id),
            spec.owner_id,
            stream_prefix=spec.stream_prefix,
        ) as channel,
        ResourceSampler(interval_s=interval) as sampler,
    ):
        out = _run(spec, channel, sampler)
    # after the sampler stopped: its closing sample is part of the history and summary
    return {**out, "resource_usage": sampler.summary(), "resource_history": sampler.history}


def _run(spec: JobSpec, channel: ReportChannel, sampler: ResourceSampler) -> dict[str, Any]:
    if channel.control_set():
        raise BacktestCancelled(f"backtest {spec.backtest_id} was cancelled before it started")

    def report(fraction: float) -> None:
        channel.report(payloads.backtest_progress(spec.backtest_id, fraction, sampler.latest()))

    report(0.0)
    last = [0.0]

    def progress(done: int, total: int) -> bool:
        fraction = done / total
        if fraction - last[0] >= 0.1 or done == total:
            last[0] = fraction
            report(fraction)
        return not channel.control_set()

    dynamics: list[DynamicsTestReport] = []  # segments of bar labels; books carry none
    if spec.dataset_kind in BOOK_KINDS:
        result = _book_result(spec, progress)
    else:
        result, dynamics = _bar_result(spec, progress)
    out_dir = Path(spec.artifact_dir) / "backtests" / spec.backtest_id
    files = write_report(result, out_dir, title=f"backtest {spec.backtest_id}")
    if dynamics:
        path = out_dir / "dynamics_test.html"
        title = f"dynamics test, backtest {spec.backtest_id}"
        path.write_text(render_dynamics_html(dynamics, title), encoding="utf-8")
        files["dynamics_test.html"] = path
    report(1.0)
    return {
        "metrics": {k: v for k, v in result.metrics.items() if math.isfinite(v)},
        "equity": _equity_rows(result),
        "trades": _trade_rows(result),
        "regimes": [
            {"regime": r.regime, "bars": r.bars, "metrics": r.metrics} for r in result.regimes
        ],
        "dynamics": [report.to_json() for report in dynamics],
        "artifacts": _artifact_rows(files),
        "warnings": result.warnings,
    }


def _bar_result(spec: JobSpec, progress: Any) -> tuple[BacktestResult, list[DynamicsTestReport]]:
    """Target weights of the spec's source filled by the bar model over the OHLCV dataset, and
    TradeMaster's dynamics test of the same plan on every labelled segment."""
    frame = load_dataset(Path(spec.dataset_path), spec.dataset_kind, start=spec.start, end=spec.end)
    data = MarketData.from_frame(frame)
    # The API has no calendar field: annualize by the data's own calendar (crypto trades daily).
    config = spec.config.model_copy(update={"market": infer_market(data.dates)})
    plan = _plan(spec, data, frame)
    result = run_target_weights(
        data,
        plan.weights,
        config,
        rebalance_every_bar=plan.rebalance_every_bar,
        benchmark=spec.benchmark or "buy_and_hold",
        progress=progress,
    )
    return result, dynamics_tests(data, _segment_agent(data, plan, config), config)


def _book_result(spec: JobSpec, progress: Any) -> BacktestResult:
    """A trained order-book policy stepped through its task's env over the LOB dataset."""
    from trademaster.training.model_artifact import ModelArtifact
    from trademaster.training.pipeline import book_files

    if spec.source not in ("model", "checkpoint"):
        raise ValueError(f"order-book datasets replay trained policies only, not {spec.source}")
    if spec.source == "model":
        artifact = _load_model(spec)
    else:
        artifact = ModelArtifact.load(run_dir_model(spec.checkpoint_dir))
    book = book_between(book_files(Path(spec.dataset_path))[0], spec.start, spec.end)
    dates, _ = book_dates(book.times)
    config = spec.config.model_copy(update={"market": infer_market(dates)})
    return book_replay(artifact, book, config, progress=progress)


def _plan(spec: JobSpec, data: MarketData, frame: Any) -> WeightPlan:
    """The target weights of the spec's source (baseline, signals, trained model or run dir)."""
    if spec.source == "baseline":
        return baseline_plan(spec.baseline, data)
    if spec.source == "signal_series":
        return signal_plan([SignalPoint(t, a, w) for t, a, w in spec.signals], data)
    if spec.source == "model":
        return model_plan(_load_model(spec), data, frame)
    return run_dir_plan(spec.checkpoint_dir, data, frame)


def _segment_agent(
    data: MarketData, plan: WeightPlan, config: BacktestConfig
) -> Callable[[MarketData], BacktestResult]:
    """The strategy's own decisions on one segment, run with fresh cash: the weights it had
    decided for the segment's bars, the first bar holding its standing target (last decision
    before the segment, else cash)."""
    standing = pd.DataFrame(plan.weights).ffill().fillna(0.0).to_numpy()

    def agent(seg: MarketData) -> BacktestResult:
        start = int(np.searchsorted(data.dates, seg.dates[0]))
        weights = plan.weights[start : start + seg.num_bars].copy()
        weights[0] = standing[start]
        return run_target_weights(
            seg,
            weights,
            config,
            rebalance_every_bar=plan.rebalance_every_bar,
            benchmark=None,
        )

    return agent


def _equity_rows(result: BacktestResult) -> list[dict[str, Any]]:
    """At most MAX_EQUITY_POINTS evenly spaced equity rows, the last bar always included; each
    carries its bar's market-dynamics label when the data is labelled (chart shading)."""
    frame_eq = result.equity_frame()
    labels = result.data.labels
    step = max(1, math.ceil(len(frame_eq) / MAX_EQUITY_POINTS))
    picks = sorted(set(range(0, len(frame_eq), step)) | {len(frame_eq) - 1})
    return [
        {
            "time": str(frame_eq["time"].iloc[i]),
            "equity": float(frame_eq["equity"].iloc[i]),
            "benchmark_equity": _finite(float(frame_eq["benchmark_equity"].iloc[i])),
            "drawdown": float(frame_eq["drawdown"].iloc[i]),
            "regime": "" if labels is None else str(labels[i]),
        }
        for i in picks
    ]


def _trade_rows(result: BacktestResult) -> list[dict[str, Any]]:
    return [
        {
            "time": str(row.time),
            "asset": row.asset,
            "side": row.side,
            "effect": row.effect,
            "quantity": float(row.quantity),
            "price": float(row.price),
            "fee": float(row.fee),
            "slippage": float(row.slippage),
            "realized_pnl": None if np.isnan(row.realized_pnl) else float(row.realized_pnl),
        }
        for row in result.trades.itertuples(index=False)
    ]


def _artifact_rows(files: dict[str, Path]) -> list[dict[str, Any]]:
    """The report files as artifact rows, each addressed by URI."""
    media = {
        "report.html": "text/html",
        "summary.png": "image/png",
        "dynamics_test.html": "text/html",
    }
    return [
        {
            "name": name,
            "uri": path.resolve().as_uri(),
            "media_type": media[name],
            "size_bytes": path.stat().st_size,
        }
        for name, path in files.items()
    ]


__all__ = ["BacktestCancelled", "JobSpec", "run_job"]
