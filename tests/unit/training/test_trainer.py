"""Trainer: bit-exact resume, determinism, stop/pause, early stopping, checkpoint files."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "agents"))

from toy_env import AlternatingPriceEnv  # noqa: E402
from trademaster.agents.config import DQNConfig, PPOConfig  # noqa: E402
from trademaster.agents.dqn import DQN  # noqa: E402
from trademaster.agents.ppo import PPO  # noqa: E402
from trademaster.training.callbacks import Callback, StopAtStep  # noqa: E402
from trademaster.training.checkpoint import load_checkpoint, resolve_checkpoint  # noqa: E402
from trademaster.training.config import TrainingConfig  # noqa: E402
from trademaster.training.trainer import Trainer  # noqa: E402

pytestmark = pytest.mark.unit

CPU = torch.device("cpu")
DQN_CFG = DQNConfig(
    hidden_sizes=(16, 16),
    learning_starts=256,
    buffer_size=1_000,
    batch_size=32,
    exploration_steps=1_000,
    target_update_interval=200,
    n_step=2,
    tau=0.5,
)
PPO_CFG = PPOConfig(hidden_sizes=(16, 16), num_steps=32, num_minibatches=2, update_epochs=2)


def make_algorithm(kind: str, seed: int = 3) -> DQN | PPO:
    if kind == "dqn":
        return DQN(AlternatingPriceEnv(8), DQN_CFG, seed=seed, device=CPU)
    return PPO(AlternatingPriceEnv(8, continuous=True), PPO_CFG, seed=seed, device=CPU)


def trace(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Metric rows without wall-clock-dependent values or partial rows."""
    return [
        {k: v for k, v in row.items() if k != "charts/SPS"}
        for row in history
        if not row.get("partial")
    ]


def params(alg: DQN | PPO) -> list[torch.Tensor]:
    net = alg.q_network if isinstance(alg, DQN) else alg.policy
    return [p.detach().clone() for p in net.parameters()]


@pytest.mark.parametrize("kind", ["dqn", "ppo"])
def test_resume_is_bit_exact(kind: str, tmp_path: Path) -> None:
    full_cfg = TrainingConfig(total_steps=4_000, seed=5, log_every_steps=256)
    full = Trainer(make_algorithm(kind), full_cfg, run_dir=tmp_path / "full")
    full_result = full.run()

    first = Trainer(
        make_algorithm(kind),
        full_cfg.model_copy(update={"total_steps": 2_000}),
        run_dir=tmp_path / "split",
    )
    first.run()
    resumed = Trainer(make_algorithm(kind, seed=99), full_cfg, run_dir=tmp_path / "split")
    resumed.resume(tmp_path / "split" / "checkpoints")
    resumed_result = resumed.run()

    assert resumed_result.global_step == full_result.global_step
    for a, b in zip(params(full.algorithm), params(resumed.algorithm), strict=True):
        assert torch.equal(a, b)
    assert trace(resumed_result.history) == trace(full_result.history)
    assert len(trace(full_result.history)) >= 10


@pytest.mark.parametrize("kind", ["dqn", "ppo"])
def test_same_seed_and_config_give_identical_trace(kind: str) -> None:
    cfg = TrainingConfig(total_steps=1_500, seed=1, log_every_steps=256)
    a = Trainer(make_algorithm(kind), cfg).run()
    b = Trainer(make_algorithm(kind), cfg).run()
    c = Trainer(make_algorithm(kind, seed=4), cfg).run()
    assert trace(a.history) == trace(b.history)
    assert trace(a.history) != trace(c.history)


def test_pause_event_writes_checkpoint_and_returns_paused(tmp_path: Path) -> None:
    pause = threading.Event()

    class PauseAt(Callback):
        def on_iteration(self, metrics: dict[str, float]) -> bool:
            if self.trainer.algorithm.global_step >= 400:
                pause.set()
            return True

    trainer = Trainer(
        make_algorithm("dqn"),
        TrainingConfig(total_steps=10_000, log_every_steps=100),
        run_dir=tmp_path,
        pause_event=pause,
        callbacks=[PauseAt()],
    )
    result = trainer.run()
    assert result.status == "paused"
    assert result.global_step == 400
    assert result.checkpoint_path == resolve_checkpoint(tmp_path / "checkpoints")
    assert load_checkpoint(result.checkpoint_path)["algorithm"]["global_step"] == 400


def test_stop_event_set_before_run_stops_immediately(tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    result = Trainer(
        make_algorithm("ppo"), TrainingConfig(total_steps=10_000), run_dir=tmp_path, stop_event=stop
    ).run()
    assert (result.status, result.global_step) == ("stopped", 0)


def test_callback_returning_false_stops_and_hooks_are_called(tmp_path: Path) -> None:
    calls: list[str] = []

    class Recorder(Callback):
        def on_start(self) -> None:
            calls.append("start")

        def on_log(self, row: dict[str, Any]) -> None:
            calls.append("log")

        def on_checkpoint(self, path: Path) -> None:
            calls.append("checkpoint")

        def on_end(self, result: Any) -> None:
            calls.append(f"end:{result.status}")

    result = Trainer(
        make_algorithm("dqn"),
        TrainingConfig(total_steps=10_000, log_every_steps=64, checkpoint_every_steps=160),
        run_dir=tmp_path,
        callbacks=[Recorder(), StopAtStep(320)],
    ).run()
    assert (result.status, result.global_step) == ("stopped", 320)
    assert calls[0] == "start" and calls[-1] == "end:stopped"
    assert calls.count("checkpoint") == 2 + 1  # at 160, 320 (periodic) and the final one
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["global_step"] for r in rows] == [64, 128, 192, 256, 320]
    assert len(list((tmp_path / "checkpoints").glob("step_*.pt"))) == 2


def test_early_stopping_after_patience_evaluations() -> None:
    # A frozen learning rate can't be set to 0, so use a metric that never improves: eval length.
    cfg = TrainingConfig(
        total_steps=100_000,
        log_every_steps=200,
        eval_every_steps=200,
        early_stopping_patience=2,
        early_stopping_metric="eval/mean_length",
    )
    trainer = Trainer(make_algorithm("dqn"), cfg, eval_env=AlternatingPriceEnv(1))
    result = trainer.run()
    assert result.status == "early_stopped"
    assert len(result.eval_history) == 3
    assert all(row["eval/mean_length"] == 16.0 for row in result.eval_history)


def test_resume_rejects_checkpoint_of_other_algorithm(tmp_path: Path) -> None:
    Trainer(make_algorithm("dqn"), TrainingConfig(total_steps=64), run_dir=tmp_path).run()
    other = Trainer(make_algorithm("ppo"), TrainingConfig(total_steps=64))
    with pytest.raises(ValueError, match="expected 'ppo'"):
        other.resume(tmp_path / "checkpoints")


def test_performance_metrics_skip_non_positive_equity() -> None:
    from trademaster.training.trainer import _performance_metrics

    positive = _performance_metrics([100.0, 110.0, 99.0], periods_per_year=252.0)
    signed_cash = _performance_metrics([0.0, -5.0, 3.0], periods_per_year=252.0)

    assert positive["eval/total_return"] == pytest.approx(-0.01)
    assert signed_cash == {}
