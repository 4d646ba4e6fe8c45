"""Typed builders of event payloads: the JSON form (proto field names) of the notifier.v1
messages, so ``json_format.ParseDict(payload, getattr(Event(), type))`` rebuilds them.

Each builder returns ``(type, payload)`` ready for ``EventBus.publish``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from trademaster.service import topics

__all__ = [
    "backtest_finished",
    "backtest_progress",
    "checkpoint_saved",
    "deployment_progress",
    "job_state_changed",
    "training_finished",
    "training_progress",
]

Payload = tuple[str, dict[str, Any]]


def training_progress(
    job_id: str, step: int, total_steps: int, metrics: Mapping[str, float]
) -> Payload:
    return topics.TRAINING_PROGRESS, {
        "job_id": job_id,
        "step": int(step),
        "total_steps": int(total_steps),
        "fraction": min(1.0, step / total_steps) if total_steps else 0.0,
        "metrics": {str(k): float(v) for k, v in metrics.items()},
    }


def job_state_changed(job_id: str, kind: str, old: str, new: str, reason: str = "") -> Payload:
    return topics.JOB_STATE_CHANGED, {
        "job_id": job_id,
        "job_kind": kind,
        "old_state": old,
        "new_state": new,
        "reason": reason,
    }


def checkpoint_saved(job_id: str, step: int, uri: str) -> Payload:
    return topics.CHECKPOINT_SAVED, {"job_id": job_id, "step": int(step), "checkpoint_uri": uri}


def training_finished(
    job_id: str,
    state: str,
    *,
    final_metrics: Mapping[str, float] | None = None,
    model_uri: str = "",
    failure_reason: str = "",
) -> Payload:
    return topics.TRAINING_FINISHED, {
        "job_id": job_id,
        "state": state,
        "final_metrics": {str(k): float(v) for k, v in (final_metrics or {}).items()},
        "model_uri": model_uri,
        "failure_reason": failure_reason,
    }


def backtest_progress(
    backtest_id: str, fraction: float, resources: Mapping[str, float] | None = None
) -> Payload:
    """Progress; ``resources`` is the runner's latest ``resources/<field>`` sample, if any."""
    body: dict[str, Any] = {"backtest_id": backtest_id, "fraction": float(fraction)}
    if resources:
        body["resources"] = {str(k): float(v) for k, v in resources.items()}
    return topics.BACKTEST_PROGRESS, body


def backtest_finished(
    backtest_id: str, state: str, metrics: Mapping[str, float | None], failure_reason: str = ""
) -> Payload:
    return topics.BACKTEST_FINISHED, {
        "backtest_id": backtest_id,
        "state": state,
        "metrics": {str(k): float(v) for k, v in metrics.items() if v is not None},
        "failure_reason": failure_reason,
    }


def deployment_progress(
    deployment_id: str,
    bars_processed: int,
    orders_submitted: int,
    equity: str,
    last_bar_ns: int | None,
    state: str,
) -> Payload:
    """A deployment processed a bar: counters, equity (decimal string) and the bar's time."""
    body: dict[str, Any] = {
        "deployment_id": deployment_id,
        "bars_processed": int(bars_processed),
        "orders_submitted": int(orders_submitted),
        "equity": equity,
        "state": state,
    }
    if last_bar_ns is not None:
        when = Timestamp()
        when.FromNanoseconds(int(last_bar_ns))
        body["last_bar_time"] = when.ToJsonString()
    return topics.DEPLOYMENT_PROGRESS, body
