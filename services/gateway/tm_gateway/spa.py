"""Static files of the single-page UI, with client routes falling back to ``index.html``."""

from __future__ import annotations

import logging
from pathlib import PurePosixPath

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

_LOGGER = logging.getLogger(__name__)

NOT_UI_PREFIXES = ("api/", "docs", "openapi.json", "redoc", "healthz", "readyz", "metrics")
"""Paths that must answer a real 404, never the UI page."""


STATIC_DIRS = ("assets/",)
"""Where the UI build puts its files; a missing file there is a real 404."""


def is_client_route(path: str) -> bool:
    """True for paths the SPA router owns: not an API path and not a file of the build.

    Files live at the top level (``favicon.ico``) or under ``assets/``; a deeper path with a
    suffix is a route whose id has a dot in it (``datasets/btc_daily.csv``), not a file.
    """
    if path.startswith(NOT_UI_PREFIXES) or path.startswith(STATIC_DIRS):
        return False
    return "/" in path.strip("/") or not PurePosixPath(path).suffix


class SpaStaticFiles(StaticFiles):
    """``StaticFiles(html=True)`` that answers ``index.html`` for unknown client routes, so a
    reload of ``/strategies/42`` reaches the UI router instead of a 404."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as error:
            if error.status_code != 404 or not is_client_route(path):
                raise
            return await super().get_response("index.html", scope)
