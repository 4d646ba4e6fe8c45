"""Typed errors for failed RPCs, carrying the server's ``google.rpc.ErrorInfo`` reason.

Every call of the client raises a subclass of :class:`TradeMasterError` instead of a bare
``grpc.RpcError``: catch by kind (``NotFoundError``) and branch on ``error.reason``
(``"TOKEN_EXPIRED"``, ``"MISSING_ROLE"``, ...); the API reference lists the reasons per RPC.
"""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2

_STATUS_DETAILS_KEY = "grpc-status-details-bin"
_REQUEST_ID_KEY = "x-request-id"


class TradeMasterError(Exception):
    """A failed RPC: gRPC code, UPPER_SNAKE reason, message, field violations, metadata."""

    def __init__(
        self,
        code: grpc.StatusCode,
        reason: str,
        message: str,
        *,
        method: str = "",
        field_violations: list[tuple[str, str]] | None = None,
        metadata: dict[str, str] | None = None,
        request_id: str = "",
    ) -> None:
        super().__init__(f"{message} ({code.name}/{reason}{f' in {method}' if method else ''})")
        self.code = code
        self.reason = reason
        self.message = message
        self.method = method
        self.field_violations = list(field_violations or [])
        self.metadata = dict(metadata or {})
        self.request_id = request_id
        """Server-side request id (``x-request-id``) to quote when asking for help."""


class InvalidArgumentError(TradeMasterError):
    """The request is wrong; ``field_violations`` names each bad field. Do not retry."""


class NotFoundError(TradeMasterError):
    """No such resource, or it belongs to someone else."""


class AlreadyExistsError(TradeMasterError):
    """A unique name or key is taken."""


class UnauthenticatedError(TradeMasterError):
    """No, a bad, an expired or a revoked token (reason says which)."""


class PermissionDeniedError(TradeMasterError):
    """Authenticated, but the roles do not allow the RPC (``metadata['required_roles']``)."""


class FailedPreconditionError(TradeMasterError):
    """The resource is in the wrong state for the RPC, e.g. resuming a running job."""


class AbortedError(TradeMasterError):
    """A concurrent change won, e.g. a stale etag; read again and retry."""


class ResourceExhaustedError(TradeMasterError):
    """A limit was hit (rate, quota, a too-slow subscriber)."""


class UnavailableError(TradeMasterError):
    """The service (or one it needs) is unreachable; idempotent RPCs were already retried."""


class DeadlineExceededError(TradeMasterError):
    """The call's deadline passed before an answer."""


class InternalError(TradeMasterError):
    """A server bug; quote ``request_id`` when reporting it."""


_BY_CODE: dict[grpc.StatusCode, type[TradeMasterError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.ABORTED: AbortedError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.INTERNAL: InternalError,
}


def from_rpc_error(error: grpc.RpcError, method: str = "") -> TradeMasterError:
    """The typed error for a failed sync or asyncio call, with its rich status details."""
    code: grpc.StatusCode = error.code()  # type: ignore[attr-defined]
    message: str = error.details() or ""  # type: ignore[attr-defined]
    reason = code.name
    violations: list[tuple[str, str]] = []
    metadata: dict[str, str] = {}
    request_id = ""
    for key, value in error.trailing_metadata() or ():  # type: ignore[attr-defined]
        if key == _REQUEST_ID_KEY:
            request_id = value if isinstance(value, str) else value.decode()
        if key != _STATUS_DETAILS_KEY:
            continue
        status = status_pb2.Status.FromString(value)
        if status.code != code.value[0]:
            continue
        message = status.message or message
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason = info.reason or reason
                metadata = dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                violations = [(v.field, v.description) for v in bad_request.field_violations]
    kind = _BY_CODE.get(code, TradeMasterError)
    return kind(
        code,
        reason,
        message,
        method=method,
        field_violations=violations,
        metadata=metadata,
        request_id=request_id,
    )
