"""HTTP routes that share a strategy read-only with other users (StrategyService share RPCs).

People share with a *username*; the gateway, which holds the users, turns it into the user id
the strategy service stores, and names the users again when listing shares.
"""

import uuid
from datetime import datetime
from typing import Annotated, Any

import grpc
from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, Field
from trademaster.api.strategy.v1 import strategy_pb2

from tm_gateway.api_models import _Body
from tm_gateway.backends import Backends
from tm_gateway.convert import CallerDependency, CallerLike, time_of
from tm_gateway.http_errors import ApiError
from tm_gateway.identity import IdentityService

TAG = "strategies"


class ShareCreate(_Body):
    username: str = Field(min_length=1, max_length=64, description="The user to share with.")


class ShareOut(BaseModel):
    strategy_id: str = Field(json_schema_extra={"format": "uuid"})
    user_id: str = Field(json_schema_extra={"format": "uuid"})
    username: str = Field(description="Empty when the user no longer exists.")
    created_at: datetime


class ShareList(BaseModel):
    shares: list[ShareOut]


def shares_router(
    backends: Backends, identity: IdentityService, caller: CallerDependency
) -> APIRouter:
    """List, create and withdraw the read-only shares of one of the caller's strategies."""
    router = APIRouter(tags=[TAG])
    CallerDep = Annotated[CallerLike, Depends(caller)]

    async def share_out(share: strategy_pb2.StrategyShare) -> ShareOut:
        user = await identity.store.user_by_id(uuid.UUID(share.user_id))
        return ShareOut(
            strategy_id=share.strategy_id,
            user_id=share.user_id,
            username=user.username if user else "",
            created_at=time_of(share, "create_time"),  # type: ignore[arg-type]
        )

    @router.get("/strategies/{strategy_id}/shares", response_model=ShareList)
    async def list_shares(strategy_id: str, who: CallerDep) -> Any:
        """Whom the strategy is shared with (owner only), oldest first."""
        reply = await backends.call(
            backends.strategy.ListStrategyShares,
            strategy_pb2.ListStrategySharesRequest(strategy_id=strategy_id),
            who.token,
        )
        return ShareList(shares=[await share_out(s) for s in reply.shares])

    @router.post(
        "/strategies/{strategy_id}/shares",
        response_model=ShareOut,
        status_code=status.HTTP_201_CREATED,
    )
    async def create_share(strategy_id: str, body: ShareCreate, who: CallerDep) -> Any:
        """Share the strategy read-only with a user; sharing again returns the same share."""
        # NUL cannot be in a stored username (and PostgreSQL refuses it in a query).
        possible = "\x00" not in body.username
        user = await identity.store.user_by_username(body.username) if possible else None
        if user is None:
            raise ApiError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"username names no user, was {body.username[:64]!r}",
                field_violations=[("username", "must name an existing user")],
                reason="USER_NOT_FOUND",
            )
        reply = await backends.call(
            backends.strategy.ShareStrategy,
            strategy_pb2.ShareStrategyRequest(strategy_id=strategy_id, user_id=str(user.id)),
            who.token,
        )
        return await share_out(reply.share)

    @router.delete(
        "/strategies/{strategy_id}/shares/{user_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        response_class=Response,
    )
    async def delete_share(strategy_id: str, user_id: str, who: CallerDep) -> Response:
        """Withdraw a share: the user's next request no longer finds the strategy."""
        await backends.call(
            backends.strategy.UnshareStrategy,
            strategy_pb2.UnshareStrategyRequest(strategy_id=strategy_id, user_id=user_id),
            who.token,
        )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
