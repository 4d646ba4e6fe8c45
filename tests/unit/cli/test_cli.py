"""CLI: train + evaluate on synthetic data into a tmp run dir; bad input gives usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from trademaster.cli.main import cli

pytestmark = pytest.mark.unit


def test_train_then_evaluate_on_synthetic_data(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    runner = CliRunner()
    args = ["train", "--data", "synthetic", "--agent", "dqn", "--steps", "1000", "--seed", "3"]
    result = runner.invoke(cli, [*args, "--run-dir", str(run_dir)])
    assert result.exit_code == 0, result.output
    for name in ("config.json", "run_record.json", "metrics.jsonl", "final_model.pt", "report.png"):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "checkpoints" / "latest").is_file()
    record = json.loads((run_dir / "run_record.json").read_text())
    assert record["seed"] == 3 and len(record["config_hash"]) == 64
    assert record["versions"]["torch"]
    rows = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["global_step"] == 1000

    resumed = runner.invoke(
        cli,
        [
            "train",
            "--data",
            "synthetic",
            "--agent",
            "dqn",
            "--steps",
            "1600",
            "--seed",
            "3",
            "--run-dir",
            str(run_dir),
            "--resume",
        ],
    )
    assert resumed.exit_code == 0, resumed.output
    assert "1600 env steps" in resumed.output

    evaluated = runner.invoke(cli, ["evaluate", "--run-dir", str(run_dir), "--split", "test"])
    assert evaluated.exit_code == 0, evaluated.output
    assert "buy_and_hold" in evaluated.output and "sharpe_ratio" in evaluated.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--data", "/no/such.csv", "--run-dir", "x"], "does not exist"),
        (["train", "--data", "synthetic", "--agent", "nope", "--run-dir", "x"], "nope"),
        (["train", "--data", "synthetic", "--steps", "0", "--run-dir", "x"], "--steps"),
        (["evaluate", "--run-dir", "missing"], "not a finished run"),
    ],
)
def test_bad_input_is_a_usage_error_not_a_traceback(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_invalid_agent_config_is_reported(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"agent": {"learning_rate": -1}}))
    result = CliRunner().invoke(
        cli,
        [
            "train",
            "--data",
            "synthetic",
            "--steps",
            "10",
            "--config",
            str(cfg),
            "--run-dir",
            str(tmp_path / "r"),
        ],
    )
    assert result.exit_code == 2
    assert "learning_rate" in result.output
