"""StrategyService RPCs that share a strategy read-only, mixed into ``StrategyServicer``.

Only the owner (and admins, per the ``strategy:share`` row) shares, lists and withdraws shares;
for anyone else the strategy is NOT_FOUND, or PERMISSION_DENIED (``READ_ONLY_SHARE``) for a
user it is shared with, who already sees it. Shares are checked on every read, so withdrawing
one takes effect at the user's next call.
"""

from __future__ import annotations

import uuid

import grpc
from trademaster.api.strategy.v1 import strategy_pb2
from trademaster.service.authz import Action, Grant, Resource
from trademaster.service.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from trademaster.service.ids import parse_uuid
from trademaster.service.structs import timestamp_of

from tm_strategy.shares import MAX_SHARES, ShareRecord, ShareStore, TooManyShares
from tm_strategy.store import StrategyRecord


def share_message(share: ShareRecord) -> strategy_pb2.StrategyShare:
    return strategy_pb2.StrategyShare(
        strategy_id=str(share.strategy_id),
        user_id=share.user_id,
        create_time=timestamp_of(share.created_at),
    )


class ShareRpcs:
    """Needs ``_require``, ``_shares`` and ``_store.get`` from the servicer."""

    _shares: ShareStore | None

    def _require(self, resource: Resource, action: Action) -> Grant:  # pragma: no cover
        raise NotImplementedError

    async def _shared_copy(
        self, strategy_id: uuid.UUID, subject: str
    ) -> StrategyRecord | None:  # pragma: no cover - provided by the servicer
        raise NotImplementedError

    def _share_store(self) -> ShareStore:
        if self._shares is None:
            raise NotFound("sharing is not enabled on this server", reason="DISABLED")
        return self._shares

    async def absent_for_writer(self, strategy_id: uuid.UUID, grant: Grant) -> Exception:
        """What a write on a strategy out of ``grant``'s owner scope answers: PERMISSION_DENIED
        when it is shared with the caller (they see it anyway), else NOT_FOUND."""
        if self._shares is not None and await self._shared_copy(strategy_id, grant.subject):
            return PermissionDenied(
                f"strategy {strategy_id} is shared with you read-only",
                reason="READ_ONLY_SHARE",
                metadata={"strategy_id": str(strategy_id)},
            )
        return NotFound(f"strategy {strategy_id} not found", reason="STRATEGY_NOT_FOUND")

    def _share_target(self, request_user_id: str, grant: Grant) -> str:
        user_id = str(parse_uuid(request_user_id, "user_id"))
        if user_id == grant.subject:
            raise InvalidArgument(
                "user_id must name another user, was the caller",
                [("user_id", "must name another user, was the caller")],
            )
        return user_id

    async def ShareStrategy(
        self, request: strategy_pb2.ShareStrategyRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.ShareStrategyResponse:
        grant = self._require(Resource.STRATEGY, Action.SHARE)
        strategy_id = parse_uuid(request.strategy_id, "strategy_id")
        user_id = self._share_target(request.user_id, grant)
        try:
            share = await self._share_store().share(strategy_id, grant.owner_scope, user_id)
        except TooManyShares as exc:
            raise FailedPrecondition(
                str(exc), reason="TOO_MANY_SHARES", metadata={"max": str(MAX_SHARES)}
            ) from exc
        if share is None:
            raise await self.absent_for_writer(strategy_id, grant)
        return strategy_pb2.ShareStrategyResponse(share=share_message(share))

    async def UnshareStrategy(
        self, request: strategy_pb2.UnshareStrategyRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.UnshareStrategyResponse:
        grant = self._require(Resource.STRATEGY, Action.SHARE)
        strategy_id = parse_uuid(request.strategy_id, "strategy_id")
        user_id = str(parse_uuid(request.user_id, "user_id"))
        if not await self._share_store().unshare(strategy_id, grant.owner_scope, user_id):
            if await self._share_store().list(strategy_id, grant.owner_scope) is None:
                raise await self.absent_for_writer(strategy_id, grant)
            raise NotFound(
                f"strategy {strategy_id} is not shared with user {user_id}",
                reason="SHARE_NOT_FOUND",
            )
        return strategy_pb2.UnshareStrategyResponse()

    async def ListStrategyShares(
        self, request: strategy_pb2.ListStrategySharesRequest, context: grpc.aio.ServicerContext
    ) -> strategy_pb2.ListStrategySharesResponse:
        grant = self._require(Resource.STRATEGY, Action.SHARE)
        strategy_id = parse_uuid(request.strategy_id, "strategy_id")
        shares = await self._share_store().list(strategy_id, grant.owner_scope)
        if shares is None:
            raise await self.absent_for_writer(strategy_id, grant)
        return strategy_pb2.ListStrategySharesResponse(shares=[share_message(s) for s in shares])
