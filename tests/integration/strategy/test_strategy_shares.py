"""Read-only shares of strategies over real gRPC and PostgreSQL: the owner shares, the user it
is shared with reads (get, list) but cannot change it, withdrawing takes effect at once, and
everyone else still gets NOT_FOUND."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from support.servers import PostgresHandle
from tm_strategy.config import StrategySettings
from tm_strategy.server import build
from trademaster.api.strategy.v1 import strategy_pb2 as pb
from trademaster.api.strategy.v1 import strategy_pb2_grpc
from trademaster.service.auth import issue_token
from trademaster.service.server import create_server, stop_server

pytestmark = pytest.mark.integration

JWT_SECRET = "shares-tests-secret-0123456789-abcdefgh"
Stub = strategy_pb2_grpc.StrategyServiceStub


class User:
    """One caller: a fresh user id and a token with ``role``."""

    def __init__(self, role: str) -> None:
        self.id = str(uuid.uuid4())
        token = issue_token(JWT_SECRET, self.id, (role,))[0]
        self.md = [("authorization", f"Bearer {token}")]


@pytest.fixture(scope="module")
async def stub(
    postgres_server: PostgresHandle, redis_url: str, tm_session_dir: Path
) -> AsyncIterator[Stub]:
    name = f"sh_{uuid.uuid4().hex[:8]}"
    settings = StrategySettings(
        database_url=postgres_server.create_database(name),
        redis_url=redis_url,
        jwt_secret=JWT_SECRET,  # type: ignore[arg-type]
        data_dir=tm_session_dir / name / "datasets",
    )
    parts = await build(settings)
    server, port = await create_server(
        settings,
        service_name="strategy",
        register=parts.register,
        full_service_names=parts.full_service_names,
        public_methods=parts.public_methods,
    )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield Stub(channel)
    await channel.close()
    await stop_server(server, 0)
    for callback in parts.on_shutdown:
        await callback()


async def _create(stub: Stub, owner: User) -> pb.Strategy:
    reply = await stub.CreateStrategy(
        pb.CreateStrategyRequest(
            strategy=pb.Strategy(
                name=f"s-{uuid.uuid4().hex[:8]}", task=pb.TASK_PORTFOLIO_MANAGEMENT, agent="ppo"
            )
        ),
        metadata=owner.md,
    )
    return reply.strategy


async def _code(call) -> tuple[grpc.StatusCode, str]:  # noqa: ANN001
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code(), error.details() or ""
    return grpc.StatusCode.OK, ""


def _update(strategy: pb.Strategy) -> pb.UpdateStrategyRequest:
    return pb.UpdateStrategyRequest(
        strategy=pb.Strategy(strategy_id=strategy.strategy_id, description="changed"),
        update_mask=FieldMask(paths=["description"]),
    )


async def _shared_ids(stub: Stub, user: User) -> list[str]:
    reply = await stub.ListStrategies(
        pb.ListStrategiesRequest(shared_with_me=True), metadata=user.md
    )
    return [s.strategy_id for s in reply.strategies]


async def test_a_shared_strategy_is_readable_not_writable_and_unsharing_revokes_at_once(
    stub: Stub,
) -> None:
    alice, vic, rita, eve = User("researcher"), User("viewer"), User("researcher"), User("trader")
    strategy = await _create(stub, alice)
    sid = strategy.strategy_id
    get = pb.GetStrategyRequest(strategy_id=sid)
    for user in (vic, rita):
        reply = await stub.ShareStrategy(
            pb.ShareStrategyRequest(strategy_id=sid, user_id=user.id), metadata=alice.md
        )
        assert (reply.share.strategy_id, reply.share.user_id) == (sid, user.id)

    assert (await stub.GetStrategy(get, metadata=vic.md)).strategy.owner_id == alice.id
    assert await _shared_ids(stub, vic) == [sid]
    own = await stub.ListStrategies(pb.ListStrategiesRequest(), metadata=vic.md)
    assert list(own.strategies) == []
    # A viewer lacks the role to write; a researcher it is shared with is told it is read-only.
    assert (await _code(stub.UpdateStrategy(_update(strategy), metadata=vic.md)))[0] == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    for call in (
        stub.UpdateStrategy(_update(strategy), metadata=rita.md),
        stub.DeleteStrategy(pb.DeleteStrategyRequest(strategy_id=sid), metadata=rita.md),
        stub.ShareStrategy(
            pb.ShareStrategyRequest(strategy_id=sid, user_id=eve.id), metadata=rita.md
        ),
        stub.ListStrategyShares(pb.ListStrategySharesRequest(strategy_id=sid), metadata=rita.md),
    ):
        code, details = await _code(call)
        assert code == grpc.StatusCode.PERMISSION_DENIED, details
        assert "read-only" in details
    # Not shared with eve: absent everywhere.
    assert (await _code(stub.GetStrategy(get, metadata=eve.md)))[0] == grpc.StatusCode.NOT_FOUND
    assert await _shared_ids(stub, eve) == []
    for call in (
        stub.UpdateStrategy(_update(strategy), metadata=eve.md),
        stub.ShareStrategy(
            pb.ShareStrategyRequest(strategy_id=sid, user_id=vic.id), metadata=eve.md
        ),
        stub.ListStrategyShares(pb.ListStrategySharesRequest(strategy_id=sid), metadata=eve.md),
        stub.UnshareStrategy(
            pb.UnshareStrategyRequest(strategy_id=sid, user_id=vic.id), metadata=eve.md
        ),
    ):
        assert (await _code(call))[0] == grpc.StatusCode.NOT_FOUND

    after = await stub.GetStrategy(get, metadata=alice.md)
    assert (after.strategy.version, after.strategy.description) == (1, "")
    shares = await stub.ListStrategyShares(
        pb.ListStrategySharesRequest(strategy_id=sid), metadata=alice.md
    )
    assert sorted(s.user_id for s in shares.shares) == sorted([vic.id, rita.id])

    await stub.UnshareStrategy(
        pb.UnshareStrategyRequest(strategy_id=sid, user_id=vic.id), metadata=alice.md
    )

    assert (await _code(stub.GetStrategy(get, metadata=vic.md)))[0] == grpc.StatusCode.NOT_FOUND
    assert await _shared_ids(stub, vic) == []
    assert (await stub.GetStrategy(get, metadata=rita.md)).strategy.strategy_id == sid
    again = stub.UnshareStrategy(
        pb.UnshareStrategyRequest(strategy_id=sid, user_id=vic.id), metadata=alice.md
    )
    assert (await _code(again))[0] == grpc.StatusCode.NOT_FOUND


async def test_sharing_is_idempotent_validated_and_ends_with_the_strategy(stub: Stub) -> None:
    alice, bob = User("researcher"), User("viewer")
    strategy = await _create(stub, alice)
    request = pb.ShareStrategyRequest(strategy_id=strategy.strategy_id, user_id=bob.id)

    first = await stub.ShareStrategy(request, metadata=alice.md)
    second = await stub.ShareStrategy(request, metadata=alice.md)
    bad_user = await _code(
        stub.ShareStrategy(
            pb.ShareStrategyRequest(strategy_id=strategy.strategy_id, user_id="bob"),
            metadata=alice.md,
        )
    )
    to_self = await _code(
        stub.ShareStrategy(
            pb.ShareStrategyRequest(strategy_id=strategy.strategy_id, user_id=alice.id),
            metadata=alice.md,
        )
    )
    assert second.share == first.share
    assert bad_user[0] == grpc.StatusCode.INVALID_ARGUMENT and "user_id" in bad_user[1]
    assert to_self[0] == grpc.StatusCode.INVALID_ARGUMENT and "user_id" in to_self[1]

    await stub.DeleteStrategy(
        pb.DeleteStrategyRequest(strategy_id=strategy.strategy_id), metadata=alice.md
    )
    assert await _shared_ids(stub, bob) == []
    replaced = await _create(stub, alice)  # a new strategy is not shared by the old share
    assert (
        await _code(
            stub.GetStrategy(
                pb.GetStrategyRequest(strategy_id=replaced.strategy_id), metadata=bob.md
            )
        )
    )[0] == grpc.StatusCode.NOT_FOUND


async def test_shared_with_me_pages_and_filters_by_owner(stub: Stub) -> None:
    alice, carol, vic = User("researcher"), User("researcher"), User("viewer")
    mine = [await _create(stub, owner) for owner in (alice, alice, alice, carol)]
    for s in mine:
        await stub.ShareStrategy(
            pb.ShareStrategyRequest(strategy_id=s.strategy_id, user_id=vic.id),
            metadata=alice.md if s.owner_id == alice.id else carol.md,
        )

    seen: list[str] = []
    token = ""
    while True:
        page = await stub.ListStrategies(
            pb.ListStrategiesRequest(shared_with_me=True, page_size=2, page_token=token),
            metadata=vic.md,
        )
        seen += [s.strategy_id for s in page.strategies]
        token = page.next_page_token
        if not token:
            break
    of_carol = await stub.ListStrategies(
        pb.ListStrategiesRequest(shared_with_me=True, owner_id=carol.id), metadata=vic.md
    )

    assert sorted(seen) == sorted(s.strategy_id for s in mine)
    assert [s.strategy_id for s in of_carol.strategies] == [mine[3].strategy_id]
