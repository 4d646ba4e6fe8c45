"""StrategyServicer edge validation and authorization, with an in-memory store."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from google.protobuf import struct_pb2
from google.protobuf.field_mask_pb2 import FieldMask
from tm_strategy.servicer import StrategyServicer
from tm_strategy.store import NewStrategy, StrategyRecord, VersionConflict
from trademaster.api.strategy.v1 import strategy_pb2
from trademaster.service.auth import Principal, Role
from trademaster.service.errors import Aborted, InvalidArgument, NotFound, PermissionDenied

pytestmark = pytest.mark.unit

AT = strategy_pb2.TASK_ALGORITHMIC_TRADING


class FakeStore:
    """Owner-scoped dict store with the same contract as StrategyStore."""

    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, StrategyRecord] = {}
        self.shared: set[tuple[uuid.UUID, str]] = set()

    async def create(self, new: NewStrategy) -> StrategyRecord:
        now = datetime.now(UTC)
        fields = {k: v for k, v in vars(new).items() if k != "request_id"}
        record = StrategyRecord(
            id=uuid.uuid4(), version=1, created_at=now, updated_at=now, **fields
        )
        self.rows[record.id] = record
        return record

    async def get(
        self, strategy_id: uuid.UUID, owner: str | None, version: int = 0, shared_with=None
    ) -> Any:
        row = self.rows.get(strategy_id)
        shared = (strategy_id, shared_with) in self.shared
        return row if row and (owner in (None, row.owner) or shared) else None

    async def list(
        self, owner: str, page_size: int, page_token: str = "", task: str = "", shared_with=None
    ) -> Any:
        rows = [r for r in self.rows.values() if owner in ("", r.owner)]
        if shared_with is not None:
            rows = [r for r in rows if (r.id, shared_with) in self.shared]
        return rows[:page_size], ""

    async def update(self, strategy_id: uuid.UUID, owner: str | None, changes: dict, expected=None):
        row = await self.get(strategy_id, owner)
        if row is None:
            return None
        if expected is not None and expected != row.version:
            raise VersionConflict(strategy_id, expected, row.version)
        self.rows[strategy_id] = replace(row, version=row.version + 1, **changes)
        return self.rows[strategy_id]

    async def delete(self, strategy_id: uuid.UUID, owner: str | None, expected=None) -> bool:
        return (
            self.rows.pop(strategy_id, None) is not None
            if await self.get(strategy_id, owner)
            else False
        )


class FakeCatalog:
    def get(self, dataset_id: str) -> strategy_pb2.Dataset | None:
        return strategy_pb2.Dataset(dataset_id=dataset_id) if dataset_id == "btc" else None

    def page(self, page_size: int, page_token: str, task: str = "") -> Any:
        return [strategy_pb2.Dataset(dataset_id="btc")], ""


class Caller:
    def __init__(self, subject: str, *roles: Role) -> None:
        self.principal = Principal(subject, frozenset(roles), "user")

    def __call__(self) -> Principal:
        return self.principal


def _servicer(caller: Caller, store: FakeStore | None = None) -> StrategyServicer:
    return StrategyServicer(store or FakeStore(), FakeCatalog(), principal=caller)  # type: ignore[arg-type]


def _config(data: dict) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(data)
    return out


def _create_request(**overrides: Any) -> strategy_pb2.CreateStrategyRequest:
    fields = {"name": "s", "task": AT, "agent": "dqn", "dataset_id": "btc"} | overrides
    return strategy_pb2.CreateStrategyRequest(strategy=strategy_pb2.Strategy(**fields))


async def test_create_fills_defaults_and_owner() -> None:
    servicer = _servicer(Caller("alice", Role.RESEARCHER))
    reply = await servicer.CreateStrategy(
        _create_request(config=_config({"agent_params": {"gamma": 0.9}})),
        None,  # type: ignore[arg-type]
    )
    config = dict(reply.strategy.config)
    assert reply.strategy.owner_id == "alice"
    assert config["agent_params"]["gamma"] == 0.9
    assert config["agent_params"]["learning_rate"] == 0.001
    assert reply.strategy.etag == '"1"'


async def test_create_collects_every_violation_with_dotted_paths() -> None:
    servicer = _servicer(Caller("alice", Role.RESEARCHER))
    request = _create_request(
        name="x" * 101,
        dataset_id="nope",
        config=_config({"agent_params": {"learning_rate": -1.0}, "env": {"window": 0}}),
    )
    with pytest.raises(InvalidArgument) as caught:
        await servicer.CreateStrategy(request, None)  # type: ignore[arg-type]
    fields = {f for f, _ in caught.value.field_violations()}
    assert fields == {
        "name",
        "config.agent_params.learning_rate",
        "config.env.window",
        "dataset_id",
    }


async def test_unsupported_agent_for_task_is_invalid() -> None:
    servicer = _servicer(Caller("alice", Role.RESEARCHER))
    with pytest.raises(InvalidArgument) as caught:
        await servicer.CreateStrategy(_create_request(agent="eiie"), None)  # type: ignore[arg-type]
    assert [f for f, _ in caught.value.field_violations()] == ["agent"]


async def test_viewer_may_read_but_not_write() -> None:
    servicer = _servicer(Caller("vic", Role.VIEWER))
    with pytest.raises(PermissionDenied):
        await servicer.CreateStrategy(_create_request(), None)  # type: ignore[arg-type]
    reply = await servicer.ListStrategies(strategy_pb2.ListStrategiesRequest(), None)  # type: ignore[arg-type]
    assert list(reply.strategies) == []


async def test_ids_must_be_uuids() -> None:
    servicer = _servicer(Caller("alice", Role.RESEARCHER))
    with pytest.raises(InvalidArgument, match="strategy_id must be a UUID, was 'abc'"):
        await servicer.GetStrategy(strategy_pb2.GetStrategyRequest(strategy_id="abc"), None)  # type: ignore[arg-type]


async def test_other_owner_sees_not_found_but_admin_sees_it() -> None:
    store = FakeStore()
    created = await _servicer(Caller("alice", Role.RESEARCHER), store).CreateStrategy(
        _create_request(),
        None,  # type: ignore[arg-type]
    )
    request = strategy_pb2.GetStrategyRequest(strategy_id=created.strategy.strategy_id)
    with pytest.raises(NotFound):
        await _servicer(Caller("bob", Role.RESEARCHER), store).GetStrategy(request, None)  # type: ignore[arg-type]
    admin = await _servicer(Caller("root", Role.ADMIN), store).GetStrategy(request, None)  # type: ignore[arg-type]
    assert admin.strategy.owner_id == "alice"


async def test_update_with_stale_etag_is_aborted_and_mask_is_checked() -> None:
    store = FakeStore()
    servicer = _servicer(Caller("alice", Role.RESEARCHER), store)
    created = (await servicer.CreateStrategy(_create_request(), None)).strategy  # type: ignore[arg-type]
    update = strategy_pb2.UpdateStrategyRequest(
        strategy=strategy_pb2.Strategy(
            strategy_id=created.strategy_id, etag=created.etag, description="v2"
        ),
        update_mask=FieldMask(paths=["description"]),
    )
    updated = await servicer.UpdateStrategy(update, None)  # type: ignore[arg-type]
    assert (updated.strategy.version, updated.strategy.description) == (2, "v2")
    with pytest.raises(Aborted):
        await servicer.UpdateStrategy(update, None)  # type: ignore[arg-type]
    update.update_mask.paths[:] = ["owner_id"]
    with pytest.raises(InvalidArgument, match="update_mask"):
        await servicer.UpdateStrategy(update, None)  # type: ignore[arg-type]


async def test_validate_config_reports_without_raising() -> None:
    servicer = _servicer(Caller("vic", Role.VIEWER))
    bad = await servicer.ValidateConfig(
        strategy_pb2.ValidateConfigRequest(
            task=AT, agent="dqn", config=_config({"agent_params": {"gamma": 2.0}})
        ),
        None,  # type: ignore[arg-type]
    )
    assert not bad.valid
    assert [v.field for v in bad.violations] == ["config.agent_params.gamma"]
    good = await servicer.ValidateConfig(
        strategy_pb2.ValidateConfigRequest(task=AT, agent="dqn"),
        None,  # type: ignore[arg-type]
    )
    assert good.valid
    assert dict(good.normalized_config)["agent"] == "dqn"
