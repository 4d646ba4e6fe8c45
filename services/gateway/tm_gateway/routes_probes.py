"""Liveness and readiness probes (outside ``/api/v1``, no token)."""

import grpc
from fastapi import APIRouter
from psycopg import Error as PsycopgError

from tm_gateway import api_models as m
from tm_gateway.backends import Backends
from tm_gateway.http_errors import ApiError
from tm_gateway.identity import IdentityService

TAG = "probes"


def probes_router(identity: IdentityService, backends: Backends) -> APIRouter:
    router = APIRouter(tags=[TAG])

    @router.get("/healthz", response_model=m.HealthResponse)
    async def healthz() -> m.HealthResponse:
        """The process is up."""
        return m.HealthResponse(status="ok")

    @router.get("/readyz", response_model=m.ReadyResponse)
    async def readyz() -> m.ReadyResponse:
        """Every backend SERVING on gRPC health and the identity database answering."""
        checks = await backends.health()
        try:
            await identity.store.ping()
            checks["database"] = "ok"
        except (PsycopgError, OSError) as error:
            checks["database"] = f"error: {type(error).__name__}"
        failing = {k: v for k, v in checks.items() if v not in ("SERVING", "ok")}
        if failing:
            raise ApiError(
                grpc.StatusCode.UNAVAILABLE,
                "not ready: " + ", ".join(f"{k}={v}" for k, v in sorted(failing.items())),
                reason="NOT_READY",
                field_violations=sorted(failing.items()),
            )
        return m.ReadyResponse(status="ready", checks=checks)

    return router
