"""Export a dataset file as Parquet or CSV in the platform's canonical columns.

What is written is what training and backtests read (the loader of the file's kind: bars with
``date``/``tic``/``open``..``volume``, order books with their ``date``), so an export loads back
to the same frame. The file is read once into memory, as the loaders do, and written to
``target``; callers stream the written file, never a second copy of it in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from trademaster.data.catalog import file_kind, load_dataset
from trademaster.data.loaders import DatasetError

EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    "parquet": (".parquet", "application/vnd.apache.parquet"),
    "csv": (".csv", "text/csv"),
}
"""Format name -> (file suffix, IANA media type)."""


@dataclass(frozen=True)
class Export:
    """A written export: where, in which format, how many rows of which kind."""

    path: Path
    format: str
    kind: str
    rows: int

    @property
    def media_type(self) -> str:
        return EXPORT_FORMATS[self.format][1]


def export_dataset(source: Path, target: Path, fmt: str = "parquet") -> Export:
    """Write ``source`` (CSV or Parquet) to ``target`` as ``fmt`` in canonical columns.

    Raises:
        ValueError: ``fmt`` is not ``parquet`` or ``csv``.
        DatasetError: the file is neither bars nor an order book, or cannot be parsed.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {sorted(EXPORT_FORMATS)}, was {fmt!r}")
    try:
        kind = file_kind(source)
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{source.name} cannot be read: {exc}") from exc
    if kind is None:
        raise DatasetError(f"{source.name} has neither bar nor order-book columns")
    frame = load_dataset(source, kind)
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        frame.to_parquet(target, index=False)
    else:
        frame.to_csv(target, index=False)
    return Export(path=target, format=fmt, kind=kind, rows=len(frame))


__all__ = ["EXPORT_FORMATS", "Export", "export_dataset"]
