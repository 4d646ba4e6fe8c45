"""JSON-lines logging with request and trace ids, and the per-RPC request context interceptor."""

from __future__ import annotations

import contextvars
import json
import logging
import logging.handlers
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from opentelemetry import trace

from trademaster.service.handler_wrapping import wrap_handler

_LOGGER = logging.getLogger(__name__)

REQUEST_ID_KEY = "x-request-id"
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tm_request_id", default=None
)
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def current_request_id() -> str | None:
    """Request id of the RPC being served in this task, if any."""
    return _request_id.get()


def event_name(record: logging.LogRecord) -> str:
    """The event a line reports: the first word of its message template (``rpc.done``)."""
    template = record.msg if isinstance(record.msg, str) else str(record.msg)
    return template.split(maxsplit=1)[0] if template.strip() else ""


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line: time, level, service, event, logger, message, ids, extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": self._service,
            "event": event_name(record),
            "request_id": _request_id.get(),
            "trace_id": _trace_id(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _trace_id() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


LOG_SUFFIX = ".jsonl"
"""A service's JSON log in a log dir is ``<service>.jsonl``; rotated copies end ``.jsonl.N``."""


def configure_logging(
    service: str,
    level: str,
    *,
    log_dir: Path | None = None,
    max_bytes: int = 10 * 1024 * 1024,
    backups: int = 4,
) -> None:
    """Send all logs as JSON lines; replaces handlers already on the root logger.

    Without ``log_dir`` lines go to stderr (a pod's log). With it they go only to
    ``log_dir/<service>.jsonl``, rotated at ``max_bytes`` keeping ``backups`` older files, so a
    service never holds more than ``max_bytes * (backups + 1)`` of logs; stderr then gets only
    ERROR lines (a supervisor shows its tail when a start fails) and what bypasses logging.
    """
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"log level must be one of DEBUG, INFO, WARNING, ERROR, was {level!r}")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_dir is not None:
        if max_bytes < 1024:
            raise ValueError(f"log max_bytes must be >= 1024, was {max_bytes}")
        if backups < 1:
            raise ValueError(f"log backups must be >= 1, was {backups}")
        log_dir.mkdir(parents=True, exist_ok=True)
        handlers[0].setLevel(logging.ERROR)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_dir / f"{service}{LOG_SUFFIX}",
                maxBytes=max_bytes,
                backupCount=backups,
                encoding="utf-8",
            )
        )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    for handler in handlers:
        handler.setFormatter(JsonLineFormatter(service))
        root.addHandler(handler)
    root.setLevel(numeric)


def _metadata_value(metadata: Any, key: str) -> str | None:
    for item_key, value in metadata or ():
        if item_key == key:
            return value if isinstance(value, str) else value.decode()
    return None


def rpc_code(context: grpc.aio.ServicerContext, failed: bool) -> grpc.StatusCode:
    """Final status code of an RPC as seen by an interceptor after the handler returned/raised."""
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code
    # The aio runtime reports the code as a raw int (or None when never set).
    if isinstance(code, int):
        return next(c for c in grpc.StatusCode if c.value[0] == code)
    return grpc.StatusCode.UNKNOWN if failed else grpc.StatusCode.OK


class RequestContextInterceptor(grpc.aio.ServerInterceptor):
    """Takes or creates ``x-request-id``, returns it in trailing metadata, logs one line per RPC."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method = handler_call_details.method
        incoming = _metadata_value(handler_call_details.invocation_metadata, REQUEST_ID_KEY)
        handler = await continuation(handler_call_details)

        @asynccontextmanager
        async def around(_request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
            request_id = incoming or uuid.uuid4().hex
            token = _request_id.set(request_id)
            context.set_trailing_metadata(((REQUEST_ID_KEY, request_id),))
            start = time.perf_counter()
            failed = False
            try:
                yield
            except BaseException:
                failed = True
                raise
            finally:
                duration_ms = (time.perf_counter() - start) * 1000.0
                code = rpc_code(context, failed)
                _LOGGER.info(
                    "rpc.done method=%s code=%s duration_ms=%.1f",
                    method,
                    code.name,
                    duration_ms,
                    extra={"rpc.method": method, "rpc.code": code.name, "duration_ms": duration_ms},
                )
                _request_id.reset(token)

        return wrap_handler(handler, around)
