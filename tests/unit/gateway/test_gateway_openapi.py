"""The OpenAPI document builds and lists every public route (no server needed)."""

from unittest.mock import MagicMock

import pytest
from tm_gateway.app import create_app

pytestmark = pytest.mark.unit

EXPECTED_PATHS = {
    "/api/v1/auth/login",
    "/api/v1/strategies",
    "/api/v1/strategies/{strategy_id}",
    "/api/v1/datasets",
    "/api/v1/training-jobs",
    "/api/v1/training-jobs/{job_id}:pause",
    "/api/v1/backtests",
    "/api/v1/backtests/{backtest_id}/result",
    "/api/v1/events",
    "/api/v1/accounts",
    "/api/v1/accounts/{account_id}/orders",
    "/api/v1/accounts/{account_id}/orders/{client_order_id}:cancel",
    "/api/v1/accounts/{account_id}/trading-state/changes",
    "/api/v1/decisions",
    "/api/v1/kill-switch",
    "/healthz",
    "/readyz",
}


def test_openapi_builds_with_every_router_mounted() -> None:
    app = create_app(MagicMock(), MagicMock(), jwt_secret="s" * 32, jwt_issuer="trademaster")

    schema = app.openapi()

    assert set(schema["paths"]) >= EXPECTED_PATHS
    assert "bearer" in str(schema["components"]["securitySchemes"]).lower()
