"""Local stack start and stop time (all six services SERVING), JSON lines on stdout.

Usage: .venv/bin/python bench/localstack_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from trademaster.service.localstack import SERVICE_NAMES, Stack, StackConfig

_LOGGER = logging.getLogger(__name__)


def _machine() -> str:
    return f"{platform.machine()}-{os.cpu_count()}cpu"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1, help="stack start/stop cycles (each ~30 s)")
    args = parser.parse_args()
    starts, stops = [], []
    for _ in range(args.runs):
        root = Path(tempfile.mkdtemp(prefix="tm-b-"))
        root.chmod(0o755)
        stack = Stack(StackConfig(work_dir=root, services=SERVICE_NAMES))
        try:
            stack.start()
            assert stack.startup_seconds is not None
            starts.append(stack.startup_seconds)
        finally:
            began = time.monotonic()
            stack.stop()
            stops.append(time.monotonic() - began)
            shutil.rmtree(root, ignore_errors=True)
        print(
            json.dumps(
                {
                    "bench": "localstack_start_all_serving",
                    "value": round(starts[-1], 2),
                    "unit": "s",
                    "n": 1,
                    "machine": _machine(),
                }
            )
        )
        print(
            json.dumps(
                {
                    "bench": "localstack_stop_all",
                    "value": round(stops[-1], 2),
                    "unit": "s",
                    "n": 1,
                    "machine": _machine(),
                }
            )
        )
    print(
        json.dumps(
            {
                "bench": "localstack_summary",
                "value": round(max(starts), 2),
                "unit": "s",
                "n": len(starts),
                "machine": _machine(),
                "start_s": [round(s, 2) for s in starts],
                "stop_s": [round(s, 2) for s in stops],
                "limit_s": 60,
            }
        )
    )


if __name__ == "__main__":
    main()
