"""``GET /docs/api``: the gRPC API reference, next to the OpenAPI page at ``/docs``.

The page is generated from the protos and the services' code by
``scripts/gen_api_reference.py`` and committed (a contract test fails when it is stale), so
the gateway serves a file and needs no protoc at run time.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

REFERENCE_FILE = Path(__file__).parent / "api_reference" / "index.html"


@cache
def _reference() -> str:
    return REFERENCE_FILE.read_text(encoding="utf-8")


def api_reference_router() -> APIRouter:
    router = APIRouter(tags=["docs"])

    @router.get("/docs/api", response_class=HTMLResponse, summary="gRPC API reference")
    async def api_reference() -> HTMLResponse:
        """Every gRPC service, RPC, message, field and enum, with the error reasons,
        authorization and idempotency of each RPC (public, like ``/docs``)."""
        return HTMLResponse(_reference())

    return router
