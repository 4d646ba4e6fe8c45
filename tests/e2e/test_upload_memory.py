"""A large upload streams through the real gateway process without being held in memory.

The gateway runs as its own process (uvicorn, started by the local stack), so the RSS sampled
with psutil is the gateway's alone. 1 GiB by default (about 20 s of upload on a busy 2-core
machine; ``TM_TEST_UPLOAD_MIB`` makes it smaller); ``bench/upload_memory.py`` is the same as a
benchmark with ``--mib``.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
from support.gateway_users import new_researcher
from support.upload_memory import measure_upload

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MIB = 1 << 20
SIZE = int(os.environ.get("TM_TEST_UPLOAD_MIB", "1024")) * MIB


def test_1_gib_upload_keeps_the_gateway_far_below_the_file_size(stack_factory: Any) -> None:
    stack = stack_factory(
        services=("strategy", "gateway"),
        extra_env={
            "TM_GATEWAY_MAX_UPLOAD_BYTES": str(SIZE + MIB),
            "TM_STRATEGY_MAX_UPLOAD_BYTES": str(SIZE - MIB),
        },
    )
    assert stack.gateway_url is not None
    pids = {name: stack.services[name].pid for name in ("gateway", "strategy")}
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as http:
        who = new_researcher(http, stack, "rss")
    result = measure_upload(stack.gateway_url, who, pids, SIZE)  # type: ignore[arg-type]
    # the strategy took SIZE - 1 MiB through the gateway, then refused the rest
    assert (result.status, result.reason) == (413, "UPLOAD_TOO_LARGE")
    gateway_peak = result.peak_rss["gateway"] / MIB
    grown = (result.peak_rss["gateway"] - result.start_rss["gateway"]) / MIB
    print(
        f"gateway RSS {result.start_rss['gateway'] / MIB:.0f} -> peak {gateway_peak:.0f} MiB, "
        f"strategy peak {result.peak_rss['strategy'] / MIB:.0f} MiB, "
        f"{SIZE / MIB:.0f} MiB in {result.seconds:.1f} s = {result.mib_per_s:.1f} MiB/s, "
        f"{result.samples} samples"
    )
    assert result.samples > 10
    assert gateway_peak < 400 and grown < 64, f"gateway grew {grown:.0f} MiB"
