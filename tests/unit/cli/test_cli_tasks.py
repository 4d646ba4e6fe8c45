"""CLI train + evaluate for every task (synthetic and real data), usage errors, dataset listing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner, Result
from trademaster.cli.main import cli
from trademaster.data.synthetic import gbm, write_synthetic_dataset

pytestmark = pytest.mark.unit

torch.set_num_threads(1)

BASELINES = {
    "algorithmic_trading": "buy_and_hold",
    "portfolio_management": "equal_weight",
    "order_execution": "twap",
    "high_frequency_trading": "flat",
}


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _train_and_evaluate(
    run_dir: Path, task: str, agent: str, data: str, *extra: str, steps: int = 200
) -> str:
    trained = _invoke(
        "train", "--task", task, "--agent", agent, "--data", data, "--steps", str(steps),
        "--run-dir", str(run_dir), *extra,
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    for name in ("config.json", "run_record.json", "metrics.jsonl", "final_model.pt", "report.png"):
        assert (run_dir / name).is_file(), name
    config = json.loads((run_dir / "config.json").read_text())
    assert config["strategy"]["task"] == task and config["strategy"]["env"]["kind"] == task
    evaluated = _invoke("evaluate", "--run-dir", str(run_dir), "--split", "test")
    assert evaluated.exit_code == 0, evaluated.output
    assert BASELINES[task] in evaluated.output and "mean_return" in evaluated.output
    return evaluated.output


@pytest.mark.parametrize(
    ("task", "agent"),
    [
        ("algorithmic_trading", "ppo"),
        ("portfolio_management", "ppo"),
        ("portfolio_management", "td3"),
        ("order_execution", "dqn"),
        ("high_frequency_trading", "dqn"),
    ],
)
def test_train_and_evaluate_every_task_on_synthetic_data(
    task: str, agent: str, tmp_path: Path
) -> None:
    _train_and_evaluate(tmp_path / "run", task, agent, "synthetic")


def test_order_execution_scores_twap_at_zero(tmp_path: Path) -> None:
    output = _train_and_evaluate(tmp_path / "run", "order_execution", "ppo", "synthetic")
    twap_row = next(line for line in output.splitlines() if "mean_return" in line)
    assert twap_row.split("│")[-2].strip() in ("0.0000", "-0.0000")


def test_tic_is_chosen_from_a_long_file_and_recorded(tmp_path: Path) -> None:
    frame = gbm(300, 3, seed=2)
    data = str(write_synthetic_dataset(tmp_path / "long.csv", frame))
    run_dir = tmp_path / "run"
    _train_and_evaluate(run_dir, "algorithmic_trading", "dqn", data, "--tic", "SYN01")
    assert json.loads((run_dir / "config.json").read_text())["tic"] == "SYN01"
    unknown = _invoke(
        "train", "--data", data, "--tic", "XYZ", "--steps", "10", "--run-dir", str(tmp_path / "x")
    )
    assert unknown.exit_code == 2 and "tic 'XYZ' is not in" in unknown.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--task", "portfolio_management", "--agent", "dqn"], "not supported for task"),
        (["--task", "order_execution", "--agent", "eiie"], "expected one of ['ppo', 'dqn']"),
        (["--data", "/no/such/file.csv"], "does not exist"),
        (["--task", "order_execution", "--data", "BARS"], "HFT LOB columns"),
        (["--task", "arbitrage"], "'arbitrage' is not one of"),
    ],
)
def test_bad_train_input_is_a_usage_error(args: list[str], message: str, tmp_path: Path) -> None:
    bars = str(write_synthetic_dataset(tmp_path / "bars.csv", gbm(200, 1, seed=0)))
    argv = ["train", "--data", "synthetic", "--steps", "10", "--run-dir", str(tmp_path / "r")]
    argv += [bars if a == "BARS" else a for a in args]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_invalid_env_config_names_the_field(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"env": {"horizon": 0}}))
    result = _invoke(
        "train", "--task", "order_execution", "--data", "synthetic", "--steps", "10",
        "--config", str(cfg), "--run-dir", str(tmp_path / "r"),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "env.horizon: must be >= 1, was 0" in result.output


def test_datasets_list_prints_the_catalog(tmp_path: Path) -> None:
    write_synthetic_dataset(tmp_path / "pm" / "three.csv", gbm(50, 3, seed=0))
    (tmp_path / "junk.csv").write_text("a,b\n1,2\n")
    result = _invoke("datasets", "list", "--root", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "pm.three.csv" in result.output and "portfolio_management" in result.output
    assert "unreadable" in result.output


def test_datasets_list_without_a_root_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TM_SHARED_DATA", raising=False)
    result = _invoke("datasets", "list")
    assert result.exit_code == 2 and "TM_SHARED_DATA" in result.output


@pytest.mark.parametrize(
    ("task", "agent", "relative"),
    [
        ("algorithmic_trading", "dqn", "algorithmic_trading/BTC/data.csv"),
        ("portfolio_management", "eiie", "portfolio_management/dj30/test.csv"),
        ("order_execution", "ppo", "order_execution/BTC/test.csv"),
        ("high_frequency_trading", "ppo", "high_frequency_trading/small_BTC"),
    ],
)
def test_train_and_evaluate_on_real_data(
    task: str, agent: str, relative: str, shared_data_dir: Path, tmp_path: Path
) -> None:
    _train_and_evaluate(tmp_path / "run", task, agent, str(shared_data_dir / relative))
