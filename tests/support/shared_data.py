"""Where the read-only shared market data lives for tests."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_data_path() -> Path:
    """`$TM_SHARED_DATA`, else `<repo>/../shared/data/trademaster` (may not exist)."""
    configured = os.environ.get("TM_SHARED_DATA")
    if configured:
        return Path(configured)
    return REPO_ROOT.parent / "shared" / "data" / "trademaster"
