"""ruff and mypy over the repository, so lint or type regressions fail the test run (CI)."""

import subprocess
import sys

import pytest
from proto_layout import REPO_ROOT

pytestmark = pytest.mark.contract

_TIMEOUT_S = 300


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m <tool> ...`` from the repository root (the tools read its pyproject)."""
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S,
        check=False,
    )


def _typed_paths() -> list[str]:
    """Hand-written code: the core library and every service package (generated api/ is
    excluded by [tool.mypy] in the root pyproject)."""
    services = sorted(p for p in (REPO_ROOT / "services").glob("*/tm_*") if p.is_dir())
    paths = [REPO_ROOT / "libs" / "trademaster" / "trademaster", *services]
    return [str(p.relative_to(REPO_ROOT)) for p in paths]


def test_ruff_check_and_format_are_clean() -> None:
    check = _run("ruff", "check", ".")
    assert check.returncode == 0, f"ruff check . failed:\n{check.stdout}{check.stderr}"
    fmt = _run("ruff", "format", "--check", ".")
    assert fmt.returncode == 0, f"ruff format --check . failed:\n{fmt.stdout}{fmt.stderr}"


def test_mypy_is_clean() -> None:
    paths = _typed_paths()
    assert len(paths) > 1, f"expected the library and service packages, found {paths}"
    result = _run("mypy", *paths)
    assert result.returncode == 0, f"mypy {' '.join(paths)} failed:\n{result.stdout}{result.stderr}"
