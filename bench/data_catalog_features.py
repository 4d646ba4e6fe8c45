"""Benchmark: catalog scan (cold vs cached) and feature computation throughput.

Prints one JSON line per measurement and a summary line. Bounded: one cold and a few warm
scans, features on a synthetic 30-asset x 2000-day frame.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from trademaster.data.catalog import Catalog
from trademaster.data.features import add_features
from trademaster.data.synthetic import gbm, write_synthetic_dataset

MACHINE = f"{platform.machine()}-{os.cpu_count()}cpu"
FEATURES = [
    "zfeatures",
    "return",
    "log_return",
    "sma_20",
    "ema_20",
    "rsi",
    "macd",
    "bollinger",
    "atr",
    "volatility_20",
]


def emit(bench: str, value: float, unit: str, n: int) -> dict[str, object]:
    line = {"bench": bench, "value": round(value, 6), "unit": unit, "n": n, "machine": MACHINE}
    print(json.dumps(line))
    return line


def scan(root: Path, label: str) -> list[dict[str, object]]:
    catalog = Catalog([root])
    start = time.perf_counter()
    n = len(catalog.list())
    cold = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(5):
        catalog.list()
    warm = (time.perf_counter() - start) / 5
    return [
        emit(f"data.catalog_cold_scan.{label}", cold, "s", n),
        emit(f"data.catalog_cached_scan.{label}", warm, "s", n),
        emit(f"data.catalog_cache_speedup.{label}", cold / warm, "x", n),
    ]


def main() -> None:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(200):
            write_synthetic_dataset(Path(tmp) / f"d{i:03d}.csv", gbm(250, 2, seed=i))
        results += scan(Path(tmp), "synthetic200")
    shared = Path(
        os.environ.get(
            "TM_SHARED_DATA",
            Path(__file__).resolve().parents[1].parent / "shared" / "data" / "trademaster",
        )
    )
    if shared.is_dir():
        results += scan(shared, "trademaster")
    df = gbm(2000, 30, seed=0)
    start = time.perf_counter()
    add_features(df, FEATURES)
    elapsed = time.perf_counter() - start
    results.append(emit("data.add_features_rows_per_s", len(df) / elapsed, "rows/s", len(df)))
    print(json.dumps({"summary": {r["bench"]: r["value"] for r in results}}), file=sys.stdout)


if __name__ == "__main__":
    main()
