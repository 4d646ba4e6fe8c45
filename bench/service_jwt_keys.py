"""Cost of key ids on token verification: a file-backed key ring (one stat per call, key chosen
by kid) against the single bare secret used before, in the same process.

Prints one JSON line per measurement (µs per verify, median of 5 rounds), then a summary with
the ratio ring / secret.
"""

from __future__ import annotations

import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from trademaster.service.auth import Role, issue_token, verify_token
from trademaster.service.signing_keys import (
    KeyRing,
    ensure_key_file,
    read_key_file,
    rotate,
    write_key_file,
)

MACHINE = f"{platform.machine()}-{platform.node()}-py{platform.python_version()}"
SECRET = "bench-secret-0123456789abcdefghijklmnop"
N = 20_000


def emit(bench: str, value: float, unit: str, n: int, **extra: object) -> dict:
    row = {"bench": bench, "value": round(value, 3), "unit": unit, "n": n, "machine": MACHINE}
    row.update(extra)
    print(json.dumps(row), flush=True)
    return row


def per_call_us(verify: Callable[[], object]) -> float:
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(N):
            verify()
        rounds.append((time.perf_counter() - start) / N * 1e6)
    return statistics.median(rounds)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "jwt-keys.json"
        ensure_key_file(path, SECRET)
        for _ in range(3):  # a ring with 4 keys: the token's kid picks one
            write_key_file(path, rotate(read_key_file(path)))
        ring = KeyRing.from_file(path)
        plain, _ = issue_token(SECRET, "bench", [Role.VIEWER])
        signed, _ = issue_token(ring, "bench", [Role.VIEWER])
        secret_us = per_call_us(lambda: verify_token(SECRET, plain, "trademaster"))
        ring_us = per_call_us(lambda: verify_token(ring, signed, "trademaster"))
    emit("service_jwt_verify_secret", secret_us, "us/verify", N)
    emit("service_jwt_verify_key_file", ring_us, "us/verify", N, keys=4)
    summary = {
        "bench": "service_jwt_keys_summary",
        "ring_over_secret": round(ring_us / secret_us, 3),
    }
    print(json.dumps({**summary, "machine": MACHINE}), flush=True)


if __name__ == "__main__":
    main()
