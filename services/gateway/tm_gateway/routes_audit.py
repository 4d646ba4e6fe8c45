"""HTTP routes of the action audit: search (JSON or CSV) and chain verification, for risk
officers and admins (``action_audit:read``)."""

import csv
import io
import json
from datetime import datetime
from typing import Annotated, Any, Literal

import grpc
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from tm_gateway.action_audit import ActionAudit
from tm_gateway.convert import CallerDependency
from tm_gateway.http_errors import ApiError

TAG = "audit"
_COLUMNS = (
    "id", "at", "actor_id", "actor_kind", "roles", "method", "route", "resource", "action",
    "resource_ids", "status", "outcome", "request_id", "trace_id", "client_addr", "user_agent",
    "hash",
)  # fmt: skip


class ActionOut(BaseModel):
    id: int
    at: datetime
    actor_id: str
    actor_kind: str
    roles: list[str]
    method: str
    route: str
    resource: str
    action: str
    resource_ids: dict[str, str]
    status: int
    outcome: str
    request_id: str
    trace_id: str
    client_addr: str
    user_agent: str
    hash: str


class ActionList(BaseModel):
    entries: list[ActionOut]
    next_page_token: str = ""


class ChainOut(BaseModel):
    verified: bool
    rows: int
    broken_at: int | None


def _csv(rows: list[dict[str, Any]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_COLUMNS)
    for row in rows:
        cells = [row[c] for c in _COLUMNS]
        cells[_COLUMNS.index("roles")] = " ".join(row["roles"])
        cells[_COLUMNS.index("resource_ids")] = json.dumps(row["resource_ids"], sort_keys=True)
        cells[_COLUMNS.index("at")] = row["at"].isoformat()
        writer.writerow(cells)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


def audit_router(configured: ActionAudit | None, caller: CallerDependency) -> APIRouter:
    """Routes under ``/audit/actions`` (503 when the app was built without the audit)."""
    router = APIRouter(tags=[TAG])

    def audit_of() -> ActionAudit:
        if configured is None:
            raise ApiError(
                grpc.StatusCode.UNAVAILABLE,
                "the action audit is not configured in this app",
                reason="BACKEND_NOT_CONFIGURED",
            )
        return configured

    @router.get("/audit/actions", response_model=ActionList)
    async def search(
        _: Annotated[Any, Depends(caller)],
        actor_id: Annotated[str, Query(max_length=200)] = "",
        resource: Annotated[str, Query(max_length=64)] = "",
        action: Annotated[str, Query(max_length=64)] = "",
        outcome: Annotated[str, Query(max_length=32)] = "",
        start: Annotated[datetime | None, Query(description="Inclusive.")] = None,
        end: Annotated[datetime | None, Query(description="Exclusive.")] = None,
        page_size: Annotated[int, Query(ge=0, le=1000)] = 0,
        page_token: Annotated[str, Query(max_length=20)] = "",
        format: Literal["json", "csv"] = "json",
    ) -> Any:
        """Audited calls, newest first, filtered; ``format=csv`` exports the page as CSV."""
        if page_token and not page_token.isdigit():
            raise ApiError(
                grpc.StatusCode.INVALID_ARGUMENT,
                "page_token must be a token returned by the previous page",
                field_violations=[("page_token", "not issued by this server")],
            )
        if start is not None and end is not None and end <= start:
            raise ApiError(
                grpc.StatusCode.INVALID_ARGUMENT,
                "end must be after start",
                field_violations=[("end", "must be after start")],
            )
        filters = {
            k: v
            for k, v in {
                "actor_id": actor_id, "resource": resource, "action": action, "outcome": outcome,
            }.items()
            if v
        }  # fmt: skip
        limit = page_size or 100
        before = int(page_token) if page_token else None
        rows = await audit_of().search(filters, start, end, limit, before)
        if format == "csv":
            return _csv(rows)
        token = str(rows[-1]["id"]) if len(rows) == limit else ""
        return ActionList(entries=[ActionOut(**r) for r in rows], next_page_token=token)

    @router.get("/audit/actions:verify", response_model=ChainOut)
    async def verify(_: Annotated[Any, Depends(caller)]) -> ChainOut:
        """Recompute the hash chain; ``broken_at`` is the first row that does not match."""
        check = await audit_of().verify()
        return ChainOut(verified=check.verified, rows=check.rows, broken_at=check.broken_at)

    return router
