"""The training loop: iterate, log, evaluate, checkpoint, stop/pause, resume bit-exactly."""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from trademaster.agents.base import Algorithm, Policy
from trademaster.agents.numpy_path import set_num_threads
from trademaster.envs.base import VecEnv
from trademaster.metrics import compute_metrics
from trademaster.training.callbacks import Callback
from trademaster.training.checkpoint import (
    capture_global_rng,
    load_checkpoint,
    restore_global_rng,
    save_checkpoint,
)
from trademaster.training.config import TrainingConfig
from trademaster.training.run_record import RunRecord

_LOGGER = logging.getLogger(__name__)

Status = Literal["paused", "stopped", "completed", "early_stopped"]
CHECKPOINT_FORMAT = 1
_EVAL_SEED_OFFSET = 1_000_003
_MAX_EVAL_STEPS = 10_000_000


@dataclass
class TrainingResult:
    """Outcome of :meth:`Trainer.run`."""

    status: Status
    global_step: int
    history: list[dict[str, Any]]
    eval_history: list[dict[str, float]]
    checkpoint_path: Path | None
    elapsed_s: float


@dataclass
class EvalOutcome:
    """Metrics of one evaluation plus the equity curve of its first episode (for reports)."""

    metrics: dict[str, float]
    equity_curve: list[float] = field(default_factory=list)


