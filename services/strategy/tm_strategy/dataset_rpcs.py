"""StrategyService RPCs over users' datasets, mixed into ``StrategyServicer``.

Readers see platform datasets and their own; admins reach every owner's. Writers import,
repair, label and delete. Another owner's dataset is NOT_FOUND, never PERMISSION_DENIED.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
from trademaster.api.strategy.v1 import strategy_pb2
from trademaster.data.meta import is_user_dataset_id
from trademaster.service.auth import Principal, Role
from trademaster.service.errors import InvalidArgument, NotFound
from trademaster.service.structs import struct_to_dict

from tm_strategy.datasets import DatasetCatalog, page_of
from tm_strategy.quality_cache import report_path
from tm_strategy.uploads import UserDatasets, quality_message, quality_summary

WRITERS = (Role.RESEARCHER, Role.TRADER, Role.ADMIN)
READERS = (Role.VIEWER, *WRITERS)


def _reach(principal: Principal) -> str | None:
    return None if Role.ADMIN in principal.roles else principal.subject


class DatasetRpcs:
    """Needs ``_require(roles)``, ``_catalog`` and ``_users`` from the servicer."""

    _catalog: DatasetCatalog
    _users: UserDatasets | None

    def _require(self, roles: tuple[Role, ...]) -> Principal:  # pragma: no cover - servicer's
        raise NotImplementedError

    def _user_datasets(self) -> UserDatasets:
        if self._users is None:
            raise NotFound("users' datasets are not enabled on this server", reason="DISABLED")
        return self._users

    async def list_datasets(
        self, request: strategy_pb2.ListDatasetsRequest, task: str, page_size: int
    ) -> strategy_pb2.ListDatasetsResponse:
        principal = self._require(READERS)
        messages = await asyncio.to_thread(self._catalog.all, task)
        if self._users is not None:
            own = await self._users.own(principal.subject)
            task_enum = request.task
            messages += [d for d in own if not task or task_enum in d.tasks]
        try:
            chunk, token = page_of(messages, page_size, request.page_token)
        except ValueError as exc:
            raise InvalidArgument(
                str(exc), [("page_token", str(exc))], reason="INVALID_PAGE_TOKEN"
            ) from exc
        return strategy_pb2.ListDatasetsResponse(datasets=chunk, next_page_token=token)

    async def dataset_known(self, dataset_id: str, principal: Principal) -> bool:
        """A platform dataset, or one of the caller's (an admin reaches every owner's)."""
        if is_user_dataset_id(dataset_id):
            if self._users is None:
                return False
            try:
                await self._users.get(dataset_id, _reach(principal))
            except NotFound:
                return False
            return True
        return await asyncio.to_thread(self._catalog.get, dataset_id) is not None

    async def get_dataset(self, dataset_id: str) -> strategy_pb2.Dataset:
        """A platform dataset with its quality summary (computed once), or one of the caller's."""
        principal = self._require(READERS)
        if is_user_dataset_id(dataset_id):
            users = self._user_datasets()
            return await users.message(await users.get(dataset_id, _reach(principal)))
        dataset = await asyncio.to_thread(self._catalog.get, dataset_id)
        if dataset is None:
            raise NotFound(f"dataset {dataset_id!r} not found", reason="DATASET_NOT_FOUND")
        if self._users is not None:
            report = await self._users.report(dataset_id, _reach(principal))
            dataset.quality.CopyFrom(quality_message(quality_summary(dataset_id, report)))
        return dataset

    async def UploadDataset(
        self,
        request_iterator: AsyncIterator[strategy_pb2.UploadDatasetRequest],
        context: grpc.aio.ServicerContext,
    ) -> strategy_pb2.UploadDatasetResponse:
        principal = self._require(WRITERS)
        users = self._user_datasets()
        row = await users.upload(principal.subject, request_iterator)
        return strategy_pb2.UploadDatasetResponse(dataset=await users.message(row))

    async def GetDatasetQuality(
        self, request: strategy_pb2.GetDatasetQualityRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.GetDatasetQualityResponse:
        principal = self._require(READERS)
        report = await self._user_datasets().report(request.dataset_id, _reach(principal))
        summary = quality_summary(request.dataset_id, report)
        return strategy_pb2.GetDatasetQualityResponse(
            quality=quality_message(summary), report_json=report.model_dump_json()
        )

    async def RepairDataset(
        self, request: strategy_pb2.RepairDatasetRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.RepairDatasetResponse:
        principal = self._require(WRITERS)
        users = self._user_datasets()
        spec: dict[str, Any] = struct_to_dict(request.spec) if request.HasField("spec") else {}
        row = await users.repair(
            principal.subject,
            _reach(principal),
            request.dataset_id,
            spec,
            request.name,
            request.request_id,
        )
        return strategy_pb2.RepairDatasetResponse(dataset=await users.message(row))

    async def LabelDataset(
        self, request: strategy_pb2.LabelDatasetRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.LabelDatasetResponse:
        principal = self._require(WRITERS)
        users = self._user_datasets()
        params = struct_to_dict(request.params) if request.HasField("params") else {}
        row, stats = await users.label(principal.subject, _reach(principal), request, params)
        return strategy_pb2.LabelDatasetResponse(
            dataset=await users.message(row), statistics_json=stats
        )

    async def DeleteDataset(
        self, request: strategy_pb2.DeleteDatasetRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.DeleteDatasetResponse:
        principal = self._require(WRITERS)
        if not is_user_dataset_id(request.dataset_id):
            raise NotFound(
                f"dataset {request.dataset_id!r} not found (platform datasets cannot be deleted)",
                reason="DATASET_NOT_FOUND",
            )
        await self._user_datasets().delete(request.dataset_id, _reach(principal))
        return strategy_pb2.DeleteDatasetResponse()


__all__ = ["DatasetRpcs", "report_path"]
