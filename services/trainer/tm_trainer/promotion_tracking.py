"""Gathers the paper -> live tracking error: the stored live equity of each paper deployment of
a version (table ``deployment_equity``) against the equity curves of the version's succeeded
backtests (backtest service, read as the caller), lined up on the same market bars.

Each deployment is compared with the backtest that shares the most bars with it; the gate's
actual value is the worst (largest) tracking error among the deployments that have one.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import grpc
import psycopg_pool
from trademaster.api.backtest.v1 import backtest_pb2, backtest_pb2_grpc
from trademaster.api.strategy.v1 import model_registry_pb2 as reg

from tm_trainer.tracking import Point, Tracking, tracking_error

CALL_TIMEOUT_S = 30.0
MAX_BACKTESTS = 5
"""Newest succeeded backtests of the version compared (one equity-curve read each)."""
MAX_SAMPLES = 100_000
"""Stored samples read per deployment (a year of one-minute bars is ~525 000: newest kept)."""
SUCCEEDED = "BACKTEST_STATE_SUCCEEDED"
Metadata = list[tuple[str, str]]


@dataclass(frozen=True)
class TrackingRecord:
    """The worst tracking error in bps (None when no deployment had one) and how it was got."""

    error_bps: float | None
    detail: str


async def paper_equity(
    pool: psycopg_pool.AsyncConnectionPool, deployment_id: uuid.UUID
) -> list[Point]:
    """(bar time in s, equity) of a deployment's stored samples, oldest first."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT bar_time_ns, equity FROM (SELECT bar_time_ns, equity FROM deployment_equity "
            "WHERE deployment_id = %s ORDER BY bar_time_ns DESC LIMIT %s) AS newest "
            "ORDER BY bar_time_ns",
            (deployment_id, MAX_SAMPLES),
        )
        rows = await cur.fetchall()
    return [(int(t) / 1e9, float(e)) for t, e in rows]


async def backtest_curves(
    stub: backtest_pb2_grpc.BacktestServiceStub, version: reg.ModelVersion, md: Metadata
) -> tuple[dict[str, list[Point]], list[str]]:
    """Equity curves of the version's newest succeeded backtests, and notes on unreadable
    ones (a backtest that cannot be read is left out, not fatal)."""
    done = sorted(
        (b for b in version.backtests if b.state == SUCCEEDED),
        key=lambda b: b.create_time.ToNanoseconds(),
        reverse=True,
    )[:MAX_BACKTESTS]
    curves: dict[str, list[Point]] = {}
    notes: list[str] = []
    for backtest in done:
        try:
            reply = await stub.GetBacktestResult(
                backtest_pb2.GetBacktestResultRequest(
                    backtest_id=backtest.backtest_id, max_equity_points=0, trades_page_size=1
                ),
                metadata=md,
                timeout=CALL_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as error:
            notes.append(f"backtest {backtest.backtest_id} unreadable ({error.code().name})")
            continue
        curves[backtest.backtest_id] = [
            (p.time.ToNanoseconds() / 1e9, float(p.equity)) for p in reply.equity_curve
        ]
    return curves, notes


def worst_tracking(
    live: Mapping[str, Sequence[Point]],
    curves: Mapping[str, Sequence[Point]],
    notes: Sequence[str] = (),
) -> TrackingRecord:
    """Per deployment the backtest with the most common bars; the largest error overall."""
    worst: float | None = None
    parts = list(notes)
    for dep_id, samples in live.items():
        best: tuple[str, Tracking] | None = None
        for backtest_id, curve in curves.items():
            found = tracking_error(samples, curve)
            if best is None or found.common_bars > best[1].common_bars:
                best = (backtest_id, found)
        if best is None or best[1].error_bps is None:
            common = best[1].common_bars if best else 0
            parts.append(f"deployment {dep_id}: {len(samples)} sample(s), {common} common bar(s)")
            continue
        value = best[1].error_bps
        parts.append(
            f"deployment {dep_id} vs backtest {best[0]}: {best[1].common_bars} common bars, "
            f"{value:.4g} bps"
        )
        worst = value if worst is None or value > worst else worst
    if not curves:
        parts.append("no succeeded backtest of the version to compare with")
    if not live:
        parts.append("no paper deployment of the version")
    return TrackingRecord(
        worst if worst is None or math.isfinite(worst) else None, "; ".join(parts)
    )
