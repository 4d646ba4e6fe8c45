"""Side-by-side comparison of model versions: pure functions over plain values."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

BACKTEST_PREFIX = "backtest/"


def metric_table(per_version: Sequence[Mapping[str, float]]) -> list[tuple[str, list[float]]]:
    """Every metric name any version has, sorted, with one value per version (NaN if absent)."""
    names = sorted({name for metrics in per_version for name in metrics})
    return [(name, [float(m.get(name, math.nan)) for m in per_version]) for name in names]


def with_backtest_metrics(
    metrics: Mapping[str, float], backtest_metrics: Mapping[str, float] | None
) -> dict[str, float]:
    """Training metrics plus the chosen backtest's metrics under ``backtest/``."""
    merged = dict(metrics)
    for name, value in (backtest_metrics or {}).items():
        merged[f"{BACKTEST_PREFIX}{name}"] = value
    return merged


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Leaves of a JSON document as ``dotted.path → JSON text`` (lists are leaves)."""
    if isinstance(value, Mapping) and value:
        flat: dict[str, str] = {}
        for key in value:
            path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten(value[key], path))
        return flat
    return {prefix: json.dumps(value, sort_keys=True)} if prefix else {}


def differing_settings(specs: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[str]]]:
    """Run spec paths whose values are not the same in every version ("" where absent)."""
    flats = [flatten(spec) for spec in specs]
    paths = sorted({path for flat in flats for path in flat})
    rows = []
    for path in paths:
        values = [flat.get(path, "") for flat in flats]
        if len(set(values)) > 1:
            rows.append((path, values))
    return rows
