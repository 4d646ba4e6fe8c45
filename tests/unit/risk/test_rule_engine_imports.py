"""The rule engine is a pure library: importing it pulls in neither torch nor the service kit,
so the risk service, backtests and envs can all load the same rules."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit


def test_the_rule_engine_imports_without_torch_or_the_service_kit() -> None:
    code = (
        "import sys, trademaster.risk.engine, trademaster.risk.breakers, trademaster.risk.book;"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('trademaster.service')"
        " or m.startswith('tm_') or m == 'grpc'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"
