"""Upload a large generated CSV through a real gateway and sample the gateway's memory.

The body is generated block by block (one 1 MiB block reused), so the client never holds the
file either. The strategy service's limit is set just under the file size by the caller: every
byte but the last MiB passes through the gateway and is written to the strategy's disk, and no
10 M-row quality report runs (the answer is 413 UPLOAD_TOO_LARGE).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import psutil

BOUNDARY = b"RSSBOUNDARY"
LINE = b"2020-01-01,AAA,1.5,1.75,1.25,1.5,1000\n"
HEADER = b"date,tic,open,high,low,close,volume\n"


def multipart_body(size: int) -> Iterator[bytes]:
    """A ``multipart/form-data`` body whose file part is ``size`` bytes of CSV."""
    yield (
        b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="file"; '
        b'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n' + HEADER
    )
    block = LINE * ((1 << 20) // len(LINE))
    left = size - len(HEADER)
    while left > 0:
        piece = block if left >= len(block) else block[:left]
        left -= len(piece)
        yield piece
    yield b"\r\n--" + BOUNDARY + b"--\r\n"


class RssSampler:
    """Peak resident set size of some processes, sampled every ``interval_s`` in a thread."""

    def __init__(self, pids: dict[str, int], interval_s: float = 0.02) -> None:
        self._procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.start_rss = {name: p.memory_info().rss for name, p in self._procs.items()}
        self.peak_rss = dict(self.start_rss)
        self.samples = 0
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, proc in self._procs.items():
                self.peak_rss[name] = max(self.peak_rss[name], proc.memory_info().rss)
            self.samples += 1
            self._stop.wait(self._interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass(frozen=True)
class UploadMeasure:
    size_bytes: int
    seconds: float
    status: int
    reason: str
    start_rss: dict[str, int]
    peak_rss: dict[str, int]
    samples: int

    @property
    def mib_per_s(self) -> float:
        return self.size_bytes / (1 << 20) / self.seconds


def measure_upload(
    gateway_url: str, headers: dict[str, str], pids: dict[str, int], size: int
) -> UploadMeasure:
    """POST a ``size``-byte CSV to ``/api/v1/datasets`` while sampling ``pids``' RSS."""
    content_type = f"multipart/form-data; boundary={BOUNDARY.decode()}"
    with httpx.Client(base_url=gateway_url, timeout=900.0) as http, RssSampler(pids) as rss:
        began = time.monotonic()
        reply = http.post(
            "/api/v1/datasets",
            headers={**headers, "Content-Type": content_type},
            content=multipart_body(size),
        )
        seconds = time.monotonic() - began
    reason = reply.json().get("error", {}).get("reason", "") if reply.content else ""
    return UploadMeasure(
        size, seconds, reply.status_code, reason, rss.start_rss, rss.peak_rss, rss.samples
    )
