"""What the registry asks other services, always AS THE CALLER (their rules decide what the
caller may see): the trainer for a finished job, the backtest service for backtests of a job."""

from __future__ import annotations

import json
import logging
from typing import Any

import grpc
from google.protobuf import json_format
from trademaster.api.backtest.v1 import backtest_pb2, backtest_pb2_grpc
from trademaster.api.trainer.v1 import trainer_pb2, trainer_pb2_grpc
from trademaster.service.errors import FailedPrecondition, InvalidArgument, Unavailable

from tm_strategy.registry.records import NewVersion

_LOGGER = logging.getLogger(__name__)

CALL_TIMEOUT_S = 10.0
MAX_BACKTESTS = 200
"""Backtests listed per version; a job backtested more often shows its newest ones."""

Metadata = list[tuple[str, str]]


def caller_metadata(context: grpc.aio.ServicerContext) -> Metadata:
    """The caller's bearer token, to forward."""
    return [(k, v) for k, v in (context.invocation_metadata() or ()) if k == "authorization"]


def _unavailable(what: str, error: grpc.aio.AioRpcError) -> Unavailable:
    _LOGGER.warning("registry.downstream_failed what=%s code=%s", what, error.code().name)
    return Unavailable(f"{what} failed: {error.code().name}", reason="BACKEND_UNAVAILABLE")


def version_from_job(job: trainer_pb2.TrainingJob) -> NewVersion:
    """The fields a version copies from a SUCCEEDED job (run spec parsed, record as a dict)."""
    spec: dict[str, Any] = json.loads(job.run_spec_json) if job.run_spec_json else {}
    dataset = spec.get("dataset") or {}
    return NewVersion(
        training_job_id=job.job_id,
        model_uri=job.model_uri,
        strategy_id=job.strategy_id,
        strategy_version=job.strategy_version,
        dataset_id=str(dataset.get("dataset_id", "")),
        dataset_content_hash=str(dataset.get("content_hash", "")),
        run_spec=spec,
        run_record=json_format.MessageToDict(job.run_record),
        metrics=dict(job.final_metrics),
    )


class Lineage:
    """Clients of the trainer and (optionally) the backtest service."""

    def __init__(
        self,
        trainer: trainer_pb2_grpc.TrainerServiceStub | None,
        backtests: backtest_pb2_grpc.BacktestServiceStub | None,
    ) -> None:
        self._trainer = trainer
        self._backtests = backtests

    async def finished_job(self, job_id: str, metadata: Metadata) -> trainer_pb2.TrainingJob:
        """The caller's SUCCEEDED training job with a model artifact.

        Raises:
            InvalidArgument: no such job of the caller's.
            FailedPrecondition: the trainer is not configured, or the job has not succeeded.
        """
        if self._trainer is None:
            raise FailedPrecondition(
                "registering versions needs the trainer (set TM_STRATEGY_TRAINER_ADDR)",
                reason="TRAINER_NOT_CONFIGURED",
            )
        try:
            reply = await self._trainer.GetTrainingJob(
                trainer_pb2.GetTrainingJobRequest(job_id=job_id),
                metadata=metadata,
                timeout=CALL_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise InvalidArgument(
                    f"training_job_id names no training job of yours, was {job_id!r}",
                    [("training_job_id", "must name one of your training jobs")],
                    reason="UNKNOWN_TRAINING_JOB",
                ) from None
            raise _unavailable("trainer GetTrainingJob", error) from None
        job = reply.job
        if job.state != trainer_pb2.TRAINING_JOB_STATE_SUCCEEDED or not job.model_uri:
            state = trainer_pb2.TrainingJobState.Name(job.state)
            raise FailedPrecondition(
                f"training job {job_id} is {state}; only SUCCEEDED jobs with a model register",
                reason="TRAINING_JOB_NOT_SUCCEEDED",
            )
        return job

    async def backtests_of(self, job_id: str, metadata: Metadata) -> list[backtest_pb2.Backtest]:
        """Backtests run on the job's model, newest first; empty without a backtest service."""
        if self._backtests is None:
            return []
        found: list[backtest_pb2.Backtest] = []
        token = ""
        try:
            while len(found) < MAX_BACKTESTS:
                reply = await self._backtests.ListBacktests(
                    backtest_pb2.ListBacktestsRequest(
                        training_job_id=job_id, page_size=100, page_token=token
                    ),
                    metadata=metadata,
                    timeout=CALL_TIMEOUT_S,
                )
                found.extend(reply.backtests)
                token = reply.next_page_token
                if not token:
                    break
        except grpc.aio.AioRpcError as error:
            raise _unavailable("backtest ListBacktests", error) from None
        return found[:MAX_BACKTESTS]
