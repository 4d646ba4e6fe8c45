"""Where the local stack keeps its state (the same rules as `./tm up`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def local_var_dir(repo_root: Path, environ: Mapping[str, str]) -> Path:
    """`TM_LOCAL_VAR_DIR`, else `<repo>/var` (see `trademaster.service.localstack.local`)."""
    return Path(environ.get("TM_LOCAL_VAR_DIR") or repo_root / "var").absolute()
