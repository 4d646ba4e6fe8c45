"""ModelRegistryService RPCs that share a registered model read-only, mixed into
``ModelRegistryServicer``; the table and checks are the kit's (:mod:`trademaster.service.sharing`).

A user a model is shared with reads it whole (the model, its versions, aliases, history,
comparisons) and changes nothing of it: tags, aliases, new or deleted versions answer
PERMISSION_DENIED (``READ_ONLY_SHARE``).
"""

from __future__ import annotations

import uuid

import grpc
from psycopg_pool import AsyncConnectionPool
from trademaster.api.strategy.v1 import model_registry_pb2 as pb
from trademaster.service.authz import Action, Grant, Resource
from trademaster.service.errors import NotFound
from trademaster.service.sharing import ShareTable


def model_missing(model_id: uuid.UUID) -> NotFound:
    return NotFound(f"registered model {model_id} not found", reason="MODEL_NOT_FOUND")


def model_shares(pool: AsyncConnectionPool) -> ShareTable:
    """Read-only shares of registered models (``strategy.model_shares``)."""
    return ShareTable(
        pool,
        shares="strategy.model_shares",
        resources="strategy.registered_models",
        noun="registered model",
        not_found=model_missing,
    )


class ModelShareRpcs:
    """Needs ``_grant`` and ``_shares`` from the servicer."""

    _shares: ShareTable | None

    def _grant(self, resource: Resource, action: Action) -> Grant:  # pragma: no cover
        raise NotImplementedError

    def _share_table(self) -> ShareTable:
        if self._shares is None:
            raise NotFound("sharing is not enabled on this server", reason="DISABLED")
        return self._shares

    async def _read_scope(self, model_id: uuid.UUID, grant: Grant) -> str | None:
        """The owner scope a read of the model runs under (every owner's when shared)."""
        if self._shares is None:
            return grant.owner_scope
        return await self._shares.read_scope(model_id, grant)

    async def _missing_for_writer(
        self, model_id: uuid.UUID, grant: Grant, otherwise: Exception
    ) -> Exception:
        """``otherwise``, or READ_ONLY_SHARE when the model is shared with the caller."""
        if self._shares is None:
            return otherwise
        return await self._shares.absent_for_writer(model_id, grant, otherwise)

    async def ShareModel(
        self, request: pb.ShareModelRequest, context: grpc.aio.ServicerContext
    ) -> pb.ShareModelResponse:
        grant = self._grant(Resource.MODEL, Action.SHARE)
        share = await self._share_table().share_rpc(
            grant, request.model_id, "model_id", request.user_id
        )
        return pb.ShareModelResponse(share=share.message())

    async def UnshareModel(
        self, request: pb.UnshareModelRequest, context: grpc.aio.ServicerContext
    ) -> pb.UnshareModelResponse:
        grant = self._grant(Resource.MODEL, Action.SHARE)
        await self._share_table().unshare_rpc(grant, request.model_id, "model_id", request.user_id)
        return pb.UnshareModelResponse()

    async def ListModelShares(
        self, request: pb.ListModelSharesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListModelSharesResponse:
        grant = self._grant(Resource.MODEL, Action.SHARE)
        shares = await self._share_table().list_rpc(grant, request.model_id, "model_id")
        return pb.ListModelSharesResponse(shares=[s.message() for s in shares])
