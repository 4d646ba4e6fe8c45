"""``python -m trademaster.service.migrate`` (the k8s init step) is safe to run twice."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def _migrate(name: str, dsn: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TM_")}
    if dsn is not None:
        env[f"TM_{name.upper()}_DATABASE_URL"] = dsn
    return subprocess.run(
        [sys.executable, "-m", "trademaster.service.migrate", name],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_second_run_applies_nothing(fresh_database: str) -> None:
    first = _migrate("strategy", fresh_database)
    assert first.returncode == 0, first.stderr
    assert "applied 0 " not in first.stdout and "0001_" in first.stdout
    second = _migrate("strategy", fresh_database)
    assert second.returncode == 0, second.stderr
    assert "strategy: applied 0 migration(s) []" in second.stdout


def test_missing_dsn_is_a_configuration_error() -> None:
    result = _migrate("risk", None)
    assert result.returncode == 2
    assert "TM_RISK_DATABASE_URL is required" in result.stderr
