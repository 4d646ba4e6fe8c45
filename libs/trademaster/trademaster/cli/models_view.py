"""The JSON view ``trademaster models --json`` prints of ModelRegistryService messages: the shape
the gateway's REST routes answer (``id`` fields, enums as short names, ISO 8601 UTC times or
null, run spec and record as JSON objects, NaN as null), so scripts see one format either way."""

from __future__ import annotations

import json
import math
from datetime import UTC
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from trademaster.api.strategy.v1 import model_registry_pb2 as pb

Json = dict[str, Any]


def _time(stamp: Timestamp) -> str | None:
    if not (stamp.seconds or stamp.nanos):
        return None
    return stamp.ToDatetime(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def model_json(m: pb.RegisteredModel) -> Json:
    return {
        "id": m.model_id,
        "owner_id": m.owner_id,
        "name": m.name,
        "description": m.description,
        "latest_version": m.latest_version,
        "aliases": dict(m.aliases),
        "create_time": _time(m.create_time),
        "update_time": _time(m.update_time),
    }


def deployment_json(d: pb.ModelDeployment) -> Json:
    return {
        "id": d.deployment_id,
        "owner_id": d.owner_id,
        "model_id": d.model_id,
        "version": d.version,
        "account_id": d.account_id,
        "mode": "live" if d.mode == pb.DEPLOYMENT_MODE_LIVE else "paper",
        "start_time": _time(d.start_time),
        "end_time": _time(d.end_time),
    }


def _backtest_json(b: pb.ModelVersionBacktest) -> Json:
    return {
        "id": b.backtest_id,
        "state": b.state.removeprefix("BACKTEST_STATE_"),
        "dataset_id": b.dataset_id,
        "summary_metrics": dict(b.summary_metrics),
        "create_time": _time(b.create_time),
    }


def version_json(v: pb.ModelVersion) -> Json:
    return {
        "model_id": v.model_id,
        "version": v.version,
        "owner_id": v.owner_id,
        "description": v.description,
        "training_job_id": v.training_job_id,
        "strategy_id": v.strategy_id,
        "strategy_version": v.strategy_version,
        "dataset_id": v.dataset_id,
        "dataset_content_hash": v.dataset_content_hash,
        "model_uri": v.model_uri,
        "run_spec": json.loads(v.run_spec_json or "{}"),
        "run_record": json.loads(v.run_record_json or "{}"),
        "metrics": dict(v.metrics),
        "tags": dict(v.tags),
        "aliases": list(v.aliases),
        "ever_deployed": v.ever_deployed,
        "create_time": _time(v.create_time),
        "backtests": [_backtest_json(b) for b in v.backtests],
        "deployments": [deployment_json(d) for d in v.deployments],
    }


def event_json(e: pb.ModelEvent) -> Json:
    return {
        "sequence": e.sequence,
        "kind": pb.ModelEventKind.Name(e.kind).removeprefix("MODEL_EVENT_KIND_"),
        "model_id": e.model_id,
        "version": e.version,
        "alias": e.alias,
        "tag_key": e.tag_key,
        "tag_value": e.tag_value,
        "deployment_id": e.deployment_id,
        "account_id": e.account_id,
        "actor": e.actor,
        "time": _time(e.time),
    }


def alias_json(alias: str, reply: pb.ResolveModelAliasResponse) -> Json:
    """What an alias named: ``version`` is null when it named none."""
    return {
        "alias": alias,
        "version": reply.version or None,
        "set_by": event_json(reply.set_by) if reply.HasField("set_by") else None,
    }


def compare_json(r: pb.CompareModelVersionsResponse) -> Json:
    return {
        "versions": [version_json(v) for v in r.model_versions],
        "metrics": [
            {"name": m.name, "values": [None if math.isnan(x) else x for x in m.values]}
            for m in r.metrics
        ],
        "differing_settings": [
            {"path": s.path, "values": [json.loads(x) if x else None for x in s.values]}
            for s in r.differing_settings
        ],
    }
