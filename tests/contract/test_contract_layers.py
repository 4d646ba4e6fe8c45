"""Layering is enforced by import-linter (contracts in .importlinter): the contracts hold, and
the checker really fails when one layer imports what its contract forbids."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / ".importlinter"
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), str(CONTRACTS), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def _contract_count() -> int:
    parser = configparser.ConfigParser()
    parser.read(CONTRACTS)
    return sum(1 for section in parser.sections() if section.startswith("importlinter:contract:"))


def test_layering_contracts_hold() -> None:
    done = _lint()
    assert done.returncode == 0, done.stdout[-3_000:] + done.stderr[-2_000:]
    assert f"{_contract_count()} kept, 0 broken" in done.stdout


def test_every_service_package_is_under_the_independence_contract() -> None:
    parser = configparser.ConfigParser()
    parser.read(CONTRACTS)
    independent = set(parser["importlinter:contract:services-are-independent"]["modules"].split())
    assert independent == {package.name for package in ROOT.glob("services/*/tm_*")}


@pytest.mark.parametrize(
    ("module", "violation", "chain"),
    [
        (
            "trademaster/market/costs.py",
            "import trademaster.service.events",
            "trademaster.market.costs -> trademaster.service.events",
        ),
        ("tm_gateway/http_errors.py", "import torch", "tm_gateway.http_errors -> torch"),
        ("tm_risk/config.py", "import tm_trainer.config", "tm_risk.config -> tm_trainer.config"),
        (
            "trademaster/service/paging.py",
            "import trademaster.runner.reports",
            "trademaster.service.paging -> trademaster.runner.reports",
        ),
    ],
    ids=["core-imports-kit", "gateway-imports-torch", "risk-imports-trainer", "kit-imports-runner"],
)
def test_a_deliberate_violation_breaks_the_build(
    tmp_path: Path, module: str, violation: str, chain: str
) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "node_modules", "static")
    shutil.copytree(ROOT / "libs/trademaster/trademaster", tmp_path / "trademaster", ignore=ignore)
    for package in ROOT.glob("services/*/tm_*"):
        shutil.copytree(package, tmp_path / package.name, ignore=ignore)
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{violation}  # deliberate\n")

    done = _lint({**os.environ, "PYTHONPATH": str(tmp_path)})

    assert done.returncode != 0
    assert "BROKEN" in done.stdout
    assert chain in done.stdout, done.stdout[-3_000:]
