"""A newcomer's path with only the published wheels, timed on the whole local stack:
build + install the two wheels into a fresh venv, then run examples/python/train_and_follow.py
(service token → strategy → training job → event stream → result). Also the per-call cost of
trademaster-client against the raw generated stub on the same channel target (ratio).

Usage: .venv/bin/python bench/client_first_job.py [--calls N]
JSON line per measurement, then a summary line. Needs uv, the shared BTC data and ~2 min.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import grpc
from trademaster.api.identity.v1 import identity_pb2
from trademaster.api.strategy.v1 import strategy_pb2, strategy_pb2_grpc
from trademaster.service.localstack import Stack, StackConfig
from trademaster_client import Client, Endpoints, PasswordLogin

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TM_SHARED_DATA", ROOT.parent / "shared" / "data" / "trademaster"))
DATASET = "algorithmic_trading.btc.train.csv"
MACHINE = f"{platform.machine()}-{os.cpu_count()}cpu-load{os.getloadavg()[0]:.1f}"


def emit(bench: str, value: float, unit: str, n: int = 1, **extra: object) -> None:
    row = {"bench": bench, "value": round(value, 3), "unit": unit, "n": n, "machine": MACHINE}
    print(json.dumps({**row, **extra}), flush=True)


def install_wheels(work: Path) -> Path:
    uv = shutil.which("uv") or sys.exit("uv is required")
    for package in ("trademaster-api", "trademaster-client"):
        subprocess.run(
            [uv, "build", "-q", "--wheel", "--package", package, "--out-dir", str(work / "dist")],
            cwd=ROOT,
            check=True,
        )
    subprocess.run([uv, "venv", "-q", "--python", "3.11", str(work / "venv")], check=True)
    python = work / "venv" / "bin" / "python"
    wheels = [str(p) for p in (work / "dist").glob("*.whl")]
    subprocess.run([uv, "pip", "install", "-q", "--python", str(python), *wheels], check=True)
    return python


def endpoints(stack: Stack) -> Endpoints:
    port = stack.services["gateway"].port_file.read_text().strip()
    return Endpoints({**stack.addresses, "identity": f"127.0.0.1:{port}"})


def call_overhead(tm: Client, address: str, token: str, calls: int) -> tuple[float, float]:
    """Mean seconds per ListAgents: through the client, and the raw stub with the same token."""
    request = strategy_pb2.ListAgentsRequest()
    metadata = [("authorization", f"Bearer {token}")]
    with grpc.insecure_channel(address) as channel:
        raw = strategy_pb2_grpc.StrategyServiceStub(channel)
        raw.ListAgents(request, metadata=metadata, timeout=30)
        tm.strategy.ListAgents(request)
        began = time.perf_counter()
        for _ in range(calls):
            raw.ListAgents(request, metadata=metadata, timeout=30)
        raw_s = (time.perf_counter() - began) / calls
    began = time.perf_counter()
    for _ in range(calls):
        tm.strategy.ListAgents(request)
    client_s = (time.perf_counter() - began) / calls
    return client_s, raw_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tm-bc-"))
    work.chmod(0o755)
    env = {"TM_STRATEGY_EXTRA_DATA_DIRS": str(SHARED)} if SHARED.is_dir() else {}
    stack = Stack(StackConfig(work_dir=work / "stack", extra_env=env))
    try:
        stack.start()
        began = time.monotonic()
        python = install_wheels(work)
        install_s = time.monotonic() - began
        emit("client_wheels_build_and_install", install_s, "s")
        with Client(endpoints(stack), PasswordLogin("admin", stack.admin_password)) as admin:
            token = admin.identity.CreateServiceToken(
                identity_pb2.CreateServiceTokenRequest(
                    name=f"bench-{uuid.uuid4().hex[:6]}", roles=[identity_pb2.ROLE_RESEARCHER]
                )
            ).token
        run_env = {
            **os.environ,
            "TM_TOKEN": token,
            "TM_DATASET": DATASET,
            "TM_STEPS": "1000",
            **{
                f"TM_CLIENT_{name.upper()}_ADDR": address
                for name, address in endpoints(stack).addresses.items()
            },
        }
        began = time.monotonic()
        result = subprocess.run(
            [str(python), str(ROOT / "examples" / "python" / "train_and_follow.py")],
            env=run_env,
            capture_output=True,
            text=True,
            check=False,
        )
        example_s = time.monotonic() - began
        succeeded = result.returncode == 0
        emit("client_example_first_job", example_s, "s", steps=1000, succeeded=succeeded)
        if not succeeded:
            print(result.stdout + result.stderr, file=sys.stderr)
        with Client(endpoints(stack), PasswordLogin("admin", stack.admin_password)) as tm:
            client_s, raw_s = call_overhead(
                tm, endpoints(stack).address("strategy"), str(tm.tokens.token()), args.calls
            )
        emit("client_unary_call", client_s * 1000, "ms", args.calls, peer="raw_stub")
        emit("raw_stub_unary_call", raw_s * 1000, "ms", args.calls)
        print(
            json.dumps(
                {
                    "summary": "client_first_job",
                    "install_s": round(install_s, 1),
                    "example_s": round(example_s, 1),
                    "client_over_raw_ratio": round(client_s / raw_s, 2),
                    "machine": MACHINE,
                }
            )
        )
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
