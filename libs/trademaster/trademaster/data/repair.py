"""Repairs chosen from a quality report, applied as a NEW dataset version.

The source file is only read. The repaired frame is written to a new file next to a version
record (``<file>.version.json``) naming the source's content hash and every repair with its
parameters and how many rows it touched, so a run trained on the new version can say exactly
what was done to its data.

Repairs, applied in this order on the canonical long frame (``load_ohlcv``):

- ``drop_duplicates``: keep the first row of each (date, tic).
- ``drop_instruments``: drop instruments with fewer bars than ``min_coverage`` of the
  dataset's distinct timestamps.
- ``outliers``: ``drop`` the bars whose log return has a robust z-score above ``outlier_z``
  (same statistic as the quality report), or ``winsorize`` them: the close is moved to the
  clipped return and open/high/low scale with it.
- ``fill_gaps``: bars missing inside an instrument's range (against the timestamps other
  instruments have), in runs of at most ``max_gap``, are added by ``ffill`` (open = high = low
  = close = last close) or ``interpolate`` (close linear in time, open = high = low = close);
  filled bars have volume 0. Longer gaps stay gaps.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from trademaster.data.loaders import load_ohlcv

PRICES = ("open", "high", "low", "close")


class RepairSpec(BaseModel):
    """Which repairs to apply; everything is off by default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    drop_duplicates: bool = False
    min_coverage: float | None = Field(
        None, gt=0, le=1, description="Drop instruments with fewer bars than this share."
    )
    outliers: Literal["keep", "drop", "winsorize"] = "keep"
    outlier_z: float = Field(8.0, gt=0, description="Robust z-score threshold of log returns.")
    fill_gaps: Literal["none", "ffill", "interpolate"] = "none"
    max_gap: int = Field(3, ge=1, le=1000, description="Longest run of missing bars filled.")


class AppliedRepair(BaseModel):
    name: str
    params: dict[str, Any] = Field(default_factory=dict)
    rows_affected: int
    detail: dict[str, Any] = Field(default_factory=dict)


