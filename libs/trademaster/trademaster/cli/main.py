"""``trademaster`` command line: train an agent into a run dir, evaluate a trained run."""

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

from trademaster.agents.baselines import BuyAndHoldPolicy, FlatPolicy
from trademaster.agents.config import AGENT_CONFIGS
from trademaster.cli.jobs import jobs, login
from trademaster.cli.pipeline import (
    SPLIT_NAMES,
    SUPPORTED_TASKS,
    SYNTHETIC,
    Dataset,
    RunConfig,
    load_dataset,
    make_algorithm,
    make_env,
    training_config,
)
from trademaster.cli.report import write_report
from trademaster.data.loaders import DatasetError
from trademaster.training.callbacks import Callback
from trademaster.training.run_record import create_run_record
from trademaster.training.trainer import Trainer, TrainingResult, evaluate_policy

_LOGGER = logging.getLogger(__name__)

FINAL_MODEL = "final_model.pt"
CONFIG_FILE = "config.json"
RUN_RECORD_FILE = "run_record.json"
EVAL_SEED = 12_345


class RichProgress(Callback):
    """A rich progress bar over env steps, showing the latest episodic return."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress = progress
        self.total = total
        self.task = progress.add_task("training", total=total, info="")

    def on_start(self) -> None:
        self.progress.update(self.task, completed=self.trainer.algorithm.global_step)

    def on_iteration(self, metrics: dict[str, float]) -> bool:
        info = ""
        if "charts/episodic_return" in metrics:
            info = f"return {metrics['charts/episodic_return']:+.4f}"
        kwargs: dict[str, Any] = {"completed": min(self.trainer.algorithm.global_step, self.total)}
        if info:
            kwargs["info"] = info
        self.progress.update(self.task, **kwargs)
        return True


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise click.UsageError(f"cannot read JSON from {path}: {exc}") from exc


def _load_run_config(
    *, data: str, agent: str, task: str, steps: int, seed: int, config_path: Path | None
) -> RunConfig:
    extra = _read_json(config_path) if config_path is not None else {}
    unknown = set(extra) - {"agent", "env", "training", "train_fraction", "valid_fraction"}
    if unknown:
        raise click.UsageError(
            f"--config keys must be agent/env/training/train_fraction/valid_fraction, "
            f"had {sorted(unknown)}"
        )
    training = {"log_every_steps": max(1, steps // 50), **extra.get("training", {})}
    training.update(total_steps=steps, seed=seed)
    return RunConfig(
        task=task,
        agent_name=agent,
        data=data,
        agent=extra.get("agent", {}),
        env=extra.get("env", {}),
        training=training,
        **{k: extra[k] for k in ("train_fraction", "valid_fraction") if k in extra},
    )


def _dataset(run: RunConfig) -> Dataset:
    try:
        return load_dataset(
            run.data, train_fraction=run.train_fraction, valid_fraction=run.valid_fraction
        )
    except (FileNotFoundError, DatasetError, ValueError) as exc:
        raise click.UsageError(f"cannot use data {run.data!r}: {exc}") from exc


def _equity(policy: torch.nn.Module, run: RunConfig, dataset: Dataset, split: str) -> Any:
    env = make_env(run, dataset, split, evaluation=True, seed=EVAL_SEED)
    return evaluate_policy(policy, env, episodes=1, seed=EVAL_SEED)  # type: ignore[arg-type]


def _train(run: RunConfig, run_dir: Path, resume: bool, console: Console) -> TrainingResult:
    dataset = _dataset(run)
    try:
        tcfg = training_config(run)
        env = make_env(run, dataset, "train", evaluation=False, seed=tcfg.seed)
        eval_env = make_env(run, dataset, "valid", evaluation=True, seed=tcfg.seed)
        algorithm = make_algorithm(run, env, seed=tcfg.seed)
    except (ValidationError, ValueError, KeyError) as exc:
        raise click.UsageError(f"invalid configuration: {exc}") from exc
    run_dir.mkdir(parents=True, exist_ok=True)
    config_json = run.model_dump(mode="json")
    config_json["agent"] = algorithm.config.model_dump(mode="json")  # type: ignore[attr-defined]
    config_json["training"] = tcfg.model_dump(mode="json")
    record = create_run_record(
        seed=tcfg.seed, config=config_json, dataset_hash=dataset.dataset_hash, device="cpu"
    )
    if resume:
        previous = _read_json(run_dir / CONFIG_FILE) if (run_dir / CONFIG_FILE).exists() else None
        if previous is None:
            raise click.UsageError(f"--resume needs an existing run in {run_dir}")
        prev_cfg = {k: v for k, v in previous.items() if k != "training"}
        new_cfg = {k: v for k, v in config_json.items() if k != "training"}
        if prev_cfg != new_cfg:
            raise click.UsageError("--resume must use the same data/agent/task/config as the run")
    (run_dir / CONFIG_FILE).write_text(json.dumps(config_json, indent=2, sort_keys=True))
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
    torch.save(
        {
            "agent_name": run.agent_name,
            "policy_state": algorithm.policy.state_dict(),
            "global_step": algorithm.global_step,
        },
        run_dir / FINAL_MODEL,
    )
    agent_eval = _equity(algorithm.policy, run, dataset, "valid")
    hold_env = make_env(run, dataset, "valid", evaluation=True, seed=EVAL_SEED)
    hold = evaluate_policy(
        BuyAndHoldPolicy(hold_env.action_spec), hold_env, episodes=1, seed=EVAL_SEED
    )
    write_report(
        run_dir / "report.png",
        equity=agent_eval.equity_curve,
        benchmark=hold.equity_curve,
        history=result.history,
        title=f"{run.agent_name} on {run.task}",
    )
    return result


def _format(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:.4f}"


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
def cli(verbose: bool) -> None:
    """TradeMaster: train and evaluate RL trading agents."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)


