"""``trademaster login`` and ``trademaster jobs`` against the gateway of the whole stack."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.client_endpoints import client_env
from trademaster.cli.jobs import jobs, login
from trademaster.service.localstack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stack: Stack) -> CliRunner:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("TM_TOKEN", raising=False)
    monkeypatch.delenv("TM_CLIENT_TARGET", raising=False)
    for name, value in client_env(stack).items():
        monkeypatch.setenv(name, value)
    return CliRunner()


def test_login_stores_a_token_that_jobs_commands_use(
    runner: CliRunner, stack: Stack, tmp_path: Path
) -> None:
    logged_in = runner.invoke(login, ["--username", "admin"], input=f"{stack.admin_password}\n")
    listed = runner.invoke(jobs, ["list", "--json"])
    missing = runner.invoke(jobs, ["cancel", str(uuid.uuid4())])

    assert logged_in.exit_code == 0, logged_in.output
    saved = json.loads((tmp_path / "trademaster" / "credentials.json").read_text())
    assert saved["access_token"] and saved["expires_at"]
    assert (tmp_path / "trademaster" / "credentials.json").stat().st_mode & 0o077 == 0
    assert listed.exit_code == 0, listed.output
    assert isinstance(json.loads(listed.output)["jobs"], list)
    assert missing.exit_code == 1
    assert "NOT_FOUND" in missing.output or "not found" in missing.output.lower()


def test_jobs_without_token_is_a_usage_error(runner: CliRunner, stack: Stack) -> None:
    result = runner.invoke(jobs, ["list"])

    assert result.exit_code == 2
    assert "trademaster login" in result.output


def test_bad_token_reports_the_api_error(runner: CliRunner, stack: Stack) -> None:
    result = runner.invoke(jobs, ["list", "--token", "nope"])

    assert result.exit_code == 1
    assert "UNAUTHENTICATED/TOKEN_INVALID" in result.output
