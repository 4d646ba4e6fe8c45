"""``trademaster train`` and ``trademaster evaluate``: run and score experiments on any task."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import click
import torch
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from trademaster.agents.config import AGENT_CONFIGS, SUPPORTED_AGENTS_BY_TASK
from trademaster.cli.report import write_report
from trademaster.config.run import SYNTHETIC, RunSpec, build_run_spec
from trademaster.config.strategy import ConfigError
from trademaster.data.loaders import DatasetError
from trademaster.training.callbacks import Callback
from trademaster.training.model_artifact import model_artifact
from trademaster.training.pipeline import (
    SPLIT_NAMES,
    TASKS,
    Dataset,
    baseline_policies,
    check_agent_for_task,
    evaluate_run_policy,
    load_run_dataset,
    make_algorithm,
    make_env,
)
from trademaster.training.run_record import create_run_record
from trademaster.training.trainer import Trainer, TrainingResult

_LOGGER = logging.getLogger(__name__)

FINAL_MODEL = "final_model.pt"
CONFIG_FILE = "config.json"
RUN_RECORD_FILE = "run_record.json"
EVAL_SEED = 12_345
CONFIG_KEYS = ("agent", "env", "training", "train_fraction", "valid_fraction")
_AGENTS_HELP = "; ".join(f"{task}: {', '.join(a)}" for task, a in SUPPORTED_AGENTS_BY_TASK.items())


class RichProgress(Callback):
    """A rich progress bar over env steps, showing the latest episodic return."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress = progress
        self.total = total
        self.task = progress.add_task("training", total=total, info="")

    def on_start(self) -> None:
        self.progress.update(self.task, completed=self.trainer.algorithm.global_step)

    def on_iteration(self, metrics: dict[str, float]) -> bool:
        kwargs: dict[str, Any] = {"completed": min(self.trainer.algorithm.global_step, self.total)}
        if "charts/episodic_return" in metrics:
            kwargs["info"] = f"return {metrics['charts/episodic_return']:+.4f}"
        self.progress.update(self.task, **kwargs)
        return True