@cli.command()
@click.option("--data", required=True, help="OHLCV csv/parquet file, or 'synthetic'.")
@click.option("--agent", default="dqn", show_default=True, type=click.Choice(sorted(AGENT_CONFIGS)))
@click.option(
    "--task", default="algorithmic_trading", show_default=True, type=click.Choice(SUPPORTED_TASKS)
)
@click.option("--steps", default=20_000, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--run-dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON with optional 'agent', 'env', 'training' sections.",
)
@click.option("--resume", is_flag=True, help="Continue the run in --run-dir from its checkpoint.")
def train(
    data: str,
    agent: str,
    task: str,
    steps: int,
    seed: int,
    run_dir: Path,
    config_path: Path | None,
    resume: bool,
) -> None:
    """Train an agent and write config, run record, metrics, checkpoints, model and report."""
    if data != SYNTHETIC and not Path(data).exists():
        raise click.UsageError(f"--data must be a file or '{SYNTHETIC}', {data!r} does not exist")
    try:
        run = _load_run_config(
            data=data, agent=agent, task=task, steps=steps, seed=seed, config_path=config_path
        )
    except ValidationError as exc:
        raise click.UsageError(f"invalid --config: {exc}") from exc
    console = Console()
    result = _train(run, run_dir, resume, console)
    console.print(
        f"{result.status}: {result.global_step} env steps in {result.elapsed_s:.1f}s → {run_dir}"
    )


@cli.command()
@click.option("--run-dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--data", default=None, help="Data to evaluate on (default: the run's data).")
@click.option("--split", default="test", show_default=True, type=click.Choice(SPLIT_NAMES))
def evaluate(run_dir: Path, data: str | None, split: str) -> None:
    """Evaluate a trained run's final policy against flat and buy-and-hold baselines."""
    config_file, model_file = run_dir / CONFIG_FILE, run_dir / FINAL_MODEL
    if not config_file.exists() or not model_file.exists():
        raise click.UsageError(
            f"{run_dir} is not a finished run (needs {CONFIG_FILE}, {FINAL_MODEL})"
        )
    stored = _read_json(config_file)
    stored.pop("training", None)
    if data is not None:
        if data != SYNTHETIC and not Path(data).exists():
            raise click.UsageError(
                f"--data must be a file or '{SYNTHETIC}', {data!r} does not exist"
            )
        stored["data"] = data
    try:
        run = RunConfig(**stored)
    except ValidationError as exc:
        raise click.UsageError(f"invalid {config_file}: {exc}") from exc
    dataset = _dataset(run)
    env = make_env(run, dataset, split, evaluation=True, seed=EVAL_SEED)
    algorithm = make_algorithm(run, env, seed=0)
    saved = torch.load(model_file, map_location="cpu", weights_only=True)
    algorithm.policy.load_state_dict(saved["policy_state"])
    rows = {
        run.agent_name: algorithm.policy,
        "buy_and_hold": BuyAndHoldPolicy(env.action_spec),
        "flat": FlatPolicy(env.action_spec),
    }
    results = {
        name: evaluate_policy(
            policy,
            make_env(run, dataset, split, evaluation=True, seed=EVAL_SEED),
            episodes=1,
            seed=EVAL_SEED,
        ).metrics
        for name, policy in rows.items()
    }
    keys = [k for k in results[run.agent_name] if k.startswith("eval/")]
    table = Table(title=f"{run_dir} on {split} split")
    table.add_column("metric")
    for name in results:
        table.add_column(name, justify="right")
    for key in keys:
        table.add_row(key.removeprefix("eval/"), *(_format(results[n][key]) for n in results))
    Console().print(table)


cli.add_command(jobs)
cli.add_command(login)


def main() -> None:
    """Console-script entry point."""
    cli()
