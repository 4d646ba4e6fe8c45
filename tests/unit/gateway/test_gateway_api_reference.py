"""``GET /docs/api`` serves the generated gRPC reference without a token (no server needed)."""

from unittest.mock import MagicMock

import pytest
from fastapi.testclient import TestClient
from tm_gateway.app import create_app

pytestmark = pytest.mark.unit


def test_api_reference_is_served_next_to_the_openapi_page() -> None:
    app = create_app(MagicMock(), MagicMock(), jwt_secret="s" * 32, jwt_issuer="trademaster")

    with TestClient(app) as http:
        reference = http.get("/docs/api")
        openapi = http.get("/docs")

    assert reference.status_code == 200
    assert reference.headers["content-type"].startswith("text/html")
    assert "TrainerService" in reference.text and "CreateTrainingJob" in reference.text
    assert "idempotent by request_id" in reference.text
    assert openapi.status_code == 200
