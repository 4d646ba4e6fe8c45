"""Gateway memory while a large CSV streams through ``POST /api/v1/datasets`` (JSON on stdout).

Starts the strategy service and the gateway as processes (local stack), uploads a generated
CSV of ``--mib`` MiB (default 1024) and samples both processes' RSS with psutil every 20 ms.
The strategy's limit is set 1 MiB under the file, so all but the last MiB goes through the
gateway to the strategy's disk without a 40 M-row quality report (the answer is 413).

Usage: .venv/bin/python bench/upload_memory.py [--mib 1024]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

import httpx
from trademaster.service.localstack import Stack, StackConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.gateway_users import new_researcher  # noqa: E402
from support.upload_memory import measure_upload  # noqa: E402

MIB = 1 << 20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=1024, help="file size in MiB")
    size = parser.parse_args().mib * MIB
    root = Path(tempfile.mkdtemp(prefix="tm-up-"))
    root.chmod(0o755)
    env = {
        "TM_STRATEGY_DATA_DIR": str(root / "datasets"),
        "TM_GATEWAY_MAX_UPLOAD_BYTES": str(size + MIB),
        "TM_STRATEGY_MAX_UPLOAD_BYTES": str(size - MIB),
    }
    stack = Stack(StackConfig(work_dir=root, services=("strategy", "gateway"), extra_env=env))
    try:
        stack.start()
        assert stack.gateway_url is not None
        pids = {name: stack.services[name].pid for name in ("gateway", "strategy")}
        with httpx.Client(base_url=stack.gateway_url, timeout=60) as http:
            who = new_researcher(http, stack, "bench")
        result = measure_upload(stack.gateway_url, who, pids, size)  # type: ignore[arg-type]
    finally:
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(
        json.dumps(
            {
                "bench": "gateway_upload_peak_rss",
                "file_mib": size // MIB,
                "status": result.status,
                "reason": result.reason,
                "gateway_start_mib": round(result.start_rss["gateway"] / MIB, 1),
                "gateway_peak_mib": round(result.peak_rss["gateway"] / MIB, 1),
                "strategy_start_mib": round(result.start_rss["strategy"] / MIB, 1),
                "strategy_peak_mib": round(result.peak_rss["strategy"] / MIB, 1),
                "seconds": round(result.seconds, 2),
                "mib_per_s": round(result.mib_per_s, 1),
                "samples": result.samples,
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "machine": f"{platform.machine()}-{os.cpu_count()}cpu",
            }
        )
    )


if __name__ == "__main__":
    main()
