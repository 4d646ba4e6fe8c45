from __future__ import annotations

import logging

import grpc
import pytest
from trademaster.service import errors
from trademaster.service.errors import error_details

pytestmark = pytest.mark.unit


async def _fail(echo_server, bearer, kind: str) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await echo_server.unary("Fail")(kind.encode(), metadata=bearer())
    return caught.value


async def test_invalid_argument_carries_reason_and_field_violations(
    echo_server,
    bearer,
) -> None:
    details = error_details(await _fail(echo_server, bearer, "invalid"))

    assert details.code is grpc.StatusCode.INVALID_ARGUMENT
    assert details.reason == "INVALID_ARGUMENT"
    assert details.message == "window must be >= 1, was 0"
    assert details.field_violations == [("window", "must be >= 1, was 0")]


async def test_not_found_carries_custom_reason_and_metadata(echo_server, bearer) -> None:
    details = error_details(await _fail(echo_server, bearer, "not_found"))

    assert details.code is grpc.StatusCode.NOT_FOUND
    assert details.reason == "STRATEGY_NOT_FOUND"
    assert details.metadata == {"id": "s-1"}
    assert details.field_violations == []


async def test_pydantic_validation_error_becomes_invalid_argument(
    echo_server,
    bearer,
) -> None:
    details = error_details(await _fail(echo_server, bearer, "pydantic"))

    assert details.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [name for name, _ in details.field_violations] == ["size"]
    assert "greater than or equal to 1" in details.field_violations[0][1]


async def test_unexpected_exception_is_internal_without_leaking_text(
    echo_server, bearer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="trademaster.service.errors"):
        error = await _fail(echo_server, bearer, "boom")

    details = error_details(error)
    request_id = dict(error.trailing_metadata())["x-request-id"]
    assert details.code is grpc.StatusCode.INTERNAL
    assert details.reason == "INTERNAL"
    assert details.message == f"internal error (request id {request_id})"
    assert "hunter2" not in (error.details() or "")
    assert any("hunter2" in (r.exc_text or "") for r in caplog.records)


def test_error_details_without_rich_status_falls_back_to_code() -> None:
    class _Plain(grpc.RpcError):
        def code(self) -> grpc.StatusCode:
            return grpc.StatusCode.DEADLINE_EXCEEDED

        def details(self) -> str:
            return "deadline"

        def trailing_metadata(self) -> tuple:
            return ()

    details = error_details(_Plain())

    assert details == errors.ErrorDetails(
        grpc.StatusCode.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", "deadline"
    )


@pytest.mark.parametrize(
    ("error_type", "code"),
    [
        (errors.NotFound, grpc.StatusCode.NOT_FOUND),
        (errors.AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
        (errors.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
        (errors.Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
        (errors.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
        (errors.ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED),
        (errors.Aborted, grpc.StatusCode.ABORTED),
        (errors.Unavailable, grpc.StatusCode.UNAVAILABLE),
        (errors.Unimplemented, grpc.StatusCode.UNIMPLEMENTED),
    ],
)
def test_each_domain_error_maps_to_its_code(error_type: type[errors.DomainError], code) -> None:
    status = errors.to_rpc_status(error_type("x"))

    assert status.code == code.value[0]
    assert error_type("x").reason == code.name
