"""The HTTP edge: body size and JSON shape limits, and security headers on every response.

JSON bodies are checked before FastAPI sees them, because Python's ``json`` accepts what the
platform cannot carry: ``NaN``/``Infinity`` (not JSON, and PostgreSQL ``jsonb`` refuses them),
integers past int64 (protobuf raises on assignment), and nesting deep enough to exhaust the
recursion limit. Each used to be a 500; now it is a 400/413 in the common error body.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import parse_qsl

import grpc
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from trademaster.service.auth import Principal
from trademaster.service.authz import (
    ANY_TOKEN_ROUTES,
    PUBLIC_ROUTES,
    ROUTES,
    authorize,
    permission_for_route,
)
from trademaster.service.errors import PermissionDenied

from tm_gateway.error_handlers import error_response
from tm_gateway.http_errors import ApiError

MAX_BODY_BYTES = 1_048_576
MAX_JSON_DEPTH = 32
INT64_MAX = 2**63 - 1
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
STREAMED_UPLOADS: frozenset[tuple[str, str]] = frozenset({("POST", "/api/v1/datasets")})
"""Routes whose multipart body is parsed as it streams in, under their own size limit
(``TM_GATEWAY_MAX_UPLOAD_BYTES``): buffering it here would hold the whole file in memory."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' ws: wss:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_DOCS_PREFIXES = ("/docs", "/redoc")
"""Swagger UI and ReDoc load their scripts from a CDN: no CSP there (they hold no data)."""


class BodyRejected(Exception):
    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


def _bad(message: str, field: str = "body", status: int = 400) -> BodyRejected:
    return BodyRejected(
        ApiError(
            grpc.StatusCode.INVALID_ARGUMENT,
            message,
            reason="INVALID_JSON" if status == 400 else "BODY_TOO_LARGE",
            field_violations=[(field, message)],
            http_status=status,
        )
    )


def json_depth(text: str) -> int:
    """Deepest nesting of ``[``/``{`` outside strings; cheap, and never recurses."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _constant(name: str) -> Any:
    raise _bad(f"{name} is not valid JSON; numbers must be finite")


def _bounded_int(text: str) -> int:
    value = int(text)
    if abs(value) > INT64_MAX:
        raise _bad(f"integer {text[:30]}{'…' if len(text) > 30 else ''} is out of range (int64)")
    return value


def _check_query(query: bytes) -> None:
    """Integers past int64 and NUL in query parameters are 400s, not conversion errors."""
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        digits = value.lstrip("+-")
        if "\x00" in value:
            raise _bad(f"query parameter {name[:40]} must not contain NUL", field=name[:40])
        if digits.isdigit() and len(digits) > 18 and abs(int(digits)) > INT64_MAX:
            raise _bad(f"query parameter {name[:40]} is out of range (int64)", field=name[:40])


def check_json_body(body: bytes) -> None:
    """Raise ``BodyRejected`` unless ``body`` is strict, shallow-enough JSON."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("body must be UTF-8") from None
    if "\x00" in text or "\\u0000" in text:
        raise _bad("strings must not contain NUL characters (\\u0000)")
    if json_depth(text) > MAX_JSON_DEPTH:
        raise _bad(f"JSON nesting must be at most {MAX_JSON_DEPTH} levels")
    try:
        json.loads(text, parse_constant=_constant, parse_int=_bounded_int)
    except json.JSONDecodeError:
        return  # FastAPI reports malformed JSON itself, with the position
    except ValueError as error:  # int() of a 5000-digit literal
        raise _bad(f"invalid number: {error}") from None


