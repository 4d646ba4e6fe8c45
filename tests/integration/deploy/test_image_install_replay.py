"""Each torch-free service image's Python install, replayed without Docker (support.dockerfiles).

Copies exactly what the base builder stage and the service's build stage COPY (with
.dockerignore), runs the same ``install-venv`` commands (``uv sync --frozen`` from uv.lock,
non-editable), then deletes the sources, as the final stage does by copying only the venv, and
starts the service's entrypoint from that venv: it must get as far as reading its settings.
A workspace package the Dockerfile forgets to copy, or an import the package does not declare
(tm-risk once imported torch without depending on it), fails here. Images whose closure has
torch get the machine's local CPU wheel in place of the PyTorch index download (see
support.dockerfiles); without one (no /opt/wheels) those cases skip.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from support.dockerfiles import CPU_TORCH_WHEEL, ROOT, replay_build
from trademaster.service.localstack import SERVICE_NAMES

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WITH_TORCH = {"trainer", "backtest"}
ENV = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}


def _needs_torch_wheel(name: str) -> None:
    if name in WITH_TORCH and CPU_TORCH_WHEEL is None:
        pytest.skip("no local CPU torch wheel (/opt/wheels) and the PyTorch index is unreachable")


WITH_DATABASE = {"gateway", "strategy", "trainer", "backtest", "risk"}


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_image_venv_runs_the_service_without_the_sources(
    name: str, tmp_path: Path, fresh_database: str
) -> None:
    _needs_torch_wheel(name)
    replay = replay_build(ROOT / "services" / name / "Dockerfile", tmp_path)
    python = replay.venv / "bin/python"
    assert python.exists(), replay.log
    shutil.rmtree(tmp_path / "src")  # the final stage has only /opt/venv
    imports = f"import tm_{name}.server, trademaster.api.risk.v1.risk_pb2, trademaster_client"
    checked = subprocess.run([str(python), "-c", imports], cwd="/", env=ENV, capture_output=True)
    assert checked.returncode == 0, checked.stderr.decode()
    # The entrypoint with no configuration: exits 2 naming the settings it needs (not an
    # ImportError), so everything it imports is in the venv.
    started = subprocess.run(
        [str(python), "-m", f"tm_{name}"],
        cwd="/",
        env={**ENV, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 2, started.stderr
    assert f"TM_{name.upper()}_JWT_SECRET is required" in started.stderr, started.stderr
    if name in WITH_DATABASE:
        # The pods' init container, from the image's venv: the SQL migrations ship in the
        # wheel, and a second run applies nothing.
        migrate = [str(python), "-m", "trademaster.service.migrate", name]
        env = {**ENV, f"TM_{name.upper()}_DATABASE_URL": fresh_database}
        for run in ("first", "second"):
            done = subprocess.run(
                migrate, cwd="/", env=env, capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 0, done.stderr
            applied_none = f"{name}: applied 0 migration(s) []" in done.stdout
            assert applied_none == (run == "second"), done.stdout
    installed = {path.name for path in replay.venv.glob("lib/python*/site-packages/*")}
    assert not [entry for entry in installed if entry.endswith(".pth") and "editable" in entry]
    assert not {"pytest", "ruff", "mypy"} & installed, "dev dependencies in the image"


def test_ray_image_venv_runs_training_jobs_without_the_sources(tmp_path: Path) -> None:
    """The KubeRay head/worker image: Ray plus the library the trainer's jobs run."""
    _needs_torch_wheel("trainer")
    replay = replay_build(ROOT / "services/trainer/ray.Dockerfile", tmp_path)
    shutil.rmtree(tmp_path / "src")
    checked = subprocess.run(
        [
            str(replay.venv / "bin/python"),
            "-c",
            "import ray, torch, trademaster.training.ray_job, trademaster.api.trainer.v1",
        ],
        cwd="/",
        env=ENV,
        capture_output=True,
    )
    assert checked.returncode == 0, checked.stderr.decode()
    assert (replay.venv / "bin/ray").exists(), "KubeRay runs `ray start` from the image"
