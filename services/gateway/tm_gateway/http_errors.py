"""One JSON error body for every HTTP error, and the gRPC status → HTTP status mapping."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import grpc
from pydantic import BaseModel, Field
from trademaster.service.errors import error_details

_LOGGER = logging.getLogger(__name__)

# AIP-193 mapping, narrowed to the statuses the API documents.
_HTTP_STATUS_BY_CODE: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.CANCELLED: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.DATA_LOSS: 500,
}
# Codes whose message may carry server internals unless the server sent an ErrorInfo reason.
_OPAQUE_CODES = frozenset({grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL})
# The reverse, for errors the gateway raises itself (routing, validation, auth).
_CODE_BY_HTTP_STATUS: dict[int, grpc.StatusCode] = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    405: grpc.StatusCode.UNIMPLEMENTED,
    409: grpc.StatusCode.ABORTED,
    422: grpc.StatusCode.INVALID_ARGUMENT,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    501: grpc.StatusCode.UNIMPLEMENTED,
    503: grpc.StatusCode.UNAVAILABLE,
    504: grpc.StatusCode.DEADLINE_EXCEEDED,
}


def http_status_for(code: grpc.StatusCode) -> int:
    """The HTTP status a gRPC status code maps to (500 for anything unexpected)."""
    return _HTTP_STATUS_BY_CODE.get(code, 500)


def code_for_http_status(status: int) -> grpc.StatusCode:
    """The gRPC code name reported in the body of an error the gateway produced itself."""
    if status in _CODE_BY_HTTP_STATUS:
        return _CODE_BY_HTTP_STATUS[status]
    return grpc.StatusCode.INVALID_ARGUMENT if 400 <= status < 500 else grpc.StatusCode.INTERNAL


class FieldViolationBody(BaseModel):
    field: str = Field(description="Dotted path of the offending field, e.g. `config.gamma`.")
    description: str = Field(description="What is wrong and what was expected.")


class ErrorDetailBody(BaseModel):
    code: str = Field(
        description="gRPC status code name, e.g. `NOT_FOUND`.", examples=["NOT_FOUND"]
    )
    status: int = Field(description="HTTP status code of the response.", examples=[404])
    message: str = Field(description="Human-readable explanation.")
    reason: str = Field(
        default="", description="Machine-readable UPPER_SNAKE reason.", examples=["NOT_FOUND"]
    )
    field_violations: list[FieldViolationBody] = Field(
        default_factory=list, description="One entry per invalid request field."
    )
    request_id: str = Field(description="Correlates the response with the gateway logs.")


class ErrorBody(BaseModel):
    """The body of every non-2xx response."""

    error: ErrorDetailBody


@dataclass
class ApiError(Exception):
    """An error to answer with the common error body."""

    code: grpc.StatusCode
    message: str
    reason: str = ""
    field_violations: list[tuple[str, str]] = field(default_factory=list)
    http_status: int | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def status(self) -> int:
        return self.http_status if self.http_status is not None else http_status_for(self.code)

    def body(self, request_id: str) -> ErrorBody:
        code = self.code
        message = self.message
        if self.status == 500 and not self.reason:
            message = "internal error"  # never leak server internals
        return ErrorBody(
            error=ErrorDetailBody(
                code=code.name,
                status=self.status,
                message=message,
                reason=self.reason or code.name,
                field_violations=[
                    FieldViolationBody(field=f, description=d) for f, d in self.field_violations
                ],
                request_id=request_id,
            )
        )


def api_error_from_rpc(rpc_error: grpc.RpcError) -> ApiError:
    """Translate a failed backend call, keeping its reason and field violations."""
    details = error_details(rpc_error)
    has_error_info = details.reason != details.code.name or details.code not in _OPAQUE_CODES
    return ApiError(
        details.code,
        details.message,
        reason=details.reason if has_error_info else "",
        field_violations=details.field_violations,
    )