_CANDIDATES = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Methods the API routes accept on ``path`` (OPTIONS included when any does)."""
    methods: set[str] = set()
    for route in app.router.routes:
        if isinstance(route, Mount):
            continue
        for method in _CANDIDATES:
            scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            if route.matches(scope)[0] is Match.FULL:
                methods.add(method)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods | {"OPTIONS"}) if methods else []


@functools.cache
def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


def route_key(request: Request) -> str:
    """``"METHOD /path-template"`` of the matched route, as the authorization table keys it.

    Routes of included routers report templates relative to their prefix, so the full
    template is the table key that ends with it and matches the request path.
    """
    route = request.scope.get("route")
    relative = str(getattr(route, "path_format", None) or getattr(route, "path", ""))
    method = "GET" if request.method == "HEAD" else request.method
    path = request.url.path
    for key in (*ROUTES, *PUBLIC_ROUTES, *ANY_TOKEN_ROUTES):
        key_method, template = key.split(" ", 1)
        fits = key_method == method and template.endswith(relative)
        if fits and _template_regex(template).match(path):
            return key
    return f"{method} {relative}"


def authorize_route(principal: Principal, request: Request) -> None:
    """PERMISSION_DENIED unless the table's row for this route allows ``principal``."""
    key = route_key(request)
    row = permission_for_route(key)
    if row is not None:
        authorize(principal, row.resource, row.action)
    elif key not in ANY_TOKEN_ROUTES:
        raise PermissionDenied(
            f"route {key} is not in the authorization table", reason="ROUTE_NOT_AUTHORIZED"
        )


UUID_FIELDS = frozenset(
    {"strategy_id", "job_id", "training_job_id", "backtest_id", "user_id", "token_id"}
)
"""Parameters and body fields the services parse as UUIDs (owners may be service names)."""


def document_formats(app: FastAPI) -> None:
    """Make the OpenAPI document say ``format: uuid`` where the servers require a UUID, so
    generated clients validate what the servers will."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                for parameter in (
                    operation.get("parameters", []) if isinstance(operation, dict) else []
                ):
                    if parameter.get("name") in UUID_FIELDS:
                        parameter.setdefault("schema", {})["format"] = "uuid"
        for component in schema.get("components", {}).get("schemas", {}).values():
            for name, prop in component.get("properties", {}).items():
                if name in UUID_FIELDS and prop.get("type") == "string":
                    prop["format"] = "uuid"
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _streamed_upload(scope: Scope) -> bool:
    if (scope["method"], scope.get("path", "")) not in STREAMED_UPLOADS:
        return False
    content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
    return content_type.lower().startswith(b"multipart/form-data")


class EdgeMiddleware:
    """Rejects oversized or unsafe JSON bodies (multipart uploads to ``STREAMED_UPLOADS`` pass
    unread); adds security headers to every response;
    answers OPTIONS from the API routes (the UI's static mount claimed every path and said
    ``Allow: GET, HEAD`` even for POST-only routes)."""

    def __init__(
        self, app: ASGIApp, *, routes_of: FastAPI, max_body_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self._app = app
        self._routes_of = routes_of
        self._max = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        send = self._with_headers(scope, send)
        if scope["method"] == "OPTIONS":
            methods = allowed_methods(self._routes_of, scope.get("path", ""))
            if methods:
                response = Response(status_code=204, headers={"Allow": ", ".join(methods)})
                await response(scope, receive, send)
                return
        try:
            _check_query(scope.get("query_string", b""))
        except BodyRejected as rejected:
            await error_response(rejected.error, Request(scope))(scope, receive, send)
            return
        if scope["method"] in _BODY_METHODS and not _streamed_upload(scope):
            try:
                body = await self._read_body(scope, receive)
            except BodyRejected as rejected:
                response = error_response(rejected.error, Request(scope))
                await response(scope, receive, send)
                return
            receive = _replay(body, receive)
        await self._app(scope, receive, send)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self._max:
            raise _bad(f"body must be at most {self._max} bytes", status=413)
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max:
                raise _bad(f"body must be at most {self._max} bytes", status=413)
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body and b"json" in headers.get(b"content-type", b"application/json"):
            check_json_body(body)
        return body

    def _with_headers(self, scope: Scope, send: Send) -> Send:
        path: str = scope.get("path", "")
        headers = dict(scope.get("headers") or [])
        https = scope.get("scheme") == "https" or headers.get(b"x-forwarded-proto") == b"https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                if not path.startswith(_DOCS_PREFIXES):
                    extra.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                if https:
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        return send_with_headers


def _replay(body: bytes, original: Receive) -> Receive:
    """The body already read, then the real channel (so disconnects still arrive)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive
