from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic_settings import SettingsConfigDict
from trademaster.service.settings import ServiceSettings, load_settings
from trademaster.service.signing_keys import ensure_key_file, kid_for_secret

pytestmark = pytest.mark.unit


class _StrategySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TM_STRATEGY_")


def test_missing_required_env_exits_2_naming_each_var(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "JWT_SECRET"):
        monkeypatch.delenv(f"TM_STRATEGY_{name}", raising=False)

    with pytest.raises(SystemExit) as exited:
        load_settings(_StrategySettings)

    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert "TM_STRATEGY_DATABASE_URL is required" in err
    assert "TM_STRATEGY_REDIS_URL is required" in err
    assert "TM_STRATEGY_JWT_SECRET is required" in err
    assert "Traceback" not in err


def test_short_secret_is_reported_with_its_var(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TM_STRATEGY_DATABASE_URL", "postgresql://db")
    monkeypatch.setenv("TM_STRATEGY_REDIS_URL", "redis://r")
    monkeypatch.setenv("TM_STRATEGY_JWT_SECRET", "short")

    with pytest.raises(SystemExit):
        load_settings(_StrategySettings)

    err = capsys.readouterr().err
    assert "TM_STRATEGY_JWT_SECRET:" in err
    assert "at least 16" in err


def test_settings_load_from_prefixed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TM_STRATEGY_DATABASE_URL", "postgresql://db")
    monkeypatch.setenv("TM_STRATEGY_REDIS_URL", "redis://r")
    monkeypatch.setenv("TM_STRATEGY_JWT_SECRET", "x" * 16)
    monkeypatch.setenv("TM_STRATEGY_GRPC_PORT", "7001")
    monkeypatch.setenv("TM_STRATEGY_PORT_FILE", "/tmp/strategy.port")

    settings = load_settings(_StrategySettings)

    assert settings.grpc_port == 7001
    assert settings.jwt_secret.get_secret_value() == "x" * 16
    assert str(settings.port_file) == "/tmp/strategy.port"
    assert settings.otel_exporter == "none"
    assert "x" * 16 not in repr(settings)


def test_path_list_splits_env_value_on_pathsep(monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from tm_strategy.config import StrategySettings

    monkeypatch.setenv("TM_STRATEGY_DATABASE_URL", "postgresql://x")
    monkeypatch.setenv("TM_STRATEGY_REDIS_URL", "redis://x")
    monkeypatch.setenv("TM_STRATEGY_JWT_SECRET", "s" * 32)
    monkeypatch.setenv("TM_STRATEGY_EXTRA_DATA_DIRS", f"/a{os.pathsep}{os.pathsep}/b")

    settings = StrategySettings()  # type: ignore[call-arg]

    assert settings.extra_data_dirs == [Path("/a"), Path("/b")]


def test_jwt_key_file_replaces_the_secret_and_a_bad_one_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("TM_STRATEGY_DATABASE_URL", "postgresql://db")
    monkeypatch.setenv("TM_STRATEGY_REDIS_URL", "redis://r")
    monkeypatch.delenv("TM_STRATEGY_JWT_SECRET", raising=False)
    key_file = tmp_path / "jwt-keys.json"
    ensure_key_file(key_file, "a-secret-0123456789abcdef")
    monkeypatch.setenv("TM_STRATEGY_JWT_KEYS_FILE", str(key_file))

    settings = load_settings(_StrategySettings)
    assert settings.jwt_keys().current().active == kid_for_secret("a-secret-0123456789abcdef")

    monkeypatch.setenv("TM_STRATEGY_JWT_KEYS_FILE", str(tmp_path / "missing.json"))
    with pytest.raises(SystemExit):
        load_settings(_StrategySettings)
    err = capsys.readouterr().err
    assert "TM_STRATEGY_JWT_KEYS_FILE: Value error, cannot read JWT key file" in err
