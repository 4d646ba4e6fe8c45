"""``trademaster risk``: argument checks and the kill-switch confirmation, before any request
(the gRPC target is a closed port, so a request would fail with UNAVAILABLE)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner
from trademaster.cli.main import cli

pytestmark = pytest.mark.unit

NOWHERE = ["--target", "127.0.0.1:9", "--token", "t"]


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
    assert "UNAVAILABLE" not in result.output


def test_confirmed_kill_calls_the_risk_service() -> None:
    result = CliRunner().invoke(
        cli, ["risk", "kill", "acc-1", "--reason", "runaway", *NOWHERE], input="y\n"
    )

    assert result.exit_code == 1
    assert "UNAVAILABLE" in result.output and "127.0.0.1:9" in result.output


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


def test_json_view_has_proto_names_short_enums_iso_times_seconds_and_nulls() -> None:
    from trademaster.api.risk.v1 import risk_pb2 as pb
    from trademaster.cli.risk_common import enum_value, view

    decision = pb.OrderDecision(
        decision="DECISION_DENY",
        trading_state="TRADING_STATE_REDUCING",
        violations=[pb.Violation(reason="MAX_ORDER_QUANTITY", value="11", limit="10")],
        sequence=7,
    )
    decision.check_latency.FromNanoseconds(12_500)
    decision.decide_time.FromSeconds(1_700_000_000)

    data = view(decision)
    limits = view(pb.RiskLimits(max_position={"*": "20"}, max_working_orders=3))

    assert (data["decision"], data["trading_state"], data["sequence"]) == ("DENY", "REDUCING", 7)
    assert data["violations"][0] == {
        "reason": "MAX_ORDER_QUANTITY", "message": "", "value": "11", "limit": "10"
    }  # fmt: skip
    assert data["decide_time"] == "2023-11-14T22:13:20Z"
    assert data["check_latency"] == 12.5e-6
    assert data["order"] is None and data["reference_price_age"] is None
    assert limits["max_position"] == {"*": "20"} and limits["max_working_orders"] == 3
    assert enum_value(pb.OrderStatus.DESCRIPTOR, "pending_new") == "ORDER_STATUS_PENDING_NEW"
    with pytest.raises(KeyError):
        enum_value(pb.Scope.DESCRIPTOR, "PLANET")