def _next_multiple(step: int, every: int) -> int:
    return (step // every + 1) * every


def evaluate_policy(
    policy: Policy, env: VecEnv, *, episodes: int, seed: int, periods_per_year: float = 252.0
) -> EvalOutcome:
    """Run the deterministic policy until ``episodes`` episodes end.

    Env 0's equity curve over its first episode (starting from the env's ``portfolio_value``
    after reset, when it exposes one) feeds ``trademaster.metrics.compute_metrics``.
    """
    obs = env.reset(seed=seed)
    mask = env.action_mask()
    returns: list[float] = []
    lengths: list[float] = []
    equity: list[float] = []
    initial = getattr(env, "portfolio_value", None)
    if isinstance(initial, torch.Tensor):
        equity.append(float(initial[0]))
    first_done = False
    was_training = policy.training
    policy.eval()
    for _ in range(_MAX_EVAL_STEPS):
        actions = policy.act(obs, deterministic=True, action_mask=mask)
        result = env.step(actions)
        done = result.terminated | result.truncated
        if not first_done:
            value = result.info.get("portfolio_value")
            if value is not None:
                equity.append(float(value[0]))
            first_done = bool(done[0])
        if bool(done.any()):
            idx = done.nonzero(as_tuple=True)[0]
            returns.extend(result.info["episode_return"][idx].double().tolist())
            lengths.extend(result.info["episode_length"][idx].double().tolist())
        obs = result.obs
        mask = result.info.get("action_mask", env.action_mask())
        if len(returns) >= episodes:
            break
    else:
        raise RuntimeError(f"evaluation did not finish {episodes} episodes in {_MAX_EVAL_STEPS}")
    policy.train(was_training)
    returns = returns[:episodes]
    mean = sum(returns) / len(returns)
    metrics = {
        "eval/mean_return": mean,
        "eval/std_return": math.sqrt(sum((r - mean) ** 2 for r in returns) / len(returns)),
        "eval/mean_length": sum(lengths[:episodes]) / len(returns),
    }
    metrics.update(_performance_metrics(equity, periods_per_year))
    return EvalOutcome(metrics=metrics, equity_curve=equity)


def _performance_metrics(equity: list[float], periods_per_year: float) -> dict[str, float]:
    """Portfolio metrics of the first episode; none when the env's value is not a positive
    equity (e.g. order execution tracks signed cash), where returns are undefined."""
    if len(equity) < 2 or min(equity) <= 0.0:
        return {}
    raw = compute_metrics(np.asarray(equity, dtype=np.float64), periods_per_year=periods_per_year)
    return {f"eval/{k}": float(v) for k, v in raw.items()}


class Trainer:
    """Drives ``algorithm.train_iteration()`` until ``config.total_steps`` env steps.

    Metrics rows are means over the iterations of each ``log_every_steps`` window. A pause/stop
    request (events checked at iteration boundaries) or a callback returning False writes a
    checkpoint and returns. ``resume`` restores algorithm, trainer and global RNG state so the
    continued run is bit-identical to an uninterrupted one.
    """

    def __init__(
        self,
        algorithm: Algorithm,
        config: TrainingConfig,
        *,
        eval_env: VecEnv | None = None,
        callbacks: Sequence[Callback] = (),
        run_dir: str | Path | None = None,
        stop_event: threading.Event | None = None,
        pause_event: threading.Event | None = None,
        run_record: RunRecord | None = None,
        periods_per_year: float = 252.0,
    ) -> None:
        self.algorithm = algorithm
        self.config = config
        self.eval_env = eval_env
        self.callbacks = list(callbacks)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.stop_event = stop_event
        self.pause_event = pause_event
        self.run_record = run_record
        self.periods_per_year = periods_per_year
        self.history: list[dict[str, Any]] = []
        self.eval_history: list[dict[str, float]] = []
        self.last_eval: EvalOutcome | None = None
        self._sums: dict[str, float] = {}
        self._counts: dict[str, int] = {}
        self._next_log = config.log_every_steps
        self._next_eval = config.eval_every_steps
        self._next_checkpoint = config.checkpoint_every_steps
        self._best: float | None = None
        self._evals_without_improvement = 0
        self._resumed = False
        for cb in self.callbacks:
            cb.trainer = self

    @property
    def checkpoint_dir(self) -> Path | None:
        return None if self.run_dir is None else self.run_dir / "checkpoints"

    # -- state ---------------------------------------------------------------------------------

    def _trainer_state(self) -> dict[str, Any]:
        return {
            "history": list(self.history),
            "eval_history": list(self.eval_history),
            "sums": dict(self._sums),
            "counts": dict(self._counts),
            "next_log": self._next_log,
            "next_eval": self._next_eval,
            "next_checkpoint": self._next_checkpoint,
            "best": self._best,
            "evals_without_improvement": self._evals_without_improvement,
        }

    def checkpoint(self) -> Path:
        """Write a checkpoint of everything to ``run_dir/checkpoints`` and return its path."""
        if self.checkpoint_dir is None:
            raise ValueError("checkpointing needs a run_dir, was None")
        payload = {
            "format": CHECKPOINT_FORMAT,
            "algorithm_name": self.algorithm.name,
            "algorithm": self.algorithm.state_dict(),
            "trainer": self._trainer_state(),
            "global_rng": capture_global_rng(),
            "training_config": self.config.model_dump(mode="json"),
            "agent_config": _dump_config(getattr(self.algorithm, "config", None)),
            "run_record": None if self.run_record is None else self.run_record.to_dict(),
        }
        path = save_checkpoint(self.checkpoint_dir, payload, step=self.algorithm.global_step)
        for cb in self.callbacks:
            cb.on_checkpoint(path)
        return path

    def resume(self, path: str | Path) -> dict[str, Any]:
        """Load a checkpoint (file, or directory with a ``latest`` pointer) into this trainer.

        The trainer's own ``config`` (e.g. a larger ``total_steps``) stays in force.
        """
        payload = load_checkpoint(path)
        if payload.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(
                f"checkpoint format must be {CHECKPOINT_FORMAT}, was {payload.get('format')!r}"
            )
        if payload["algorithm_name"] != self.algorithm.name:
            raise ValueError(
                f"checkpoint is for algorithm {payload['algorithm_name']!r}, "
                f"expected {self.algorithm.name!r}"
            )
        self.algorithm.load_state_dict(payload["algorithm"])
        state = payload["trainer"]
        self.history = list(state["history"])
        self.eval_history = list(state["eval_history"])
        self._sums = dict(state["sums"])
        self._counts = dict(state["counts"])
        self._next_log = state["next_log"]
        self._next_eval = state["next_eval"]
        self._next_checkpoint = state["next_checkpoint"]
        self._best = state["best"]
        self._evals_without_improvement = state["evals_without_improvement"]
        restore_global_rng(payload["global_rng"])
        self._resumed = True
        _LOGGER.info("training.resumed step=%d path=%s", self.algorithm.global_step, path)
        return payload

    # -- loop ----------------------------------------------------------------------------------

    def _accumulate(self, metrics: dict[str, float]) -> None:
        for key, value in metrics.items():
            self._sums[key] = self._sums.get(key, 0.0) + float(value)
            self._counts[key] = self._counts.get(key, 0) + 1

    def _emit_row(self, *, partial: bool = False) -> None:
        if not self._counts:
            return
        row: dict[str, Any] = {"global_step": self.algorithm.global_step}
        row.update({k: self._sums[k] / self._counts[k] for k in sorted(self._sums)})
        if partial:
            row["partial"] = True
        else:
            self._sums.clear()
            self._counts.clear()
        self.history.append(row)
        self._write_jsonl("metrics.jsonl", row)
        for cb in self.callbacks:
            cb.on_log(row)

    def _write_jsonl(self, name: str, row: dict[str, Any]) -> None:
        if self.run_dir is None:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with (self.run_dir / name).open("a") as handle:
            clean = {k: None if _non_finite(v) else v for k, v in row.items()}
            handle.write(json.dumps(clean, sort_keys=True) + "\n")

    def evaluate(self) -> EvalOutcome:
        """Evaluate the current policy deterministically on ``eval_env``."""
        if self.eval_env is None:
            raise ValueError("evaluation needs an eval_env, was None")
        outcome = evaluate_policy(
            self.algorithm.policy,
            self.eval_env,
            episodes=self.config.eval_episodes,
            seed=self.config.seed + _EVAL_SEED_OFFSET,
            periods_per_year=self.periods_per_year,
        )
        self.last_eval = outcome
        row = {"global_step": float(self.algorithm.global_step), **outcome.metrics}
        self.eval_history.append(row)
        self._write_jsonl("eval.jsonl", row)
        for cb in self.callbacks:
            cb.on_eval(outcome.metrics)
        return outcome

    def _improved(self, value: float) -> bool:
        c = self.config
        if self._best is None:
            return True
        if c.early_stopping_mode == "max":
            return value > self._best + c.early_stopping_min_delta
        return value < self._best - c.early_stopping_min_delta

    def _early_stop_after_eval(self, metrics: dict[str, float]) -> bool:
        c = self.config
        value = metrics.get(c.early_stopping_metric)
        if value is None:
            raise KeyError(
                f"early_stopping_metric {c.early_stopping_metric!r} not in eval metrics "
                f"{sorted(metrics)}"
            )
        if self._improved(value):
            self._best = value
            self._evals_without_improvement = 0
            return False
        self._evals_without_improvement += 1
        return (
            c.early_stopping_patience is not None
            and self._evals_without_improvement >= c.early_stopping_patience
        )

    def _requested(self) -> Status | None:
        if self.pause_event is not None and self.pause_event.is_set():
            return "paused"
        if self.stop_event is not None and self.stop_event.is_set():
            return "stopped"
        return None

    def run(self) -> TrainingResult:
        """Train until done, early-stopped, or asked to pause/stop; always ends with a checkpoint
        when a ``run_dir`` is set."""
        c = self.config
        if c.num_threads is not None:
            set_num_threads(c.num_threads)
        if c.deterministic:
            torch.use_deterministic_algorithms(True, warn_only=True)
        if not self._resumed:
            random.seed(c.seed)
            np.random.seed(c.seed)
            torch.manual_seed(c.seed)
        alg = self.algorithm
        started = time.perf_counter()
        for cb in self.callbacks:
            cb.on_start()
        status: Status = "completed"
        while alg.global_step < c.total_steps:
            requested = self._requested()
            if requested is not None:
                status = requested
                break
            metrics = alg.train_iteration()
            self._accumulate(metrics)
            keep_going = [cb.on_iteration(metrics) for cb in self.callbacks]
            step = alg.global_step
            if step >= self._next_log:
                self._emit_row()
                self._next_log = _next_multiple(step, c.log_every_steps)
            if (
                self._next_eval is not None
                and step >= self._next_eval
                and self.eval_env is not None
            ):
                outcome = self.evaluate()
                assert c.eval_every_steps is not None
                self._next_eval = _next_multiple(step, c.eval_every_steps)
                if self._early_stop_after_eval(outcome.metrics):
                    status = "early_stopped"
            if self._next_checkpoint is not None and step >= self._next_checkpoint:
                assert c.checkpoint_every_steps is not None
                self._next_checkpoint = _next_multiple(step, c.checkpoint_every_steps)
                if self.checkpoint_dir is not None and step < c.total_steps:
                    self.checkpoint()
            if status == "early_stopped":
                break
            if not all(keep_going):
                status = "stopped"
                break
        path = self.checkpoint() if self.checkpoint_dir is not None else None
        # After the checkpoint, so a resumed run still completes this window exactly.
        self._emit_row(partial=True)
        result = TrainingResult(
            status=status,
            global_step=alg.global_step,
            history=list(self.history),
            eval_history=list(self.eval_history),
            checkpoint_path=path,
            elapsed_s=time.perf_counter() - started,
        )
        _LOGGER.info("training.ended status=%s step=%d", status, alg.global_step)
        for cb in self.callbacks:
            cb.on_end(result)
        return result


def _non_finite(value: Any) -> bool:
    """JSON has no NaN/inf; such values are written as null."""
    return isinstance(value, float) and not math.isfinite(value)


def _dump_config(config: Any) -> dict[str, Any] | None:
    return None if config is None else config.model_dump(mode="json")
