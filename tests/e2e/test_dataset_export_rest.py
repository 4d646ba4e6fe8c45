"""Export and interrupted imports through a real gateway process and strategy service.

``GET /api/v1/datasets/{id}:export`` streams Parquet or CSV that loads to the same bars; another
owner gets 404, a bad format 400; the CLI writes the same file. An upload cut off mid-stream (the
client goes away, the body ends before the multipart closes, or it passes the gateway's limit)
leaves no dataset and no partial file behind, and a retry with the same key succeeds.
"""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np
import pandas as pd
import pytest
from support.gateway_users import new_researcher
from trademaster.data.loaders import load_ohlcv
from trademaster.service.localstack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GATEWAY_LIMIT = 4 << 20
BOUNDARY = b"XBOUNDARYX"


@pytest.fixture(scope="module")
def small(stack_factory: Any) -> Stack:
    return stack_factory(
        services=("strategy", "gateway"),
        extra_env={"TM_GATEWAY_MAX_UPLOAD_BYTES": str(GATEWAY_LIMIT)},
    )


@pytest.fixture(scope="module")
def http(small: Stack) -> Iterator[httpx.Client]:
    assert small.gateway_url is not None
    with httpx.Client(base_url=small.gateway_url, timeout=120.0) as client:
        yield client


def _csv(n: int = 400) -> bytes:
    rng = np.random.default_rng(8)
    dates = pd.bdate_range("2018-01-01", periods=n).strftime("%Y-%m-%d")
    close = 30 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    frame = pd.DataFrame(
        {"Date": dates, "Ticker": "ZZZ", "Open": close, "High": close * 1.02}
        | {"Low": close * 0.97, "Close": close, "Volume": 7.0}
    )
    return frame.to_csv(index=False).encode()


def _upload(http: httpx.Client, who: dict[str, str], data: bytes, **headers: str) -> httpx.Response:
    return http.post(
        "/api/v1/datasets",
        headers={**who, **headers},
        files={"file": ("mine.csv", data, "text/csv")},
    )


def _mine(http: httpx.Client, who: dict[str, str]) -> list[dict[str, Any]]:
    listed = http.get("/api/v1/datasets", headers=who, params={"page_size": 500})
    assert listed.status_code == 200, listed.text
    return [d for d in listed.json()["datasets"] if d["owner_id"]]


def _leftovers(stack: Stack) -> list[Path]:
    uploads = stack.work_dir / "datasets" / "uploads"
    folders = [uploads / ".incoming", uploads / ".exports"]
    return sorted(p for f in folders if f.is_dir() for p in f.iterdir())


def test_export_round_trips_and_is_owner_scoped(
    http: httpx.Client, small: Stack, tmp_path: Path
) -> None:
    alice, bob = new_researcher(http, small, "ex"), new_researcher(http, small, "ex")
    created = _upload(http, alice, _csv())
    assert created.status_code == 201, created.text
    dataset_id = created.json()["id"]
    source = tmp_path / "source.csv"
    source.write_bytes(_csv())

    with http.stream("GET", f"/api/v1/datasets/{dataset_id}:export", headers=alice) as reply:
        assert reply.status_code == 200
        assert reply.headers["content-type"] == "application/vnd.apache.parquet"
        assert f'filename="{dataset_id}.parquet"' in reply.headers["content-disposition"]
        body = b"".join(reply.iter_bytes())
    assert int(reply.headers["content-length"]) == len(body)
    exported = tmp_path / "x.parquet"
    exported.write_bytes(body)
    pd.testing.assert_frame_equal(load_ohlcv(exported), load_ohlcv(source))

    as_csv = http.get(f"/api/v1/datasets/{dataset_id}:export?format=csv", headers=alice)
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.BytesIO(as_csv.content))
    assert len(frame) == 400 and list(frame.columns[:2]) == ["date", "tic"]

    refused = http.get(f"/api/v1/datasets/{dataset_id}:export", headers=bob)
    assert refused.status_code == 404 and refused.json()["error"]["reason"] == "DATASET_NOT_FOUND"
    bad = http.get(f"/api/v1/datasets/{dataset_id}:export?format=xlsx", headers=alice)
    assert bad.status_code == 400 and "format" in bad.text
    assert http.get(f"/api/v1/datasets/{dataset_id}:export").status_code == 401
    assert http.get(f"/api/v1/datasets/{dataset_id}", headers=alice).status_code == 200
    assert _leftovers(small) == []


