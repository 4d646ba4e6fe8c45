"""Registry records → ``model_registry_pb2`` messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from google.protobuf import timestamp_pb2
from trademaster.api.backtest.v1 import backtest_pb2
from trademaster.api.strategy.v1 import model_registry_pb2 as pb

from tm_strategy.registry.records import (
    DeploymentRecord,
    HistoryRecord,
    ModelRecord,
    VersionRecord,
)

MODES = {"paper": pb.DEPLOYMENT_MODE_PAPER, "live": pb.DEPLOYMENT_MODE_LIVE}
MODE_NAMES = {value: name for name, value in MODES.items()}


def _stamp(when: datetime | None) -> timestamp_pb2.Timestamp | None:
    if when is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(when)
    return stamp


def model_message(record: ModelRecord) -> pb.RegisteredModel:
    return pb.RegisteredModel(
        model_id=str(record.id),
        owner_id=record.owner,
        name=record.name,
        description=record.description,
        latest_version=record.latest_version,
        aliases=record.aliases,
        create_time=_stamp(record.created_at),
        update_time=_stamp(record.updated_at),
    )


def deployment_message(record: DeploymentRecord) -> pb.ModelDeployment:
    return pb.ModelDeployment(
        deployment_id=str(record.id),
        owner_id=record.owner,
        model_id=str(record.model_id),
        version=record.version,
        account_id=record.account_id,
        mode=MODES[record.mode],
        start_time=_stamp(record.started_at),
        end_time=_stamp(record.ended_at),
    )


def backtest_message(backtest: backtest_pb2.Backtest) -> pb.ModelVersionBacktest:
    return pb.ModelVersionBacktest(
        backtest_id=backtest.backtest_id,
        state=backtest_pb2.BacktestState.Name(backtest.state),
        dataset_id=backtest.spec.dataset_id,
        summary_metrics=dict(backtest.summary_metrics),
        create_time=backtest.create_time,
        date_range=backtest.spec.date_range,
    )


def version_message(
    record: VersionRecord,
    backtests: Sequence[backtest_pb2.Backtest] = (),
    deployments: Sequence[DeploymentRecord] = (),
) -> pb.ModelVersion:
    return pb.ModelVersion(
        model_id=str(record.model_id),
        version=record.version,
        owner_id=record.owner,
        description=record.description,
        training_job_id=record.training_job_id,
        strategy_id=record.strategy_id,
        strategy_version=record.strategy_version,
        dataset_id=record.dataset_id,
        dataset_content_hash=record.dataset_content_hash,
        model_uri=record.model_uri,
        run_spec_json=json.dumps(record.run_spec, sort_keys=True),
        run_record_json=json.dumps(record.run_record, sort_keys=True),
        metrics=record.metrics,
        tags=record.tags,
        aliases=list(record.aliases),
        create_time=_stamp(record.created_at),
        ever_deployed=record.ever_deployed,
        backtests=[backtest_message(b) for b in backtests],
        deployments=[deployment_message(d) for d in deployments],
    )


def event_message(record: HistoryRecord) -> pb.ModelEvent:
    return pb.ModelEvent(
        sequence=record.seq,
        kind=pb.ModelEventKind.Value(f"MODEL_EVENT_KIND_{record.kind.name}"),
        model_id=str(record.model_id),
        version=record.version,
        alias=record.alias,
        tag_key=record.tag_key,
        tag_value=record.tag_value,
        deployment_id="" if record.deployment_id is None else str(record.deployment_id),
        account_id=record.account_id,
        actor=record.actor,
        time=_stamp(record.at),
    )
