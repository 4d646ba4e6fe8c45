"""Quality-report throughput (rows/s) and peak memory: 10 M-row synthetic bars and SSE50 hourly.

Each measurement runs in a fresh interpreter so its peak RSS (ru_maxrss) is its own; the peer
in the same run is the plain loader (``load_ohlcv``) on the same file, i.e. what reading alone
costs. The synthetic file is 100 instruments x 100 000 one-minute bars (24x7) with a few
injected defects, written once to a temp dir (about 0.8 GB of CSV). JSON line per
measurement, then a summary.

    nice -n 10 .venv/bin/python bench/data_quality.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

MACHINE = f"{platform.machine()}-{platform.node()}-py{platform.python_version()}"
SSE50 = (
    Path(__file__).resolve().parents[1].parent
    / "shared/data/trademaster/portfolio_management/sse50"
)


def synthetic(path: Path, rows: int, instruments: int = 100, seed: int = 0) -> None:
    """Long bars, written in instrument blocks so memory stays at one block."""
    rng = np.random.default_rng(seed)
    per = rows // instruments
    start = np.datetime64("2024-01-01T00:00", "m")
    stamps = (start + np.arange(per)).astype("datetime64[s]").astype(str)
    writer = None
    for k in range(instruments):
        close = 100 * np.exp(np.cumsum(rng.normal(0, 1e-3, per)))
        open_ = close * (1 + rng.normal(0, 2e-4, per))
        high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 1e-4, per)))
        low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 1e-4, per)))
        volume = rng.integers(1, 1000, per).astype(float)
        if k % 10 == 0:  # defects (warnings only): a spike, a missing value, a hole
            for arr in (open_, high, low, close):
                arr[per // 2] *= 5
            volume[per // 3] = np.nan
        keep = np.ones(per, bool)
        if k % 7 == 0:
            keep[per // 4 : per // 4 + 30] = False
        table = pa.table(
            {
                "date": stamps[keep],
                "tic": np.full(keep.sum(), f"S{k:03d}"),
                "open": open_[keep],
                "high": high[keep],
                "low": low[keep],
                "close": close[keep],
                "volume": volume[keep],
            }
        )
        if writer is None:
            writer = pacsv.CSVWriter(str(path), table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def one(path: str, what: str) -> None:
    """Child: time one run and print its figures as JSON."""
    from trademaster.data.loaders import load_ohlcv
    from trademaster.data.quality import check_file

    start = time.perf_counter()
    if what == "quality":
        report = check_file(path)
        rows, extra = report.rows, {"status": report.status, "findings": len(report.findings)}
    else:
        rows, extra = len(load_ohlcv(path)), {}
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mib": peak_mib, **extra}))


def measure(path: Path, what: str, label: str) -> dict:
    out = (
        subprocess.run(
            [sys.executable, __file__, "--one", str(path), "--what", what],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    got = json.loads(out)
    row = {
        "bench": f"data_{what}_{label}",
        "value": round(got["rows"] / got["seconds"]),
        "unit": "rows/s",
        "n": got["rows"],
        "seconds": round(got["seconds"], 2),
        "peak_mib": round(got["peak_mib"]),
        "bytes": path.stat().st_size,
        "machine": MACHINE,
    }
    row.update({k: v for k, v in got.items() if k in ("status", "findings")})
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--one")
    parser.add_argument("--what", default="quality")
    args = parser.parse_args()
    if args.one:
        one(args.one, args.what)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bars.csv"
        synthetic(path, args.rows)
        for what in ("load", "quality"):
            rows.append(measure(path, what, "synthetic"))
    for name in ("valid.csv", "test.csv"):
        if (SSE50 / name).exists():
            for what in ("load", "quality"):
                rows.append(measure(SSE50 / name, what, f"sse50_{name[:-4]}"))
    print("summary:")
    for row in rows:
        print(
            f"  {row['bench']:32s} {row['value']:>12,} rows/s  {row['seconds']:>7}s  "
            f"peak {row['peak_mib']:>6} MiB  ({row['n']:,} rows)"
        )


if __name__ == "__main__":
    main()
