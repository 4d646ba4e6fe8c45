"""Build the published client wheels and install them into a fresh virtualenv, the way another
team would: nothing from this repository on sys.path, no torch, no service kit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("trademaster-api", "trademaster-client")


def _uv() -> str:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed (scripts/bootstrap.sh installs it)")
    return uv


def build_wheels(out_dir: Path) -> dict[str, Path]:
    """``uv build --wheel`` of each package; returns package → wheel path."""
    uv = _uv()
    wheels = {}
    for package in PACKAGES:
        before = set(out_dir.glob("*.whl"))
        subprocess.run(
            [uv, "build", "--quiet", "--wheel", "--package", package, "--out-dir", str(out_dir)],
            cwd=ROOT,
            check=True,
        )
        (wheel,) = set(out_dir.glob("*.whl")) - before
        wheels[package] = wheel
    return wheels


def wheel_venv(work_dir: Path) -> Path:
    """A new virtualenv holding only the two wheels and their dependencies; its python."""
    uv = _uv()
    wheels = build_wheels(work_dir / "dist")
    venv = work_dir / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", "3.11", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(python), *map(str, wheels.values())],
        check=True,
    )
    return python
