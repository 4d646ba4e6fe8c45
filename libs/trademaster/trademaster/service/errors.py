"""Domain errors and their one mapping to gRPC rich status (``google.rpc.Status`` details).

Servicers raise ``DomainError`` subclasses; ``ErrorInterceptor`` turns them into a status code
with ``ErrorInfo(reason, domain="trademaster")`` and ``BadRequest`` field violations. Clients read
them back with ``error_details``. Unexpected exceptions become INTERNAL and never leak text.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, NoReturn

import grpc
import pydantic
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2

from trademaster.service.handler_wrapping import wrap_handler
from trademaster.service.logs import REQUEST_ID_KEY, current_request_id
from trademaster.service.request_checks import request_violations

_LOGGER = logging.getLogger(__name__)

ERROR_DOMAIN = "trademaster"
_STATUS_DETAILS_KEY = "grpc-status-details-bin"


class DomainError(Exception):
    """An expected failure with a gRPC code, an UPPER_SNAKE reason and client-safe message."""

    code: ClassVar[grpc.StatusCode] = grpc.StatusCode.UNKNOWN
    default_reason: ClassVar[str] = "UNKNOWN"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata: dict[str, str] = dict(metadata or {})

    def field_violations(self) -> list[tuple[str, str]]:
        """(field, description) pairs for ``BadRequest``; empty except for InvalidArgument."""
        return []


class InvalidArgument(DomainError):
    code = grpc.StatusCode.INVALID_ARGUMENT
    default_reason = "INVALID_ARGUMENT"

    def __init__(
        self,
        message: str,
        field_violations: list[tuple[str, str]] | None = None,
        *,
        reason: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, reason=reason, metadata=metadata)
        self._field_violations = list(field_violations or [])

    def field_violations(self) -> list[tuple[str, str]]:
        return list(self._field_violations)


class NotFound(DomainError):
    code = grpc.StatusCode.NOT_FOUND
    default_reason = "NOT_FOUND"


class AlreadyExists(DomainError):
    code = grpc.StatusCode.ALREADY_EXISTS
    default_reason = "ALREADY_EXISTS"


class PermissionDenied(DomainError):
    code = grpc.StatusCode.PERMISSION_DENIED
    default_reason = "PERMISSION_DENIED"


class Unauthenticated(DomainError):
    code = grpc.StatusCode.UNAUTHENTICATED
    default_reason = "UNAUTHENTICATED"


class FailedPrecondition(DomainError):
    code = grpc.StatusCode.FAILED_PRECONDITION
    default_reason = "FAILED_PRECONDITION"


class ResourceExhausted(DomainError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    default_reason = "RESOURCE_EXHAUSTED"


class Aborted(DomainError):
    code = grpc.StatusCode.ABORTED
    default_reason = "ABORTED"


class Unavailable(DomainError):
    code = grpc.StatusCode.UNAVAILABLE
    default_reason = "UNAVAILABLE"


class Unimplemented(DomainError):
    code = grpc.StatusCode.UNIMPLEMENTED
    default_reason = "UNIMPLEMENTED"


class Internal(DomainError):
    """Raised by the kit for unexpected failures; its message never carries the cause."""

    code = grpc.StatusCode.INTERNAL
    default_reason = "INTERNAL"


def validation_error_to_domain(error: pydantic.ValidationError) -> InvalidArgument:
    """Map a pydantic ValidationError to INVALID_ARGUMENT with one violation per bad field."""
    violations = [
        (".".join(str(part) for part in item["loc"]) or "<root>", item["msg"])
        for item in error.errors()
    ]
    fields = ", ".join(name for name, _ in violations)
    return InvalidArgument(f"invalid {error.title}: {fields}", violations)


MAX_MESSAGE_CHARS = 500
MAX_DETAIL_CHARS = 200
MAX_FIELD_VIOLATIONS = 10
"""Status text travels in trailing metadata (8 KiB by default): a long id echoed into a
message used to overflow it, and the client saw RESOURCE_EXHAUSTED instead of the error."""


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_rpc_status(error: DomainError) -> status_pb2.Status:
    """Build the ``google.rpc.Status`` for ``error`` (ErrorInfo, plus BadRequest if any).

    Texts are clipped so the whole status always fits in the trailing metadata.
    """
    status = status_pb2.Status(
        code=error.code.value[0], message=_clip(error.message, MAX_MESSAGE_CHARS)
    )
    info = error_details_pb2.ErrorInfo(
        reason=error.reason,
        domain=ERROR_DOMAIN,
        metadata={
            _clip(k, 64): _clip(v, MAX_DETAIL_CHARS) for k, v in list(error.metadata.items())[:10]
        },
    )
    packed = any_pb2.Any()
    packed.Pack(info)
    status.details.append(packed)
    violations = error.field_violations()
    if violations:
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=_clip(name, MAX_DETAIL_CHARS), description=_clip(desc, MAX_DETAIL_CHARS)
                )
                for name, desc in violations[:MAX_FIELD_VIOLATIONS]
            ]
        )
        packed = any_pb2.Any()
        packed.Pack(bad_request)
        status.details.append(packed)
    return status


async def abort_with_error(context: grpc.aio.ServicerContext, error: DomainError) -> NoReturn:
    """End the RPC with ``error`` as rich status; keeps the request id in trailing metadata."""
    status = to_rpc_status(error)
    trailing: list[tuple[str, str | bytes]] = [(_STATUS_DETAILS_KEY, status.SerializeToString())]
    request_id = current_request_id()
    if request_id is not None:
        trailing.append((REQUEST_ID_KEY, request_id))
    await context.abort(error.code, status.message, trailing_metadata=tuple(trailing))
    raise AssertionError("grpc.aio ServicerContext.abort always raises")


@dataclass(frozen=True)
class _Undecodable:
    """Stands in for a request whose bytes did not parse (e.g. nested past the decoder's limit)."""

    error: str


def _tolerant(deserialize: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    def run(data: bytes) -> Any:
        try:
            return deserialize(data)
        except Exception as error:  # noqa: BLE001 - any parse failure is the client's input
            return _Undecodable(f"{type(error).__name__}: {error}")

    return run


def _check(request: Any) -> None:
    if isinstance(request, _Undecodable):
        raise InvalidArgument(
            f"request could not be decoded ({request.error})",
            [("request", "not a valid encoding of the request message (too deeply nested?)")],
            reason="UNDECODABLE_REQUEST",
        )
    if isinstance(request, Message):
        violations = request_violations(request)
        if violations:
            fields = ", ".join(dict.fromkeys(name for name, _ in violations))
            raise InvalidArgument(
                f"request is invalid: {fields}", violations, reason="INVALID_REQUEST"
            )


class ErrorInterceptor(grpc.aio.ServerInterceptor):
    """Turns DomainError / pydantic ValidationError / anything else into gRPC status."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method = handler_call_details.method
        handler = await continuation(handler_call_details)
        if handler is not None and handler.request_deserializer is not None:
            handler = handler._replace(  # type: ignore[attr-defined]
                request_deserializer=_tolerant(handler.request_deserializer)
            )

        @asynccontextmanager
        async def around(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
            try:
                _check(request)
                yield
            except grpc.aio.AbortError:
                raise
            except DomainError as error:
                await abort_with_error(context, error)
            except pydantic.ValidationError as error:
                await abort_with_error(context, validation_error_to_domain(error))
            except Exception:
                request_id = current_request_id() or "-"
                _LOGGER.exception("rpc.internal_error method=%s request_id=%s", method, request_id)
                await abort_with_error(
                    context, Internal(f"internal error (request id {request_id})")
                )

        return wrap_handler(handler, around)


@dataclass(frozen=True)
class ErrorDetails:
    """What a client needs from a failed RPC: code, reason, message, field violations."""

    code: grpc.StatusCode
    reason: str
    message: str
    field_violations: list[tuple[str, str]] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)


def error_details(rpc_error: grpc.RpcError) -> ErrorDetails:
    """Parse the rich status of a failed call (sync or aio); falls back to code and details."""
    code: grpc.StatusCode = rpc_error.code()  # type: ignore[attr-defined]
    message: str = rpc_error.details() or ""  # type: ignore[attr-defined]
    reason = code.name
    violations: list[tuple[str, str]] = []
    metadata: dict[str, str] = {}
    for key, value in rpc_error.trailing_metadata() or ():  # type: ignore[attr-defined]
        if key != _STATUS_DETAILS_KEY:
            continue
        status = status_pb2.Status.FromString(value)
        if status.code != code.value[0]:
            _LOGGER.warning(
                "rpc.status_mismatch code=%s status.code=%s",
                code.name,
                code_pb2.Code.Name(status.code),
            )
            break
        message = status.message
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason = info.reason
                metadata = dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                violations = [(v.field, v.description) for v in bad_request.field_violations]
    return ErrorDetails(code, reason, message, violations, metadata)
