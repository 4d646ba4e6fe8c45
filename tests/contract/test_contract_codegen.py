"""The committed generated code is exactly what scripts/gen_protos.sh produces from protos/."""

import subprocess
from pathlib import Path

import pytest
from proto_layout import API_PACKAGE_DIR, GEN_SCRIPT

pytestmark = pytest.mark.contract


def _generated_files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_committed_generated_code_matches_fresh_generation(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", str(GEN_SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"codegen failed:\n{result.stdout}{result.stderr}"

    fresh = _generated_files(tmp_path / "trademaster" / "api")
    committed = _generated_files(API_PACKAGE_DIR)

    assert sorted(fresh) == sorted(committed), "generated file set differs; run gen_protos.sh"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"stale generated files {stale}; run scripts/gen_protos.sh and commit"


def test_codegen_emits_no_warnings(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", str(GEN_SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0
    assert result.stdout + result.stderr == ""
