"""BacktestService: authorize, validate (:mod:`tm_backtest.spec`), persist, hand the run to
:class:`~tm_backtest.runs.BacktestRuns`, and answer reads (:mod:`tm_backtest.convert`)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import grpc
from psycopg_pool import AsyncConnectionPool
from trademaster.api.backtest.v1 import backtest_pb2 as pb
from trademaster.api.backtest.v1 import backtest_pb2_grpc
from trademaster.service.artifacts import CHUNK_BYTES, ArtifactNotFound, ArtifactStore, OutsideStore
from trademaster.service.auth import current_principal
from trademaster.service.authz import Action, Resource, authorize
from trademaster.service.errors import FailedPrecondition, NotFound
from trademaster.service.ids import parse_uuid
from trademaster.service.lifecycle import JobState
from trademaster.service.paging import decode_page_token, encode_page_token
from trademaster.service.quotas import Quota
from trademaster.service.sharing import ShareTable

from tm_backtest.convert import backtest_message, result_message, thin_equity
from tm_backtest.runs import BacktestRuns
from tm_backtest.spec import SpecValidator, bad_field
from tm_backtest.store import BacktestRecord, BacktestStore, TooManyActiveBacktests

_LOGGER = logging.getLogger(__name__)


def not_found(backtest_id: uuid.UUID) -> NotFound:
    return NotFound(f"backtest {backtest_id} not found", reason="BACKTEST_NOT_FOUND")


def backtest_shares(pool: AsyncConnectionPool) -> ShareTable:
    """Read-only shares of backtests (``backtest.backtest_shares``)."""
    return ShareTable(
        pool,
        shares="backtest.backtest_shares",
        resources="backtest.backtests",
        noun="backtest",
        not_found=not_found,
    )


DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
DEFAULT_TRADES_PAGE = 200
MAX_TRADES_PAGE = 5_000


class BacktestServicer(backtest_pb2_grpc.BacktestServiceServicer):
    """Owner-scoped backtests; ``runs`` executes them on the worker pool."""

    def __init__(
        self,
        store: BacktestStore,
        validator: SpecValidator,
        runs: BacktestRuns,
        artifacts: ArtifactStore,
        shares: ShareTable | None = None,
        quota: Quota | None = None,
    ) -> None:
        self._quota = quota or Quota()
        self._store = store
        self._shares = shares
        self._validator = validator
        self._runs = runs
        self._artifacts = artifacts

    async def resume_unfinished(self) -> int:
        return await self._runs.resume_unfinished()

    async def CreateBacktest(
        self, request: pb.CreateBacktestRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateBacktestResponse:
        principal = authorize(current_principal(), Resource.BACKTEST, Action.CREATE)
        stored = await self._validator.stored_config(request.spec, context)
        quota = self._quota.limit_for(principal.subject, principal.principal.roles)
        try:
            record, created = await self._store.create(
                principal.subject,
                stored,
                request.request_id,
                request.spec.training_job_id,
                max_active=quota.limit,
            )
        except TooManyActiveBacktests as error:
            raise quota.refusal(
                "backtests",
                "concurrent backtests",
                error.active,
                "wait for one to finish or cancel one",
                reason="TOO_MANY_ACTIVE_BACKTESTS",
            ) from error
        if created:
            _LOGGER.info("backtest.created backtest.id=%s owner=%s", record.id, record.owner)
            self._runs.schedule(record)
        return pb.CreateBacktestResponse(backtest=backtest_message(record))

    async def _owned(self, backtest_id: str, action: Action = Action.READ) -> BacktestRecord:
        """The backtest in the caller's reach; for reads also one shared with them. A change of
        one shared with the caller is PERMISSION_DENIED (READ_ONLY_SHARE), else NOT_FOUND."""
        grant = authorize(current_principal(), Resource.BACKTEST, action)
        parsed = parse_uuid(backtest_id, "backtest_id")
        if self._shares is not None and action == Action.READ:
            record = await self._shares.readable(
                parsed, grant, lambda scope: self._store.get(parsed, scope)
            )
        else:
            record = await self._store.get(parsed, grant.owner_scope)
        if record is None:
            if self._shares is not None:
                raise await self._shares.absent_for_writer(parsed, grant)
            raise not_found(parsed)
        return record

    def _share_table(self) -> ShareTable:
        if self._shares is None:
            raise NotFound("sharing is not enabled on this server", reason="DISABLED")
        return self._shares

    async def ShareBacktest(
        self, request: pb.ShareBacktestRequest, context: grpc.aio.ServicerContext
    ) -> pb.ShareBacktestResponse:
        grant = authorize(current_principal(), Resource.BACKTEST, Action.SHARE)
        share = await self._share_table().share_rpc(
            grant, request.backtest_id, "backtest_id", request.user_id
        )
        return pb.ShareBacktestResponse(share=share.message())

    async def UnshareBacktest(
        self, request: pb.UnshareBacktestRequest, context: grpc.aio.ServicerContext
    ) -> pb.UnshareBacktestResponse:
        grant = authorize(current_principal(), Resource.BACKTEST, Action.SHARE)
        await self._share_table().unshare_rpc(
            grant, request.backtest_id, "backtest_id", request.user_id
        )
        return pb.UnshareBacktestResponse()

    async def ListBacktestShares(
        self, request: pb.ListBacktestSharesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListBacktestSharesResponse:
        grant = authorize(current_principal(), Resource.BACKTEST, Action.SHARE)
        shares = await self._share_table().list_rpc(grant, request.backtest_id, "backtest_id")
        return pb.ListBacktestSharesResponse(shares=[s.message() for s in shares])

    async def GetBacktest(
        self, request: pb.GetBacktestRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetBacktestResponse:
        return pb.GetBacktestResponse(
            backtest=backtest_message(await self._owned(request.backtest_id))
        )

    async def ListBacktests(
        self, request: pb.ListBacktestsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListBacktestsResponse:
        principal = authorize(current_principal(), Resource.BACKTEST, Action.READ)
        if request.page_size < 0:
            raise bad_field("page_size", f"must be >= 0, was {request.page_size}")
        size = min(request.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        owner = principal.owner_scope
        shared_with = None
        if request.shared_with_me:
            # Shared with the caller, from any owner (or the one named).
            owner, shared_with = request.owner_id or None, principal.subject
        elif request.owner_id:
            if owner is not None and request.owner_id != owner:
                return pb.ListBacktestsResponse()
            owner = request.owner_id
        states = [pb.BacktestState.Name(s).removeprefix("BACKTEST_STATE_") for s in request.states]
        records, token = await self._store.list(
            owner, size, request.page_token, states, request.training_job_id, shared_with
        )
        return pb.ListBacktestsResponse(
            backtests=[backtest_message(r) for r in records], next_page_token=token
        )

    async def CancelBacktest(
        self, request: pb.CancelBacktestRequest, context: grpc.aio.ServicerContext
    ) -> pb.CancelBacktestResponse:
        record = await self._owned(request.backtest_id, Action.CANCEL)
        await self._runs.cancel(record)
        current = await self._store.get(record.id, None)
        assert current is not None
        return pb.CancelBacktestResponse(backtest=backtest_message(current))

    async def GetBacktestResult(
        self, request: pb.GetBacktestResultRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetBacktestResultResponse:
        record = await self._owned(request.backtest_id)
        if record.state != JobState.SUCCEEDED:
            raise FailedPrecondition(
                f"backtest {record.id} is {record.state}, results exist once SUCCEEDED",
                reason="BACKTEST_NOT_SUCCEEDED",
            )
        stored = await self._store.result(record.id)
        if stored is None:
            raise NotFound(f"result of backtest {record.id} not found", reason="RESULT_NOT_FOUND")
        if request.max_equity_points < 0 or request.trades_page_size < 0:
            raise bad_field("max_equity_points", "and trades_page_size must be >= 0")
        equity = thin_equity(stored["equity"], request.max_equity_points)
        after = -1
        if request.trades_page_token:
            (after,) = decode_page_token(request.trades_page_token, int, field="trades_page_token")
        size = min(request.trades_page_size or DEFAULT_TRADES_PAGE, MAX_TRADES_PAGE)
        trades, last = await self._store.trades(record.id, after, size)
        token = "" if last is None else encode_page_token(last)
        return result_message(str(record.id), stored, equity, trades, token)

    async def GetBacktestArtifact(
        self, request: pb.GetBacktestArtifactRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.GetBacktestArtifactResponse]:
        record = await self._owned(request.backtest_id)
        stored = await self._store.result(record.id) if record.state == JobState.SUCCEEDED else None
        found = [a for a in (stored or {}).get("artifacts", []) if a["name"] == request.name]
        if not found:
            raise NotFound(
                f"backtest {record.id} has no artifact {request.name!r}",
                reason="ARTIFACT_NOT_FOUND",
            )
        artifact = found[0]
        try:
            size = await asyncio.to_thread(self._artifacts.size, artifact["uri"])
            source = await asyncio.to_thread(self._artifacts.open, artifact["uri"])
        except (OutsideStore, ArtifactNotFound) as error:
            _LOGGER.warning("backtest.artifact_unreadable id=%s error=%s", record.id, error)
            raise NotFound(
                f"artifact {request.name!r} of backtest {record.id} is no longer stored",
                reason="ARTIFACT_NOT_FOUND",
            ) from error
        first = True
        try:
            while block := await asyncio.to_thread(source.read, CHUNK_BYTES):
                chunk = pb.GetBacktestArtifactResponse(data=block)
                if first:
                    chunk.media_type, chunk.size_bytes, first = artifact["media_type"], size, False
                yield chunk
        finally:
            source.close()
        if first:  # an empty file still tells its type
            yield pb.GetBacktestArtifactResponse(media_type=artifact["media_type"], size_bytes=0)

    async def close(self) -> None:
        await self._runs.close()


__all__ = ["BacktestServicer", "current_principal"]
