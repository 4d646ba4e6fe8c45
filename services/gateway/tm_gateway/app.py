"""The HTTP app (FastAPI): middleware, error handlers, one router per resource (``routes_*``)
under ``/api/v1``, probes, and the UI."""

import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from trademaster.service.errors import DomainError
from trademaster.service.signing_keys import KeyRing

from tm_gateway.action_audit import ActionAudit, AuditMiddleware
from tm_gateway.backends import Backends
from tm_gateway.caller import bearer_caller, route_authorized
from tm_gateway.edge import EdgeMiddleware, document_formats
from tm_gateway.error_handlers import (
    RequestIdMiddleware,
    error_response,
    install_error_handlers,
)
from tm_gateway.http_errors import ApiError, ErrorBody
from tm_gateway.identity import IdentityService
from tm_gateway.routes_admin import admin_router
from tm_gateway.routes_alerts import alerts_router
from tm_gateway.routes_audit import audit_router
from tm_gateway.routes_auth import auth_router
from tm_gateway.routes_backtests import backtests_router
from tm_gateway.routes_compliance import compliance_router
from tm_gateway.routes_dataset_uploads import dataset_uploads_router
from tm_gateway.routes_datasets import datasets_router
from tm_gateway.routes_deployments import deployments_router
from tm_gateway.routes_docs import api_reference_router
from tm_gateway.routes_events import events_router
from tm_gateway.routes_jobs import jobs_router
from tm_gateway.routes_probes import probes_router
from tm_gateway.routes_promotions import promotions_router
from tm_gateway.routes_registry import registry_router
from tm_gateway.routes_resource_shares import resource_shares_router
from tm_gateway.routes_risk import risk_router
from tm_gateway.routes_shares import shares_router
from tm_gateway.routes_strategies import strategies_router
from tm_gateway.spa import SpaStaticFiles
from tm_gateway.telemetry import instrument

_LOGGER = logging.getLogger(__name__)

_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        400: "Invalid request (see field_violations).",
        401: "Missing, invalid or expired token.",
        403: "The caller's roles do not allow this.",
        404: "Not found (or owned by someone else).",
        409: "Conflict: etag mismatch or name taken.",
        429: "Too many requests.",
        503: "A backend is unavailable.",
        504: "A backend did not answer in time.",
    }.items()
}
_FALLBACK_PAGE = """<!doctype html><html><head><title>TradeMaster</title></head>
<body><h1>TradeMaster Platform</h1><p>The UI is not built yet. See the
<a href="/docs">API documentation</a> and the <a href="/docs/api">gRPC API reference</a>.</p>
</body></html>"""


def domain_to_api_error(error: DomainError) -> ApiError:
    return ApiError(error.code, error.message, error.reason, error.field_violations())


def create_app(
    identity: IdentityService,
    backends: Backends,
    *,
    jwt_secret: str | KeyRing,
    jwt_issuer: str,
    static_dir: Path | None = None,
    max_upload_bytes: int = 1 << 30,
    audit: ActionAudit | None = None,
) -> FastAPI:
    """Build the HTTP app; ``identity`` and ``backends`` are opened and closed by the caller.
    With ``audit`` (the server always passes it), every mutating call, denial and
    authentication failure is recorded in the action audit."""
    app = FastAPI(
        title="TradeMaster Platform API",
        version="1.0.0",
        description="Strategies, datasets, training jobs, identity and the event stream (WebSocket "
        "`/api/v1/events`, protocol under `GET /api/v1/events`). Every error has the "
        "`ErrorBody` shape.",
        responses=_ERROR_RESPONSES,
    )
    if audit is not None:
        # Innermost: inside the request span (its trace id) and after the request id is set.
        app.add_middleware(AuditMiddleware, audit=audit)
    app.add_middleware(EdgeMiddleware, routes_of=app)
    app.add_middleware(RequestIdMiddleware)
    instrument(app)
    install_error_handlers(app)
    app.add_exception_handler(
        DomainError,
        lambda request, exc: error_response(domain_to_api_error(exc), request),  # type: ignore[arg-type]
    )

    caller = bearer_caller(identity, jwt_secret, jwt_issuer)
    authorized = route_authorized(caller)
    api = APIRouter(prefix="/api/v1")
    api.include_router(auth_router(identity, authorized))
    api.include_router(strategies_router(backends, authorized))
    api.include_router(shares_router(backends, identity, authorized))
    api.include_router(resource_shares_router(backends, identity, authorized))
    api.include_router(datasets_router(backends, authorized))
    api.include_router(jobs_router(backends, authorized))
    api.include_router(events_router(backends, caller))
    api.include_router(backtests_router(backends, authorized))
    api.include_router(registry_router(backends, authorized))
    api.include_router(deployments_router(backends, authorized))
    api.include_router(promotions_router(backends, authorized))
    api.include_router(dataset_uploads_router(backends, authorized, max_upload_bytes))
    api.include_router(risk_router(backends, authorized))
    api.include_router(compliance_router(backends, authorized))
    api.include_router(alerts_router(backends, authorized))
    api.include_router(admin_router(identity, authorized))
    api.include_router(audit_router(audit, authorized))
    app.include_router(api)
    app.include_router(api_reference_router())
    app.include_router(probes_router(identity, backends))

    document_formats(app)
    if static_dir is not None and static_dir.is_dir():
        app.mount("/", SpaStaticFiles(directory=static_dir, html=True), name="ui")
    else:

        @app.get("/", response_class=HTMLResponse, include_in_schema=False)
        async def index() -> str:
            return _FALLBACK_PAGE

    return app
