"""Fixtures for data tests: the shared TradeMaster data directory (skip when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[3]


def shared_data_dir() -> Path:
    """``$TM_SHARED_DATA`` or ``<repo>/../shared/data/trademaster``."""
    env = os.environ.get("TM_SHARED_DATA")
    return Path(env) if env else _REPO.parent / "shared" / "data" / "trademaster"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    root = shared_data_dir()
    if not root.is_dir():
        pytest.skip(f"shared TradeMaster data not found at {root} (set TM_SHARED_DATA)")
    return root
