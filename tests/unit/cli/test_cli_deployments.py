"""``trademaster deployments``: argument checks before any request, and that commands reach the
trainer's DeploymentService through the client (the target is a closed port, so a request fails
with UNAVAILABLE naming it)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from trademaster.cli.main import cli

pytestmark = pytest.mark.unit

NOWHERE = ["--target", "127.0.0.1:9", "--token", "t"]


def test_create_needs_model_version_account_and_an_instrument() -> None:
    result = CliRunner().invoke(cli, ["deployments", "create", "--model", "m", *NOWHERE])

    assert result.exit_code == 2 and "--version" in result.output


def test_version_must_be_positive() -> None:
    args = ["deployments", "create", "--model", "m", "--version", "0", "--account", "a"]
    result = CliRunner().invoke(cli, [*args, "--instrument", "BTC", *NOWHERE])

    assert result.exit_code == 2 and "--version" in result.output


@pytest.mark.parametrize(
    "args",
    [["list"], ["get", "d-1"], ["pause", "d-1"], ["resume", "d-1"], ["stop", "d-1", "--flatten"]],
)
def test_commands_call_the_deployment_service(args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["deployments", *args, *NOWHERE])

    assert result.exit_code == 1
    assert "UNAVAILABLE" in result.output and "127.0.0.1:9" in result.output
