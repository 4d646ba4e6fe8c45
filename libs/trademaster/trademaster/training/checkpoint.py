"""Single-file checkpoints written atomically, with a ``latest`` pointer per directory."""

from __future__ import annotations

import logging
import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

_LOGGER = logging.getLogger(__name__)

LATEST_POINTER = "latest"


def capture_global_rng() -> dict[str, Any]:
    """States of the process-wide python, numpy and torch RNGs."""
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_global_rng(state: dict[str, Any]) -> None:
    """Inverse of :func:`capture_global_rng`."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _atomic_write_bytes(path: Path, write: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_checkpoint(directory: str | Path, payload: dict[str, Any], *, step: int) -> Path:
    """Write ``payload`` to ``directory/step_<step>.pt`` atomically and point ``latest`` at it."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"step_{step:012d}.pt"
    _atomic_write_bytes(path, lambda handle: torch.save(payload, handle))
    _atomic_write_bytes(directory / LATEST_POINTER, lambda handle: handle.write(path.name.encode()))
    _LOGGER.info("checkpoint.saved path=%s step=%d", path, step)
    return path


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint file, or the one a directory's ``latest`` pointer names."""
    path = Path(path)
    if path.is_dir():
        pointer = path / LATEST_POINTER
        if not pointer.is_file():
            nested = path / "checkpoints" / LATEST_POINTER
            if not nested.is_file():
                raise FileNotFoundError(f"no '{LATEST_POINTER}' pointer in {path}")
            pointer = nested
        path = pointer.parent / pointer.read_text().strip()
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint file not found: {path}")
    return path


def load_checkpoint(
    path: str | Path, *, map_location: str | torch.device = "cpu"
) -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` (file or directory).

    Checkpoints hold RNG states and python objects, so they are unpickled in full: only load
    files this platform wrote.
    """
    resolved = resolve_checkpoint(path)
    # Only checkpoints this platform wrote (see above); they hold optimizer state and numpy RNG
    # state that weights_only=True cannot load.
    return torch.load(resolved, map_location=map_location, weights_only=False)  # nosec B614
