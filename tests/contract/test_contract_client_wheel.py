"""The published wheels: trademaster-api carries the generated stubs, trademaster-client the
client; installed alone in a fresh virtualenv they import without torch or the service kit."""

from __future__ import annotations

import email
import subprocess
import zipfile
from pathlib import Path

import pytest
from support.wheels import build_wheels, wheel_venv

pytestmark = [pytest.mark.contract, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _requires(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(name))
    return [
        str(r).split(";")[0].split(">")[0].split("<")[0].split("=")[0].strip()
        for r in metadata.get_all("Requires-Dist") or []
    ]


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheels_hold_the_stubs_once_and_depend_on_grpc_only(tmp_path: Path) -> None:
    wheels = build_wheels(tmp_path)
    api, client = wheels["trademaster-api"], wheels["trademaster-client"]
    generated = {
        str(p.relative_to(ROOT / "libs" / "trademaster"))
        for p in (ROOT / "libs" / "trademaster" / "trademaster" / "api").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }

    assert generated <= _names(api)
    assert "trademaster/__init__.py" not in _names(api)  # the core library's, not ours
    assert not any(name.startswith("trademaster/") for name in _names(client))
    assert "trademaster_client/_rpc_table.py" in _names(client)
    assert set(_requires(api)) == {"protobuf", "grpcio"}
    assert set(_requires(client)) == {
        "trademaster-api",
        "grpcio",
        "protobuf",
        "googleapis-common-protos",
    }


def test_installed_wheels_import_without_the_platform(tmp_path: Path) -> None:
    python = wheel_venv(tmp_path)
    probe = (
        "import sys, trademaster_client\n"
        "from trademaster.api.trainer.v1 import trainer_pb2_grpc\n"
        "assert 'torch' not in sys.modules and 'trademaster.service' not in sys.modules\n"
        "import importlib.util as u\n"
        "assert u.find_spec('trademaster.service') is None\n"
        "print(len(trademaster_client.RPCS), trademaster_client.__file__)\n"
    )

    result = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=False
    )

    assert result.returncode == 0, result.stderr
    count, location = result.stdout.split()
    assert int(count) >= 40
    assert str(tmp_path) in location
