"""Where users' dataset versions live under a data root, and the sidecar that says whose they are.

The strategy service owns users' datasets: it writes each file to
``<root>/uploads/<hex>/data.<suffix>`` (dataset id ``ds_<hex>``) and, next to it,
``data.<suffix>.meta.json`` with the owner and the quality status. Services that read dataset
files themselves (backtests) use the sidecar to refuse other owners' and blocked data.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from pydantic import BaseModel, Field

UPLOADS_DIR = "uploads"
_USER_ID = re.compile(r"^ds_[0-9a-f]{32}$")
SUFFIXES = (".csv", ".csv.gz", ".parquet")


class DatasetMeta(BaseModel):
    dataset_id: str
    owner_id: str
    content_hash: str
    quality_status: str = Field(..., description="clean, warnings or blocked")
    error_codes: list[str] = Field(default_factory=list)


def is_user_dataset_id(dataset_id: str) -> bool:
    return bool(_USER_ID.match(dataset_id))


def normal_suffix(filename: str) -> str | None:
    """``.csv``, ``.csv.gz`` or ``.parquet`` (``.pq`` counts as Parquet); None otherwise."""
    lowered = filename.lower()
    if lowered.endswith(".csv.gz"):
        return ".csv.gz"
    if lowered.endswith((".parquet", ".pq")):
        return ".parquet"
    if lowered.endswith(".csv"):
        return ".csv"
    return None


def user_relative_path(dataset_id: str, suffix: str) -> Path:
    """Path of a user's dataset file relative to the data root."""
    if not is_user_dataset_id(dataset_id) or suffix not in SUFFIXES:
        raise ValueError(f"not a user dataset id/suffix: {dataset_id!r}, {suffix!r}")
    return Path(UPLOADS_DIR) / dataset_id[3:] / f"data{suffix}"


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def write_meta(path: Path, meta: DatasetMeta) -> None:
    tmp = _sidecar(path).with_name(f".{_sidecar(path).name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(meta.model_dump_json())
    tmp.replace(_sidecar(path))


def read_meta(path: Path) -> DatasetMeta | None:
    sidecar = _sidecar(path)
    if not sidecar.is_file():
        return None
    return DatasetMeta.model_validate(json.loads(sidecar.read_text()))