def test_cli_export_writes_the_same_parquet(
    http: httpx.Client, small: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner
    from support.client_endpoints import client_env
    from trademaster.cli.main import cli

    monkeypatch.delenv("TM_CLIENT_TARGET", raising=False)
    for name, value in client_env(small).items():
        monkeypatch.setenv(name, value)
    who = new_researcher(http, small, "cli")
    dataset_id = _upload(http, who, _csv()).json()["id"]
    token = who["Authorization"].split(" ", 1)[1]
    out = tmp_path / "mine.parquet"
    result = CliRunner().invoke(
        cli, ["datasets", "export", dataset_id, "--out", str(out), "--token", token]
    )
    assert result.exit_code == 0, result.output
    rest = http.get(f"/api/v1/datasets/{dataset_id}:export", headers=who).content
    assert out.read_bytes() == rest and not out.with_name("mine.parquet.part").exists()
    missing = CliRunner().invoke(
        cli,
        ["datasets", "export", "ds_" + "0" * 32, "--out", str(tmp_path / "n.parquet")]
        + ["--token", token],
    )
    assert missing.exit_code != 0 and "NOT_FOUND" in missing.output
    assert not (tmp_path / "n.parquet").exists()
    assert not (tmp_path / "n.parquet.part").exists()


def _multipart_head(data_prefix: bytes) -> bytes:
    return (
        b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="file"; '
        b'filename="cut.csv"\r\nContent-Type: text/csv\r\n\r\n' + data_prefix
    )


def _cut_off_upload(stack: Stack, who: dict[str, str], key: str, data: bytes) -> None:
    """Send the headers and half the file over a raw socket, then vanish."""
    url = urlsplit(stack.gateway_url or "")
    body_start = _multipart_head(data[: len(data) // 2])
    declared = len(_multipart_head(data)) + len(b"\r\n--" + BOUNDARY + b"--\r\n")
    head = (
        f"POST /api/v1/datasets HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: {who['Authorization']}\r\nIdempotency-Key: {key}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY.decode()}\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80)) as sock:
        sock.sendall(head + body_start)
        time.sleep(0.5)


def _settled(stack: Stack, http: httpx.Client, who: dict[str, str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (_leftovers(stack) or _mine(http, who)):
        time.sleep(0.5)
    assert _mine(http, who) == [] and _leftovers(stack) == []


def test_interrupted_uploads_leave_nothing_and_a_retry_succeeds(
    http: httpx.Client, small: Stack
) -> None:
    who = new_researcher(http, small, "cut")
    data = _csv(25_000)  # 2.4 MB: more than the gateway's 1 MiB limit on buffered bodies
    _cut_off_upload(small, who, "retry-me", data)
    _settled(small, http, who)

    def unfinished() -> Iterator[bytes]:  # the body ends before the closing boundary
        yield _multipart_head(data[: len(data) // 2])

    headers = {
        **who,
        "Idempotency-Key": "retry-me",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY.decode()}",
    }
    early = http.post("/api/v1/datasets", headers=headers, content=unfinished())
    assert early.status_code == 400, early.text
    assert early.json()["error"]["reason"] == "INCOMPLETE_UPLOAD"
    _settled(small, http, who)

    def oversized() -> Iterator[bytes]:  # chunked, so only the streaming check can stop it
        yield _multipart_head(b"")
        for _ in range(2):
            yield data
        yield b"\r\n--" + BOUNDARY + b"--\r\n"

    for body in (oversized(), _multipart_head(data * 2) + b"\r\n--" + BOUNDARY + b"--\r\n"):
        too_big = http.post("/api/v1/datasets", headers=headers, content=body)
        assert too_big.status_code == 413, too_big.text
        _settled(small, http, who)

    retry = _upload(http, who, data, **{"Idempotency-Key": "retry-me"})
    assert retry.status_code == 201, retry.text
    assert retry.json()["rows"] == 25_000
    assert [d["id"] for d in _mine(http, who)] == [retry.json()["id"]]
    assert _leftovers(small) == []
