"""Exception handlers and request-id middleware that give every error the common body."""

from __future__ import annotations

import logging
import uuid

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tm_gateway.http_errors import ApiError, code_for_http_status

_LOGGER = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"


def request_id_of(request: Request) -> str:
    return str(getattr(request.state, "request_id", "")) or uuid.uuid4().hex


class RequestIdMiddleware:
    """Assigns each request an id (or keeps a sane incoming one) and echoes it in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.encode(), b"").decode()
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else ""
        request_id = request_id or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        await self._app(scope, receive, send_with_id)


def error_response(error: ApiError, request: Request) -> JSONResponse:
    body = error.body(request_id_of(request))
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return JSONResponse(body.model_dump(), status_code=error.status, headers=headers)


def _dotted(loc: tuple[int | str, ...]) -> str:
    """FastAPI's ('body', 'config', 'gamma') → 'config.gamma'; list indices become [i]."""
    parts = list(loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc)
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or str(loc[0] if loc else "request")


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    if exc.status >= 500:
        _LOGGER.warning(
            "request failed request.id=%s code=%s message=%s",
            request_id_of(request),
            exc.code.name,
            exc.message,
        )
    return error_response(exc, request)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    violations = [(_dotted(tuple(e.get("loc", ()))), str(e.get("msg", ""))) for e in exc.errors()]
    error = ApiError(
        grpc.StatusCode.INVALID_ARGUMENT,
        "request is invalid: " + "; ".join(f"{f}: {d}" for f, d in violations),
        reason="INVALID_REQUEST",
        field_violations=violations,
    )
    return error_response(error, request)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    reasons = {404: "ROUTE_NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 401: "UNAUTHENTICATED"}
    message = str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route for {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    error = ApiError(
        code_for_http_status(exc.status_code),
        message,
        reason=reasons.get(exc.status_code, ""),
        http_status=exc.status_code,
    )
    response = error_response(error, request)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    _LOGGER.exception("unhandled error request.id=%s", request_id_of(request))
    return error_response(ApiError(grpc.StatusCode.INTERNAL, "internal error"), request)


def install_error_handlers(app: FastAPI) -> None:
    """Route every error path (ours, FastAPI validation, Starlette routing, crashes) to one body."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled)
