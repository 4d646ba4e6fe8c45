"""Resolving a create request into the one run description: the strategy and dataset as the
CALLER may see them (their token goes along to the strategy service), overrides merged, seed
chosen, validated once (:func:`trademaster.config.run.resolve_strategy`)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

import grpc
from trademaster.api.strategy.v1 import strategy_pb2, strategy_pb2_grpc
from trademaster.api.trainer.v1 import trainer_pb2
from trademaster.config.run import DatasetRef, RunSpec, resolve_strategy, run_spec
from trademaster.config.strategy import ConfigError
from trademaster.service.auth import forwarded_authorization
from trademaster.service.dataset_gate import refuse_blocked
from trademaster.service.enums import task_name
from trademaster.service.errors import (
    FailedPrecondition,
    NotFound,
    PermissionDenied,
    Unavailable,
    raise_if_invalid,
)
from trademaster.service.structs import struct_to_dict

_LOGGER = logging.getLogger(__name__)

STRATEGY_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ResolvedRun:
    """What a new job stores: the strategy version it came from, the run spec, the overrides."""

    strategy_id: uuid.UUID
    strategy_version: int
    run_spec: RunSpec
    overrides: dict[str, Any]


def _strategy_error(error: grpc.aio.AioRpcError, what: str) -> Exception:
    code = error.code()
    if code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
        return NotFound(f"{what} not found", reason="STRATEGY_NOT_FOUND")
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return PermissionDenied(error.details() or f"{what}: permission denied")
    _LOGGER.warning("trainer.strategy_call_failed code=%s details=%s", code, error.details())
    return Unavailable(f"strategy service could not answer for {what}: {code.name}")


class RunResolver:
    """Turns a create request into a :class:`ResolvedRun` (see module doc)."""

    def __init__(self, strategies: strategy_pb2_grpc.StrategyServiceStub) -> None:
        self._strategies = strategies

    async def resolve(
        self,
        strategy_id: uuid.UUID,
        request: trainer_pb2.CreateTrainingJobRequest,
        context: grpc.aio.ServicerContext,
    ) -> ResolvedRun:
        """Raises INVALID_ARGUMENT naming ``overrides.<field>``, NOT_FOUND for a strategy the
        caller cannot see, FAILED_PRECONDITION for a missing or blocked dataset."""
        strategy = await self._fetch_strategy(context, strategy_id, request.strategy_version)
        overrides = struct_to_dict(request.overrides)
        try:
            resolved = resolve_strategy(
                task_name(strategy.task),
                strategy.agent,
                struct_to_dict(strategy.config),
                overrides,
                seed=request.seed,
                total_steps=request.total_steps,
            )
        except ConfigError as error:
            raise_if_invalid([(v.field, v.description) for v in error.violations], "overrides")
            raise
        dataset = await self._dataset(context, resolved.dataset_id or strategy.dataset_id, strategy)
        return ResolvedRun(strategy_id, strategy.version, run_spec(resolved, dataset), overrides)

    async def _fetch_strategy(
        self, context: grpc.aio.ServicerContext, strategy_id: uuid.UUID, version: int
    ) -> strategy_pb2.Strategy:
        """The strategy as the CALLER may see it: their token goes along."""
        metadata = forwarded_authorization(context)
        try:
            reply = await self._strategies.GetStrategy(
                strategy_pb2.GetStrategyRequest(strategy_id=str(strategy_id), version=version),
                metadata=metadata,
                timeout=STRATEGY_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as error:
            raise _strategy_error(error, f"strategy {strategy_id}") from error
        return reply.strategy

    async def _dataset(
        self, context: grpc.aio.ServicerContext, dataset_id: str, strategy: strategy_pb2.Strategy
    ) -> DatasetRef:
        """The dataset the run trains on, by the URI the strategy service gives (the trainer
        scans no folders of its own)."""
        if not dataset_id:
            raise FailedPrecondition(
                f"strategy {strategy.strategy_id} names no dataset; set dataset_id",
                reason="DATASET_MISSING",
            )
        try:
            reply = await self._strategies.GetDataset(
                strategy_pb2.GetDatasetRequest(dataset_id=dataset_id),
                metadata=forwarded_authorization(context),
                timeout=STRATEGY_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                raise FailedPrecondition(
                    f"dataset {dataset_id!r} of strategy {strategy.strategy_id} is not in the "
                    "catalog",
                    reason="DATASET_NOT_FOUND",
                ) from error
            raise _strategy_error(error, f"dataset {dataset_id!r}") from error
        quality = reply.dataset.quality
        refuse_blocked(dataset_id, quality.status, list(quality.error_codes))
        if not reply.dataset.uri:
            raise FailedPrecondition(
                f"the strategy service gave no URI for dataset {dataset_id!r}",
                reason="DATASET_UNREACHABLE",
            )
        return DatasetRef(
            uri=reply.dataset.uri, dataset_id=dataset_id, content_hash=reply.dataset.content_hash
        )