class VersionRecord(BaseModel):
    """What a repaired version is made of."""

    source: str = Field(..., description="Source dataset id or path.")
    source_content_hash: str
    content_hash: str
    created_at: datetime
    spec: RepairSpec
    repairs: list[AppliedRepair]
    rows_before: int
    rows_after: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _robust_z(df: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Robust z-score, log return, median and scale per row (scale: 1.4826 MAD, else std)."""
    logc = np.log(df["close"].where(df["close"] > 0))
    r = logc.groupby(df["tic"]).diff()
    med = r.groupby(df["tic"]).transform("median")
    mad = (r - med).abs().groupby(df["tic"]).transform("median") * 1.4826
    scale = mad.where(mad > 0, r.groupby(df["tic"]).transform("std"))
    return ((r - med) / scale).where(scale > 0).fillna(0.0), r, med, scale


def _outliers(df: pd.DataFrame, spec: RepairSpec) -> tuple[pd.DataFrame, AppliedRepair]:
    z, r, med, scale = _robust_z(df)
    flagged = z.abs() > spec.outlier_z
    params = {"mode": spec.outliers, "outlier_z": spec.outlier_z}
    if spec.outliers == "drop":
        out = df[~flagged]
    else:
        out = df.copy()
        bound = spec.outlier_z * scale
        clipped = np.clip(r, med - bound, med + bound)
        prev = df.groupby("tic")["close"].shift(1)
        target = prev * np.exp(clipped)
        ratio = (target / df["close"]).where(flagged, 1.0)
        for col in PRICES:
            out[col] = df[col] * ratio
    return out, AppliedRepair(name="outliers", params=params, rows_affected=int(flagged.sum()))


def _fill(df: pd.DataFrame, spec: RepairSpec) -> tuple[pd.DataFrame, AppliedRepair]:
    stamps = pd.DatetimeIndex(np.unique(df["date"].to_numpy()))
    parts, filled = [], 0
    for tic, part in df.groupby("tic", sort=True):
        part = part.set_index("date")
        grid = stamps[(stamps >= part.index[0]) & (stamps <= part.index[-1])]
        full = part.reindex(grid)
        missing = full["close"].isna() & ~grid.isin(part.index)
        run_id = (missing != missing.shift()).cumsum()
        run_len = missing.groupby(run_id).transform("sum")
        fill = missing & (run_len <= spec.max_gap)
        if spec.fill_gaps == "ffill":
            close = full["close"].ffill()
        else:
            close = full["close"].interpolate(method="time", limit_area="inside")
        for col in PRICES:
            full.loc[fill, col] = close[fill]
        if "volume" in full.columns:
            full.loc[fill, "volume"] = 0.0
        other = [c for c in full.columns if c not in (*PRICES, "volume")]
        full.loc[fill, other] = full[other].ffill()[fill]
        full = full[~missing | fill]
        full["tic"] = tic
        filled += int(fill.sum())
        parts.append(full.rename_axis("date").reset_index())
    out = pd.concat(parts, ignore_index=True)[df.columns]
    params = {"method": spec.fill_gaps, "max_gap": spec.max_gap}
    return out, AppliedRepair(name="fill_gaps", params=params, rows_affected=filled)


def repair_frame(df: pd.DataFrame, spec: RepairSpec) -> tuple[pd.DataFrame, list[AppliedRepair]]:
    """Apply ``spec`` to a canonical long frame; returns the new frame and what was done."""
    out = df.sort_values(["tic", "date"], kind="stable").reset_index(drop=True)
    done: list[AppliedRepair] = []
    if spec.drop_duplicates:
        dup = out.duplicated(["date", "tic"], keep="first")
        out = out[~dup]
        done.append(AppliedRepair(name="drop_duplicates", rows_affected=int(dup.sum())))
    if spec.min_coverage is not None:
        stamps = out["date"].nunique()
        counts = out.groupby("tic").size()
        thin = sorted(counts.index[counts < spec.min_coverage * stamps])
        dropped = out["tic"].isin(thin)
        out = out[~dropped]
        done.append(
            AppliedRepair(
                name="drop_instruments",
                params={"min_coverage": spec.min_coverage},
                rows_affected=int(dropped.sum()),
                detail={"instruments": thin},
            )
        )
    if spec.outliers != "keep" and len(out):
        out, applied = _outliers(out, spec)
        done.append(applied)
    if spec.fill_gaps != "none" and len(out):
        out, applied = _fill(out, spec)
        done.append(applied)
    out = out.sort_values(["date", "tic"], kind="stable").reset_index(drop=True)
    return out, done


def repair_file(
    source: str | Path, destination: str | Path, spec: RepairSpec, *, source_id: str | None = None
) -> VersionRecord:
    """Write the repaired version of ``source`` to ``destination`` (.csv or .parquet) and its
    record to ``<destination>.version.json``; the source is never written.

    Raises:
        ValueError: ``destination`` is the source, exists already, or has another suffix.
    """
    src, dst = Path(source).resolve(), Path(destination).resolve()
    if src == dst or dst.exists():
        raise ValueError(f"destination must be a new file, was {dst}")
    if dst.suffix.lower() not in (".csv", ".parquet"):
        raise ValueError(f"destination must end in .csv or .parquet, was {dst.name!r}")
    before = load_ohlcv(src)
    after, done = repair_frame(before, spec)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".partial")
    if dst.suffix.lower() == ".csv":
        after.to_csv(tmp, index=False)
    else:
        after.to_parquet(tmp, index=False)
    tmp.replace(dst)
    record = VersionRecord(
        source=source_id or str(src),
        source_content_hash=_sha256(src),
        content_hash=_sha256(dst),
        created_at=datetime.now(UTC),
        spec=spec,
        repairs=done,
        rows_before=len(before),
        rows_after=len(after),
    )
    dst.with_name(dst.name + ".version.json").write_text(record.model_dump_json(indent=2))
    return record


def read_version_record(path: str | Path) -> VersionRecord | None:
    """The record written next to a repaired file, or None for an original."""
    sidecar = Path(path).with_name(Path(path).name + ".version.json")
    if not sidecar.is_file():
        return None
    return VersionRecord.model_validate(json.loads(sidecar.read_text()))
