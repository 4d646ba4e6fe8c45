"""Which paths the single-page UI owns (deep links and reloads reach its router)."""

from __future__ import annotations

import pytest
from tm_gateway.spa import is_client_route

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "path",
    ["", "strategies", "strategies/42", "datasets/btc_daily.csv", "datasets/dj30/prices.parquet"],
)
def test_client_routes_fall_back_to_the_ui(path: str) -> None:
    assert is_client_route(path)


@pytest.mark.parametrize(
    "path",
    ["favicon.ico", "assets/index-abc.js", "assets/missing.css", "api/v1/x", "healthz", "docs"],
)
def test_files_and_api_paths_answer_real_404s(path: str) -> None:
    assert not is_client_route(path)
