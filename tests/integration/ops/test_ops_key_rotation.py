"""`./tm keys` against running services: rotation with overlap, a removed key refused at once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import jwt
import pytest
from trademaster.api.strategy.v1 import strategy_pb2, strategy_pb2_grpc
from trademaster.service.localstack import Stack
from trademaster.service.signing_keys import ensure_key_file, kid_for_secret

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
FIRST_SECRET = "rotation-test-first-secret-0123456789"


@pytest.fixture(scope="module")
def key_file(tm_session_dir: Path) -> Path:
    path = tm_session_dir / f"keys-{os.getpid()}" / "jwt-keys.json"
    ensure_key_file(path, FIRST_SECRET)
    return path


@pytest.fixture(scope="module")
def keyed_stack(stack_factory, key_file: Path) -> Stack:  # type: ignore[no-untyped-def]
    return stack_factory(
        services=("strategy", "gateway"),
        extra_env={
            "TM_STRATEGY_JWT_KEYS_FILE": str(key_file),
            "TM_GATEWAY_JWT_KEYS_FILE": str(key_file),
        },
    )


@pytest.fixture(scope="module")
def http(keyed_stack: Stack) -> Iterator[httpx.Client]:
    assert keyed_stack.gateway_url is not None
    with httpx.Client(base_url=keyed_stack.gateway_url, timeout=30) as client:
        yield client


def _keys(key_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trademaster.service.ops", "keys", "--file", str(key_file), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _login(http: httpx.Client, stack: Stack) -> str:
    reply = http.post(
        "/api/v1/auth/login", json={"username": "admin", "password": stack.admin_password}
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


def _http_status(http: httpx.Client, token: str) -> tuple[int, int]:
    """(gateway's own check, a call the strategy service checks too)."""
    headers = {"Authorization": f"Bearer {token}"}
    me = http.get("/api/v1/auth/me", headers=headers).status_code
    return me, http.get("/api/v1/strategies", headers=headers).status_code


def _grpc_code(stack: Stack, token: str) -> grpc.StatusCode:
    with grpc.insecure_channel(stack.addresses["strategy"]) as channel:
        try:
            strategy_pb2_grpc.StrategyServiceStub(channel).ListStrategies(
                strategy_pb2.ListStrategiesRequest(),
                metadata=(("authorization", f"Bearer {token}"),),
                timeout=10,
            )
        except grpc.RpcError as error:
            return error.code()
    return grpc.StatusCode.OK


def test_rotate_then_remove_across_gateway_and_strategy(
    http: httpx.Client, keyed_stack: Stack, key_file: Path
) -> None:
    first_kid = kid_for_secret(FIRST_SECRET)
    old = _login(http, keyed_stack)
    assert jwt.get_unverified_header(old)["kid"] == first_kid

    rotated = _keys(key_file, "rotate")
    assert rotated.returncode == 0, rotated.stderr
    new = _login(http, keyed_stack)
    new_kid = jwt.get_unverified_header(new)["kid"]
    assert new_kid != first_kid and f"new signing key {new_kid}" in rotated.stdout

    # Overlap: tokens of both keys are accepted everywhere, without any restart.
    assert _http_status(http, old) == (200, 200)
    assert _http_status(http, new) == (200, 200)
    assert _grpc_code(keyed_stack, old) == grpc.StatusCode.OK

    refused = _keys(key_file, "remove", new_kid)
    assert refused.returncode == 1 and "rotate first" in refused.stderr
    removed = _keys(key_file, "remove", first_kid)
    assert removed.returncode == 0, removed.stderr

    assert _http_status(http, old) == (401, 401)
    assert _grpc_code(keyed_stack, old) == grpc.StatusCode.UNAUTHENTICATED
    assert _http_status(http, new) == (200, 200)
    assert _grpc_code(keyed_stack, new) == grpc.StatusCode.OK


def test_list_shows_kids_and_never_secrets(key_file: Path) -> None:
    listed = _keys(key_file, "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("active ")
    assert FIRST_SECRET not in listed.stdout
    assert '"secret"' in key_file.read_text() and "secret" not in listed.stdout
