"""Backtests of trained policies: run dirs written by ``trademaster train`` (CLI, tiny budget)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from trademaster.api.backtest.v1 import backtest_pb2 as pb
from trademaster.data.synthetic import lob, sine_trend, write_synthetic_dataset
from trademaster.service.errors import error_details

from .conftest import SMALL, Harness, auth, user

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SINGLE = "single.csv"
BOOK = "book.csv"
"""A synthetic 5-level order book of 600 snapshots (HFT segment layout, step timestamps)."""


def _train(task: str, agent: str, data: Path, run_dir: Path) -> None:
    cli = Path(sys.executable).with_name("trademaster")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [
            str(cli),
            "train",
            "--task",
            task,
            "--agent",
            agent,
            "--data",
            str(data),
            "--steps",
            "256",
            "--run-dir",
            str(run_dir),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2_000:]


@pytest.mark.parametrize(
    ("task", "agent", "dataset"),
    [("portfolio_management", "ppo", SMALL), ("algorithmic_trading", "dqn", SINGLE)],
)
async def test_cli_run_dir_replays_to_a_succeeded_backtest(
    harness: Harness, task: str, agent: str, dataset: str, tmp_path: Path
) -> None:
    """The model artifact is self-contained: the training CSV is deleted before the backtest
    (as on another machine's working directory) and the replay still runs."""
    data_dir = harness.data_dir
    if not (data_dir / SINGLE).exists():
        write_synthetic_dataset(data_dir / SINGLE, sine_trend(300, 1, seed=5, period=30))
    name = f"runs/{task}"
    training_csv = tmp_path / "training.csv"
    shutil.copyfile(data_dir / dataset, training_csv)
    _train(task, agent, training_csv, harness.settings.artifact_dir / name)
    training_csv.unlink()
    owner = user()
    spec = pb.BacktestSpec(dataset_id=dataset, checkpoint_uri=name, fee_rate="0.001")

    created = await harness.create(owner, spec)
    done = await harness.wait_for(owner, created.backtest_id, timeout_s=120)
    result = await harness.stub.GetBacktestResult(
        pb.GetBacktestResultRequest(backtest_id=created.backtest_id, max_equity_points=0),
        metadata=auth(owner),
        timeout=30,
    )

    assert done.state == pb.BACKTEST_STATE_SUCCEEDED, done.failure_reason
    assert len(result.equity_curve) == 300
    assert len(result.trades) > 0
    # Warm-up (30 bars of z-features + the env window) holds no position.
    first_trade = min(t.time.ToSeconds() for t in result.trades)
    assert first_trade > result.equity_curve[30].time.ToSeconds()


@pytest.mark.parametrize(
    ("task", "agent", "equity_points"),
    [
        ("high_frequency_trading", "dqn", 600 - 10 + 1),  # every snapshot after the window
        ("order_execution", "ppo", 29 * 20 + 1),  # 29 back-to-back orders of 20 snapshots
    ],
)
async def test_book_policy_run_dir_replays_through_its_env(
    harness: Harness, task: str, agent: str, equity_points: int, tmp_path: Path
) -> None:
    """OE and HFT models backtest on an order book, self-contained as the bar tasks' are."""
    data_dir = harness.data_dir
    if not (data_dir / BOOK).exists():
        write_synthetic_dataset(data_dir / BOOK, lob(600, seed=11))
    name = f"runs/{task}"
    training_csv = tmp_path / "training.csv"
    write_synthetic_dataset(training_csv, lob(1_200, seed=12))
    _train(task, agent, training_csv, harness.settings.artifact_dir / name)
    training_csv.unlink()
    owner = user()
    spec = pb.BacktestSpec(dataset_id=BOOK, checkpoint_uri=name, fee_rate="0.0005")

    created = await harness.create(owner, spec)
    done = await harness.wait_for(owner, created.backtest_id, timeout_s=120)
    result = await harness.stub.GetBacktestResult(
        pb.GetBacktestResultRequest(backtest_id=created.backtest_id, max_equity_points=0),
        metadata=auth(owner),
        timeout=30,
    )

    assert done.state == pb.BACKTEST_STATE_SUCCEEDED, done.failure_reason
    assert len(result.equity_curve) == equity_points
    assert result.metrics["total_fees"] > 0, "fees are charged on every fill"
    if task == "order_execution":
        assert result.metrics["orders"] == 29
        assert {"shortfall_bps", "twap_shortfall_bps", "shortfall_vs_twap_bps"} <= set(
            result.metrics
        )
        assert {t.effect for t in result.trades} == {pb.TRADE_EFFECT_EXIT}


async def test_order_books_refuse_baselines_and_bar_slippage(harness: Harness) -> None:
    data_dir = harness.data_dir
    if not (data_dir / BOOK).exists():
        write_synthetic_dataset(data_dir / BOOK, lob(600, seed=11))
    baseline = pb.BacktestSpec(dataset_id=BOOK, baseline="buy_and_hold")
    impact = pb.BacktestSpec(
        dataset_id=BOOK,
        checkpoint_uri="runs/order_execution",
        slippage=pb.SlippageModel(volume_share=pb.VolumeShareSlippage(price_impact="0.1")),
    )

    for spec, field in ((baseline, "spec.dataset_id"), (impact, "spec.slippage.volume_share")):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await harness.create(user(), spec)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in dict(error_details(caught.value).field_violations)


async def test_checkpoint_outside_the_artifact_store_is_invalid(harness: Harness) -> None:
    spec = pb.BacktestSpec(dataset_id=SMALL, checkpoint_uri="../../etc")

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.create(user(), spec)

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "spec.checkpoint_uri" in dict(error_details(caught.value).field_violations)


async def test_training_job_source_without_a_trainer_is_failed_precondition(
    harness: Harness,
) -> None:
    spec = pb.BacktestSpec(dataset_id=SMALL, training_job_id="job-1")

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.create(user(), spec)

    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_details(caught.value).reason == "TRAINER_NOT_CONFIGURED"
