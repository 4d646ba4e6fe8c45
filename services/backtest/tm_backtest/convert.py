"""Stored backtests and results → ``backtest.v1`` messages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format, timestamp_pb2
from trademaster.api.backtest.v1 import backtest_pb2 as pb
from trademaster.api.common.v1 import common_pb2
from trademaster.service.lifecycle import BACKTEST
from trademaster.service.structs import timestamp_of

from tm_backtest.store import BacktestRecord


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
        resource_usage=_known(record.resource_usage),
        allowed_actions=BACKTEST.action_values(record.state),  # type: ignore[arg-type]
    )
    for name, value in (
        ("create_time", record.created_at),
        ("start_time", record.started_at),
        ("end_time", record.ended_at),
        ("update_time", record.updated_at),
    ):
        stamp = timestamp_of(value)
        if stamp is not None:
            getattr(msg, name).CopyFrom(stamp)
    return msg


def thin_equity(equity: list[dict[str, Any]], max_points: int) -> list[dict[str, Any]]:
    """At most ``max_points`` evenly spaced points, first and last kept (0 = all)."""
    if not max_points or len(equity) <= max_points:
        return equity
    idx = sorted({round(i * (len(equity) - 1) / max(1, max_points - 1)) for i in range(max_points)})
    return [equity[i] for i in idx]


def result_message(
    backtest_id: str,
    stored: dict[str, Any],
    equity: list[dict[str, Any]],
    trades: list[dict[str, Any]],
    next_token: str,
) -> pb.GetBacktestResultResponse:
    out = pb.GetBacktestResultResponse(
        backtest_id=backtest_id,
        metrics={k: v for k, v in stored["metrics"].items() if v is not None},
        next_trades_page_token=next_token,
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
                regime=point.get("regime", ""),
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
                effect=pb.TRADE_EFFECT_ENTRY if t["effect"] == "entry" else pb.TRADE_EFFECT_EXIT,
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
    for d in stored.get("dynamics", []):
        out.dynamics_tests.append(
            pb.DynamicsTest(
                label=d["label"],
                segments=d["segments"],
                policies=[
                    pb.DynamicsPolicy(policy=p["policy"], metrics=_known(p["metrics"]))
                    for p in d["policies"]
                ],
                scores=_known(d["scores"]),
            )
        )
    for sample in stored.get("resource_history", []):
        out.resource_history.append(pb.ResourceSample(**_known(sample)))
    return out


def _known(values: Mapping[str, Any]) -> dict[str, float]:
    """JSON nulls (non-finite numbers as stored) left out of a proto map."""
    return {k: v for k, v in values.items() if v is not None}
