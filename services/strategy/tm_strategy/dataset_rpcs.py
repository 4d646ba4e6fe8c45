"""StrategyService RPCs over users' datasets, mixed into ``StrategyServicer``.

Rights come from the ``dataset`` rows of the authz table: readers see platform datasets and their
own (admins reach every owner's) and export them as Parquet or CSV; builders import, repair,
label (new versions they own) and delete. Another owner's dataset is NOT_FOUND, never
PERMISSION_DENIED.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
from trademaster.api.strategy.v1 import strategy_pb2
from trademaster.data.meta import is_user_dataset_id
from trademaster.service.authz import Action, Grant, Resource
from trademaster.service.dataset_gate import dataset_scope
from trademaster.service.errors import InvalidArgument, NotFound
from trademaster.service.structs import struct_to_dict

from tm_strategy.dataset_export import export_chunks, export_format
from tm_strategy.datasets import DatasetCatalog, page_of
from tm_strategy.quality_cache import report_path
from tm_strategy.uploads import UserDatasets, quality_message, quality_summary


class DatasetRpcs:
    """Needs ``_require(resource, action)``, ``_catalog`` and ``_users`` from the servicer."""

    _catalog: DatasetCatalog
    _users: UserDatasets | None

    def _require(self, resource: Resource, action: Action) -> Grant:  # pragma: no cover
        raise NotImplementedError

    def _user_datasets(self) -> UserDatasets:
        if self._users is None:
            raise NotFound("users' datasets are not enabled on this server", reason="DISABLED")
        return self._users

    async def list_datasets(
        self, request: strategy_pb2.ListDatasetsRequest, task: str, page_size: int
    ) -> strategy_pb2.ListDatasetsResponse:
        grant = self._require(Resource.DATASET, Action.READ)
        catalog = await asyncio.to_thread(self._catalog.all, task)
        messages: list[strategy_pb2.Dataset] = []
        if self._users is not None:  # the caller's own files first, newest first
            own = await self._users.own(grant.subject)
            messages = [d for d in own if not task or request.task in d.tasks]
        messages += catalog
        try:
            chunk, token = page_of(messages, page_size, request.page_token)
        except ValueError as exc:
            raise InvalidArgument(
                str(exc), [("page_token", str(exc))], reason="INVALID_PAGE_TOKEN"
            ) from exc
        return strategy_pb2.ListDatasetsResponse(datasets=chunk, next_page_token=token)

    async def dataset_known(self, dataset_id: str, owner_scope: str | None) -> bool:
        """A platform dataset, or one of ``owner_scope``'s (None: any owner's)."""
        if is_user_dataset_id(dataset_id):
            if self._users is None:
                return False
            try:
                await self._users.get(dataset_id, owner_scope)
            except NotFound:
                return False
            return True
        return await asyncio.to_thread(self._catalog.get, dataset_id) is not None

    async def get_dataset(self, dataset_id: str) -> strategy_pb2.Dataset:
        """A platform dataset with its quality summary (computed once), or one of the caller's."""
        scope = self._require(Resource.DATASET, Action.READ).owner_scope
        if is_user_dataset_id(dataset_id):
            users = self._user_datasets()
            return await users.message(await users.get(dataset_id, scope))
        dataset = await asyncio.to_thread(self._catalog.get, dataset_id)
        if dataset is None:
            raise NotFound(f"dataset {dataset_id!r} not found", reason="DATASET_NOT_FOUND")
        if self._users is not None:
            report = await self._users.report(dataset_id, scope)
            dataset.quality.CopyFrom(quality_message(quality_summary(dataset_id, report)))
        return dataset

    async def UploadDataset(
        self,
        request_iterator: AsyncIterator[strategy_pb2.UploadDatasetRequest],
        context: grpc.aio.ServicerContext,
    ) -> strategy_pb2.UploadDatasetResponse:
        grant = self._require(Resource.DATASET, Action.CREATE)
        users = self._user_datasets()
        row = await users.upload(grant.subject, request_iterator)
        return strategy_pb2.UploadDatasetResponse(dataset=await users.message(row))

    async def GetDatasetQuality(
        self, request: strategy_pb2.GetDatasetQualityRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.GetDatasetQualityResponse:
        scope = self._require(Resource.DATASET, Action.READ).owner_scope
        report = await self._user_datasets().report(request.dataset_id, scope)
        summary = quality_summary(request.dataset_id, report)
        return strategy_pb2.GetDatasetQualityResponse(
            quality=quality_message(summary), report_json=report.model_dump_json()
        )

    async def RepairDataset(
        self, request: strategy_pb2.RepairDatasetRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.RepairDatasetResponse:
        grant = self._require(Resource.DATASET, Action.CREATE)
        users = self._user_datasets()
        spec: dict[str, Any] = struct_to_dict(request.spec) if request.HasField("spec") else {}
        row = await users.repair(
            grant.subject,
            dataset_scope(grant.principal),
            request.dataset_id,
            spec,
            request.name,
            request.request_id,
        )
        return strategy_pb2.RepairDatasetResponse(dataset=await users.message(row))

    async def LabelDataset(
        self, request: strategy_pb2.LabelDatasetRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.LabelDatasetResponse:
        grant = self._require(Resource.DATASET, Action.CREATE)
        users = self._user_datasets()
        params = struct_to_dict(request.params) if request.HasField("params") else {}
        row, stats = await users.label(
            grant.subject, dataset_scope(grant.principal), request, params
        )
        return strategy_pb2.LabelDatasetResponse(
            dataset=await users.message(row), statistics_json=stats
        )

    async def ExportDataset(
        self, request: strategy_pb2.ExportDatasetRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[strategy_pb2.ExportDatasetResponse]:
        scope = self._require(Resource.DATASET, Action.READ).owner_scope
        fmt = export_format(request.format)
        async for message in export_chunks(self._user_datasets(), request.dataset_id, scope, fmt):
            yield message

    async def DeleteDataset(
        self, request: strategy_pb2.DeleteDatasetRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.DeleteDatasetResponse:
        grant = self._require(Resource.DATASET, Action.DELETE)
        if not is_user_dataset_id(request.dataset_id):
            raise NotFound(
                f"dataset {request.dataset_id!r} not found (platform datasets cannot be deleted)",
                reason="DATASET_NOT_FOUND",
            )
        await self._user_datasets().delete(request.dataset_id, grant.owner_scope)
        return strategy_pb2.DeleteDatasetResponse()


__all__ = ["DatasetRpcs", "report_path"]
