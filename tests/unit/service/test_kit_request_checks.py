"""Descriptor-driven request checks and clipped error texts (the kit's edge for every RPC)."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import struct_pb2
from trademaster.api.backtest.v1 import backtest_pb2
from trademaster.api.strategy.v1 import strategy_pb2
from trademaster.service import errors
from trademaster.service.request_checks import MAX_STRUCT_DEPTH, request_violations

pytestmark = pytest.mark.unit


def _fields(message: object) -> list[str]:
    return [name for name, _ in request_violations(message)]  # type: ignore[arg-type]


def _nested_struct(levels: int) -> struct_pb2.Struct:
    data: dict[str, object] = {"leaf": 1}
    for _ in range(levels):
        data = {"k": data}
    out = struct_pb2.Struct()
    out.update(data)
    return out


def test_valid_requests_have_no_violations() -> None:
    request = strategy_pb2.CreateStrategyRequest(
        strategy=strategy_pb2.Strategy(name="ok", task=strategy_pb2.TASK_ALGORITHMIC_TRADING)
    )
    request.strategy.config.update({"agent": {"lr": 0.001, "hidden_sizes": [64, 64]}})

    assert request_violations(request) == []


def test_unknown_enum_values_are_named_with_the_allowed_ones() -> None:
    violations = request_violations(strategy_pb2.ListStrategiesRequest(task=99))
    listing = backtest_pb2.ListBacktestsRequest(states=[1, 99])

    assert violations[0][0] == "task"
    assert "unknown enum value 99" in violations[0][1] and "TASK_" in violations[0][1]
    assert _fields(listing) == ["states[1]"]


def test_nul_in_any_string_is_named() -> None:
    request = strategy_pb2.CreateStrategyRequest(
        strategy=strategy_pb2.Strategy(name="a\x00b", description="ok")
    )
    request.strategy.config.update({"note": "x\x00"})

    assert _fields(request) == ["strategy.name", "strategy.config.fields[note].string_value"]


def test_non_finite_numbers_in_structs_are_refused() -> None:
    request = strategy_pb2.ValidateConfigRequest()
    request.config.update({"lr": float("nan"), "gamma": float("inf")})

    assert sorted(_fields(request)) == [
        "config.fields[gamma].number_value",
        "config.fields[lr].number_value",
    ]


def test_timestamps_outside_the_protobuf_range_are_refused() -> None:
    request = strategy_pb2.GetDatasetBarsRequest(dataset_id="d", tic="t")
    request.start_time.seconds = 10**15
    request.end_time.seconds = -(10**13)

    assert _fields(request) == ["start_time", "end_time"]


def test_structs_deeper_than_the_limit_are_refused() -> None:
    shallow = strategy_pb2.ValidateConfigRequest(config=_nested_struct(10))
    deep = strategy_pb2.ValidateConfigRequest(config=_nested_struct(MAX_STRUCT_DEPTH // 2 + 5))

    assert request_violations(shallow) == []
    assert len(request_violations(deep)) == 1
    assert "nested deeper" in request_violations(deep)[0][1]


def test_error_status_is_clipped_to_fit_trailing_metadata() -> None:
    long_id = "x" * 10_000
    error = errors.InvalidArgument(
        f"strategy_id must be a UUID, was {long_id!r}",
        [(f"f{i}", long_id) for i in range(100)],
        metadata={"value": long_id},
    )

    status = errors.to_rpc_status(error)

    assert len(status.SerializeToString()) < 4096
    assert len(status.message) <= errors.MAX_MESSAGE_CHARS
    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
