"""`./tm up` hands every service the same key file, seeded from the stack's JWT secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from trademaster.service.localstack import SERVICE_NAMES
from trademaster.service.localstack.local import KEY_FILE, local_config
from trademaster.service.signing_keys import kid_for_secret, read_key_file

pytestmark = pytest.mark.unit


def test_local_stack_seeds_one_key_file_for_every_service(tmp_path: Path) -> None:
    env = {"TM_LOCAL_VAR_DIR": str(tmp_path / "var"), "TM_JWT_SECRET": "local-secret-0123456789ab"}

    config = local_config(tmp_path, env)

    path = tmp_path / "var" / KEY_FILE
    keys = read_key_file(path)
    assert keys.active == kid_for_secret("local-secret-0123456789ab")
    assert path.stat().st_mode & 0o777 == 0o600
    for name in SERVICE_NAMES:
        assert config.extra_env[f"TM_{name.upper()}_JWT_KEYS_FILE"] == str(path)

    env["TM_JWT_SECRET"] = "another-secret-0123456789ab"
    local_config(tmp_path, env)
    assert read_key_file(path) == keys  # once the file exists, it decides (./tm keys)
