"""``trademaster login`` and ``trademaster jobs`` against the gateway of the whole stack."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from trademaster.cli.jobs import jobs, login
from trademaster.service.localstack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("TM_TOKEN", raising=False)
    monkeypatch.delenv("TM_URL", raising=False)
    return CliRunner()


def test_login_stores_a_token_that_jobs_commands_use(
    runner: CliRunner, stack: Stack, tmp_path: Path
) -> None:
    logged_in = runner.invoke(
        login,
        ["--url", str(stack.gateway_url), "--username", "admin"],
        input=f"{stack.admin_password}\n",
    )
    listed = runner.invoke(jobs, ["list", "--json"])
    missing = runner.invoke(jobs, ["cancel", str(uuid.uuid4())])

    assert logged_in.exit_code == 0, logged_in.output
    saved = json.loads((tmp_path / "trademaster" / "credentials.json").read_text())
    assert saved["url"] == stack.gateway_url and saved["access_token"]
    assert (tmp_path / "trademaster" / "credentials.json").stat().st_mode & 0o077 == 0
    assert listed.exit_code == 0, listed.output
    assert isinstance(json.loads(listed.output)["jobs"], list)
    assert missing.exit_code == 1
    assert "NOT_FOUND" in missing.output or "not found" in missing.output.lower()


def test_jobs_without_token_is_a_usage_error(runner: CliRunner, stack: Stack) -> None:
    result = runner.invoke(jobs, ["list", "--url", str(stack.gateway_url)])

    assert result.exit_code == 2
    assert "trademaster login" in result.output


def test_bad_token_reports_the_api_error(runner: CliRunner, stack: Stack) -> None:
    result = runner.invoke(jobs, ["list", "--url", str(stack.gateway_url), "--token", "nope"])

    assert result.exit_code == 1
    assert "HTTP 401" in result.output
