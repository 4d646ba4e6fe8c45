"""``trademaster risk``: argument checks and the kill-switch confirmation, before any request
(the gateway URL points at a closed port, so a request would fail with "cannot reach")."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner
from trademaster.cli.main import cli

pytestmark = pytest.mark.unit

NOWHERE = ["--url", "http://127.0.0.1:9", "--token", "t"]


def test_kill_needs_exactly_one_target() -> None:
    runner = CliRunner()

    neither = runner.invoke(cli, ["risk", "kill", "--reason", "x", "--yes", *NOWHERE])
    both = runner.invoke(
        cli, ["risk", "kill", "acc-1", "--scope", "GLOBAL", "--reason", "x", *NOWHERE]
    )

    assert neither.exit_code == 2 and "ACCOUNT needs a SCOPE_ID" in neither.output
    assert both.exit_code == 2 and "GLOBAL takes no SCOPE_ID" in both.output


def test_kill_asks_for_confirmation_and_declining_sends_nothing() -> None:
    result = CliRunner().invoke(
        cli, ["risk", "kill", "acc-1", "--reason", "runaway", *NOWHERE], input="n\n"
    )

    assert result.exit_code == 1
    assert "Halt account acc-1, cancel its working orders?" in result.output
    assert "Aborted" in result.output
    assert "cannot reach" not in result.output


def test_confirmed_kill_calls_the_gateway() -> None:
    result = CliRunner().invoke(
        cli, ["risk", "kill", "acc-1", "--reason", "runaway", *NOWHERE], input="y\n"
    )

    assert result.exit_code == 1
    assert "cannot reach the gateway at http://127.0.0.1:9" in result.output


def test_bad_max_position_is_a_usage_error() -> None:
    result = CliRunner().invoke(
        cli, ["risk", "limits", "set", "acc-1", "--max-position", "AAPL", *NOWHERE]
    )

    assert result.exit_code == 2
    assert "INSTRUMENT=QUANTITY" in result.output


def test_state_set_needs_a_reason() -> None:
    result = CliRunner().invoke(cli, ["risk", "state", "acc-1", "--set", "ACTIVE", *NOWHERE])

    assert result.exit_code == 2 and "--reason" in result.output


def test_risk_commands_do_not_import_torch() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from trademaster.cli.main import cli;"
        "r = CliRunner().invoke(cli, ['risk', 'orders', 'submit', '--help']);"
        "assert r.exit_code == 0, r.output; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "False"
