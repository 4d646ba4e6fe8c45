"""buf lint and breaking-change checks of protos/ against the committed v1 image."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2
from proto_layout import BUF_BIN, DOMAINS, PROTOS_DIR, REPO_ROOT, V1_IMAGE

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def buf() -> Path:
    if not BUF_BIN.exists():
        pytest.fail(
            f"buf CLI not found at {BUF_BIN}; run `npm ci --prefix protos` to install pinned buf"
        )
    return BUF_BIN


def _run_buf(buf: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(buf), *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )


def _copy_protos(tmp_path: Path) -> Path:
    copy = tmp_path / "protos"
    shutil.copytree(PROTOS_DIR, copy, ignore=shutil.ignore_patterns("node_modules"))
    return copy


def test_protos_pass_buf_lint(buf: Path) -> None:
    result = _run_buf(buf, "lint", "protos")
    assert result.returncode == 0, f"buf lint failed:\n{result.stdout}{result.stderr}"


def test_protos_have_no_breaking_change_against_v1_image(buf: Path) -> None:
    result = _run_buf(buf, "breaking", "protos", "--against", str(V1_IMAGE))
    assert result.returncode == 0, (
        f"breaking change against {V1_IMAGE.name}:\n{result.stdout}{result.stderr}"
    )


def test_v1_image_holds_every_domain() -> None:
    image = descriptor_pb2.FileDescriptorSet.FromString(V1_IMAGE.read_bytes())
    packages = {file.package for file in image.file}
    expected = {f"trademaster.api.{domain}.v1" for domain in DOMAINS}
    assert expected <= packages, f"missing from image: {sorted(expected - packages)}"


def test_breaking_check_rejects_a_removed_field(buf: Path, tmp_path: Path) -> None:
    copy = _copy_protos(tmp_path)
    proto = copy / "trademaster" / "api" / "trainer" / "v1" / "trainer.proto"
    text = proto.read_text()
    removed = '  // Torch device the job trains on: "cpu" or "cuda"; empty while queued.\n'
    removed += "  string device = 11;\n"
    assert removed in text
    proto.write_text(text.replace(removed, ""))

    result = _run_buf(buf, "breaking", str(copy), "--against", str(V1_IMAGE))

    assert result.returncode != 0
    assert "device" in result.stdout + result.stderr


def test_lint_rejects_an_uncommented_field(buf: Path, tmp_path: Path) -> None:
    copy = _copy_protos(tmp_path)
    proto = copy / "trademaster" / "api" / "notifier" / "v1" / "notifier.proto"
    comment = "  // Seconds until the next heartbeat at the latest.\n"
    text = proto.read_text()
    assert comment in text
    proto.write_text(text.replace(comment, ""))

    result = _run_buf(buf, "lint", str(copy))

    assert result.returncode != 0
    assert "interval_seconds" in result.stdout + result.stderr


def test_installed_buf_matches_pinned_version(buf: Path) -> None:
    pinned = json.loads((PROTOS_DIR / "package.json").read_text())["devDependencies"]
    result = _run_buf(buf, "--version")
    assert result.stdout.strip() == pinned["@bufbuild/buf"], "run `npm ci --prefix protos`"
