"""HTTP route of the compliance report: ``RiskService.GetComplianceReport`` (which authorizes:
the owner, risk officers, admins; another owner's account is 404) rendered as JSON, a zip of
CSV files or printable HTML (``tm_gateway.compliance_view`` / ``compliance_html``)."""

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

import grpc
from fastapi import APIRouter, Depends, Query, Response
from trademaster.api.risk.v1 import risk_pb2 as pb

from tm_gateway.backends import Backends
from tm_gateway.compliance_html import to_html
from tm_gateway.compliance_view import to_csv_zip, to_json
from tm_gateway.convert import CallerDependency, CallerLike
from tm_gateway.http_errors import ApiError
from tm_gateway.routes_risk_control import risk_stub

TAG = "risk"
MAX_DAYS = 366
_MEDIA = {
    "json": "application/json",
    "csv": "application/zip",
    "html": "text/html; charset=utf-8",
}
_RESPONSES = {
    200: {
        "description": "The report: JSON (`format=json`), a zip of one CSV per section "
        "(`format=csv`) or one printable HTML page with charts (`format=html`).",
        "content": {media: {} for media in _MEDIA.values()},
    }
}


def _check_range(start: date, end: date) -> None:
    if end <= start:
        raise ApiError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"to must be after from, was {end} <= {start}",
            field_violations=[("to", "must be after from")],
        )
    if (end - start).days > MAX_DAYS:
        raise ApiError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"the range may span at most {MAX_DAYS} days",
            field_violations=[("to", f"at most {MAX_DAYS} days after from")],
        )


def compliance_router(backends: Backends, caller: CallerDependency) -> APIRouter:
    """``GET /accounts/{account_id}/compliance-report``."""
    router = APIRouter(tags=[TAG])
    CallerDep = Annotated[CallerLike, Depends(caller)]

    @router.get(
        "/accounts/{account_id}/compliance-report",
        response_class=Response,
        responses=_RESPONSES,  # type: ignore[arg-type]
    )
    async def compliance_report(
        account_id: UUID,
        who: CallerDep,
        start: Annotated[date, Query(alias="from", description="First UTC day, YYYY-MM-DD.")],
        end: Annotated[date, Query(alias="to", description="UTC day after the last, exclusive.")],
        format: Literal["json", "csv", "html"] = "json",
    ) -> Response:
        """Orders, decisions with reason codes, fills, end-of-day positions, daily P&L, limit
        breaches, trading-state changes and kill-switch events of one account over the UTC
        days [from, to), with totals and the audit hash chain verified over the range (stated
        in the report). The same range over unchanged rows gives the same bytes."""
        _check_range(start, end)
        request = pb.GetComplianceReportRequest(
            account_id=str(account_id), from_date=start.isoformat(), to_date=end.isoformat()
        )
        report = await backends.call(risk_stub(backends).GetComplianceReport, request, who.token)
        body = {"json": to_json, "csv": to_csv_zip, "html": to_html}[format](report)
        name = f"compliance-{account_id}-{start.isoformat()}-{end.isoformat()}"
        headers = {}
        if format == "csv":
            headers["Content-Disposition"] = f'attachment; filename="{name}.zip"'
        return Response(body, media_type=_MEDIA[format], headers=headers)

    return router