def _read_json(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise click.UsageError(f"cannot read JSON from {path}: {exc}") from exc
    if not isinstance(loaded, dict):
        raise click.UsageError(f"{path} must hold a JSON object, was {type(loaded).__name__}")
    return loaded


def _check_data(data: str) -> None:
    if data != SYNTHETIC and not Path(data).exists():
        raise click.UsageError(
            f"--data must be a file, a folder or '{SYNTHETIC}', {data!r} does not exist"
        )


def _check_pair(task: str, agent: str) -> None:
    try:
        check_agent_for_task(task, agent)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


def _run_config(
    *,
    data: str,
    agent: str,
    task: str,
    tic: str | None,
    steps: int,
    seed: int,
    config_path: Path | None,
) -> RunSpec:
    extra = _read_json(config_path) if config_path is not None else {}
    unknown = set(extra) - set(CONFIG_KEYS)
    if unknown:
        raise click.UsageError(
            f"--config keys must be in {list(CONFIG_KEYS)}, had {sorted(unknown)}"
        )
    training = {"log_every_steps": max(1, steps // 50), **extra.get("training", {})}
    training.update(total_steps=steps, seed=seed)
    try:
        return build_run_spec(
            task,
            agent,
            data,
            tic=tic,
            agent_params=extra.get("agent", {}),
            env=extra.get("env", {}),
            training=training,
            **{k: extra[k] for k in ("train_fraction", "valid_fraction") if k in extra},
        )
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    except ValidationError as exc:
        raise click.UsageError(f"invalid --config: {exc}") from exc


def _dataset(run: RunSpec) -> Dataset:
    try:
        return load_run_dataset(run)
    except (FileNotFoundError, DatasetError, ValueError) as exc:
        raise click.UsageError(
            f"cannot use data {run.dataset.local_path()!r} for {run.task}: {exc}"
        ) from exc


def _train(run: RunSpec, run_dir: Path, resume: bool, console: Console) -> TrainingResult:
    dataset = _dataset(run)
    try:
        tcfg = run.training
        if run.task == "order_execution" and tcfg.eval_every_steps is not None:
            raise ValueError(
                "training.eval_every_steps must be None for order_execution: the trainer's "
                "periodic evaluation scores equity, execution is scored against TWAP after training"
            )
        env = make_env(run, dataset, "train", evaluation=False, seed=tcfg.seed)
        eval_env = make_env(run, dataset, "valid", evaluation=True, seed=tcfg.seed)
        algorithm = make_algorithm(run, env, seed=tcfg.seed)
    except (ValidationError, ValueError, KeyError) as exc:
        raise click.UsageError(f"invalid configuration: {exc}") from exc
    config_json = run.model_dump(mode="json")
    if resume:
        if not (run_dir / CONFIG_FILE).exists():
            raise click.UsageError(f"--resume needs an existing run in {run_dir}")
        previous = _read_json(run_dir / CONFIG_FILE)
        for cfg in (previous, config_json):
            cfg.get("strategy", {}).pop("training", None)
        if previous != config_json:
            raise click.UsageError(
                "--resume must use the same data/tic/agent/task/config as the run"
            )
    run_dir.mkdir(parents=True, exist_ok=True)
    record = create_run_record(
        seed=tcfg.seed, config=config_json, dataset_hash=dataset.dataset_hash, device="cpu"
    )
    (run_dir / CONFIG_FILE).write_text(run.model_dump_json(indent=2))
    (run_dir / RUN_RECORD_FILE).write_text(json.dumps(record.to_dict(), indent=2, sort_keys=True))
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[info]}"),
        console=console,
        transient=False,
    ) as progress:
        trainer = Trainer(
            algorithm,
            tcfg,
            eval_env=eval_env,
            run_dir=run_dir,
            run_record=record,
            callbacks=[RichProgress(progress, tcfg.total_steps)],
        )
        if resume:
            try:
                trainer.resume(run_dir / "checkpoints")
            except FileNotFoundError as exc:
                raise click.UsageError(f"nothing to resume: {exc}") from exc
        result = trainer.run()
    model_artifact(run, dataset, algorithm).save(run_dir / FINAL_MODEL)
    valid_env = make_env(run, dataset, "valid", evaluation=True, seed=EVAL_SEED)
    agent_eval = evaluate_run_policy(run, algorithm.policy, valid_env, seed=EVAL_SEED)
    bench_env = make_env(run, dataset, "valid", evaluation=True, seed=EVAL_SEED)
    bench_name, bench_policy = next(iter(baseline_policies(run, bench_env).items()))
    bench = evaluate_run_policy(run, bench_policy, bench_env, seed=EVAL_SEED)
    write_report(
        run_dir / "report.png",
        equity=agent_eval.equity_curve,
        benchmark=bench.equity_curve,
        benchmark_label=bench_name,
        history=result.history,
        title=f"{run.agent} on {run.task}",
    )
    return result


def _format(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:.4f}"


@click.command()
@click.option(
    "--task",
    default="algorithmic_trading",
    show_default=True,
    type=click.Choice(TASKS),
    help="Trading task: decides the env and which data the file must hold.",
)
@click.option(
    "--agent",
    default=None,
    type=click.Choice(sorted(AGENT_CONFIGS)),
    help=f"Algorithm; default: the task's first supported one ({_AGENTS_HELP}).",
)
@click.option(
    "--data",
    required=True,
    help="'synthetic', an OHLCV csv/parquet (bar tasks), an order-execution or HFT LOB file, "
    "or a folder of HFT segment files (order-book tasks).",
)
@click.option(
    "--tic", default=None, help="Ticker to trade from a multi-asset file (algorithmic_trading)."
)
@click.option(
    "--steps",
    default=20_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Env steps to train for.",
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Seed of agent and envs.",
)
@click.option(
    "--run-dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder: config, run record, metrics, checkpoints, model, report.png.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON with optional 'agent', 'env', 'training' sections and "
    "'train_fraction'/'valid_fraction' (default 0.7/0.15 of the dates).",
)
@click.option("--resume", is_flag=True, help="Continue the run in --run-dir from its checkpoint.")
def train(
    task: str,
    agent: str | None,
    data: str,
    tic: str | None,
    steps: int,
    seed: int,
    run_dir: Path,
    config_path: Path | None,
    resume: bool,
) -> None:
    """Train an agent on the train split (by date), report on the valid split.

    Example: trademaster train --task portfolio_management --agent ppo --data synthetic
    --steps 2000 --run-dir runs/pm
    """
    agent = agent or SUPPORTED_AGENTS_BY_TASK[task][0]
    _check_pair(task, agent)
    _check_data(data)
    run = _run_config(
        data=data,
        agent=agent,
        task=task,
        tic=tic,
        steps=steps,
        seed=seed,
        config_path=config_path,
    )
    console = Console()
    result = _train(run, run_dir, resume, console)
    console.print(
        f"{result.status}: {result.global_step} env steps in {result.elapsed_s:.1f}s → {run_dir}"
    )


@click.command()
@click.option(
    "--run-dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A finished run of 'trademaster train'.",
)
@click.option("--data", default=None, help="Data to evaluate on (default: the run's data).")
@click.option("--tic", default=None, help="Ticker to evaluate on (default: the run's tic).")
@click.option(
    "--split",
    default="test",
    show_default=True,
    type=click.Choice(SPLIT_NAMES),
    help="Part of the data, split by date as in training.",
)
@click.option(
    "--episodes",
    default=None,
    type=click.IntRange(min=1),
    help="Episodes to score (default: 1 pass over the split; 20 orders for order_execution).",
)
def evaluate(
    run_dir: Path, data: str | None, tic: str | None, split: str, episodes: int | None
) -> None:
    """Score a run's final policy against the task's rule-based baselines.

    Baselines: buy-and-hold and flat (algorithmic and HFT), equal weight (portfolio), TWAP
    (order execution, where the return is the cash advantage over TWAP, so TWAP scores ~0).
    """
    config_file, model_file = run_dir / CONFIG_FILE, run_dir / FINAL_MODEL
    if not config_file.exists() or not model_file.exists():
        raise click.UsageError(
            f"{run_dir} is not a finished run (needs {CONFIG_FILE}, {FINAL_MODEL})"
        )
    try:
        run = RunSpec.model_validate(_read_json(config_file))
        if data is not None:
            _check_data(data)
            run = run.with_data(data if data == SYNTHETIC else Path(data).absolute().as_uri())
        if tic is not None:
            run = RunSpec.model_validate({**run.model_dump(), "tic": tic})
    except ValidationError as exc:
        raise click.UsageError(f"invalid {config_file} (or --tic): {exc}") from exc
    dataset = _dataset(run)
    try:
        env = make_env(run, dataset, split, evaluation=True, seed=EVAL_SEED)
        algorithm = make_algorithm(run, env, seed=0)
    except (ValidationError, ValueError) as exc:
        raise click.UsageError(f"cannot rebuild the run's env and agent: {exc}") from exc
    saved = torch.load(model_file, map_location="cpu", weights_only=True)
    try:
        algorithm.policy.load_state_dict(saved["policy_state"])
    except RuntimeError as exc:
        raise click.UsageError(f"the model does not fit this data's env: {exc}") from exc
    policies = {run.agent: algorithm.policy, **baseline_policies(run, env)}
    results = {
        name: evaluate_run_policy(
            run,
            policy,
            make_env(run, dataset, split, evaluation=True, seed=EVAL_SEED),
            seed=EVAL_SEED,
            episodes=episodes,
        ).metrics
        for name, policy in policies.items()
    }
    keys = [k for k in results[run.agent] if k.startswith("eval/")]
    table = Table(title=f"{run_dir} ({run.task}) on {split} split")
    table.add_column("metric")
    for name in results:
        table.add_column(name, justify="right")
    for key in keys:
        table.add_row(
            key.removeprefix("eval/"),
            *(_format(results[n].get(key, math.nan)) for n in results),
        )
    Console().print(table)
