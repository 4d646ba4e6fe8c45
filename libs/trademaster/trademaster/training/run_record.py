"""Run provenance: what was trained, on what data, with which code and libraries."""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

_LOGGER = logging.getLogger(__name__)


def canonical_json(value: Any) -> str:
    """Key-sorted, whitespace-free JSON: equal configs give equal strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def config_hash(config: Any) -> str:
    """sha256 of the canonical JSON of ``config`` (a dict or a pydantic model)."""
    if hasattr(config, "model_dump"):
        config = config.model_dump(mode="json")
    return hashlib.sha256(canonical_json(config).encode()).hexdigest()


def file_hash(path: str | Path) -> str:
    """sha256 of a file's bytes, or of every file under a directory in sorted order."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        with file.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def _library_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def git_revision(cwd: str | Path | None = None) -> str | None:
    """HEAD commit of the checkout holding the library, or None outside git."""
    cwd = Path(cwd) if cwd is not None else Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # git from PATH, fixed arguments  # nosec B607
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


@dataclass(frozen=True)
class RunRecord:
    """Everything needed to say how a run was produced (stored in checkpoints and run dirs)."""

    seed: int
    config_hash: str
    dataset_hash: str | None
    device: str
    versions: dict[str, str | None]
    git_revision: str | None
    start_time: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        return cls(**data)


def create_run_record(
    *,
    seed: int,
    config: Any,
    dataset_hash: str | None = None,
    device: str = "cpu",
    extra: dict[str, Any] | None = None,
) -> RunRecord:
    """Capture seed, config hash, data hash, library versions, git revision, device, time."""
    versions = {
        "python": platform.python_version(),
        "torch": _library_version("torch"),
        "numpy": _library_version("numpy"),
        "trademaster": _library_version("trademaster"),
    }
    return RunRecord(
        seed=seed,
        config_hash=config_hash(config),
        dataset_hash=dataset_hash,
        device=str(device),
        versions=versions,
        git_revision=git_revision(),
        start_time=datetime.now(UTC).isoformat(),
        extra=dict(extra or {}),
    )
