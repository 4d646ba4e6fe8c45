"""Entrypoint of one training run on the Ray cluster:
``python -m trademaster.training.ray_job --spec <spec.json>``.

The trainer service writes the spec (what to train, on which data, from which checkpoint) into
the artifact store and submits this module as a Ray job. The run reports through
:class:`~trademaster.training.jobrunner_events.JobChannel` only; it never touches the trainer's
database. The Redis URL comes from the ``TM_JOB_REDIS_URL`` env var so the spec file holds no
credentials.

Exit codes: 0 for succeeded, paused and cancelled runs (the events say which), 1 for failures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from trademaster.training.job_tracing import job_span
from trademaster.training.jobrunner_events import JobChannel, JobEventsCallback, finite_metrics

_LOGGER = logging.getLogger(__name__)

REDIS_URL_ENV = "TM_JOB_REDIS_URL"
MODEL_FILE = "model.pt"
RUN_RECORD_FILE = "run_record.json"
RUN_CONFIG_FILE = "config.json"
FINAL_EVAL_SEED = 12_345


class JobSpec(BaseModel):
    """Everything one attempt of a training job needs; written by the trainer service."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    job_id: str = Field(..., min_length=1, description="Training job identifier.")
    owner_id: str = Field(..., description="Owner of the job; set on every event.")
    attempt: int = Field(1, ge=1, description="1 for the first submission, +1 per resume.")
    config: dict[str, Any] = Field(..., description="Resolved strategy config (JSON).")
    dataset_path: str = Field(..., min_length=1, description="Absolute path of the data file.")
    seed: int = Field(..., ge=0, description="Seed of the run.")
    total_steps: int = Field(..., ge=1, description="Env steps to train for.")
    run_dir: str = Field(..., min_length=1, description="Artifact dir of the job.")
    device: Literal["cpu", "cuda"] = Field("cpu", description="Torch device of the algorithm.")
    resume_from: str | None = Field(None, description="Checkpoint file or dir to resume from.")
    stream_prefix: str = Field("tm:events:", description="Redis stream prefix of the event bus.")
    train_fraction: float = Field(0.7, gt=0, lt=1, description="Share of dates for training.")
    valid_fraction: float = Field(0.15, gt=0, lt=1, description="Share of dates for validation.")


def run(spec: JobSpec, channel: JobChannel) -> str:
    """Train per ``spec``, publishing events; returns the final status name
    (``SUCCEEDED``, ``PAUSED`` or ``CANCELLED``). Raises on failures."""
    import torch

    from trademaster.config.strategy import parse_strategy_config
    from trademaster.training.pipeline import (
        RunConfig,
        evaluate_run_policy,
        load_run_dataset,
        make_algorithm,
        make_env,
        training_config,
    )
    from trademaster.training.run_record import create_run_record
    from trademaster.training.trainer import Trainer

    strategy = parse_strategy_config(
        str(spec.config.get("task", "")), str(spec.config.get("agent", "")), spec.config
    )
    run_config = RunConfig.from_strategy(
        strategy,
        data=spec.dataset_path,
        train_fraction=spec.train_fraction,
        valid_fraction=spec.valid_fraction,
    )
    run_config = run_config.model_copy(
        update={
            "training": {**run_config.training, "total_steps": spec.total_steps, "seed": spec.seed}
        }
    )
    training = training_config(run_config)
    dataset = load_run_dataset(run_config)
    env = make_env(run_config, dataset, "train", evaluation=False, seed=spec.seed)
    eval_env = make_env(run_config, dataset, "valid", evaluation=True, seed=spec.seed)
    algorithm = make_algorithm(run_config, env, seed=spec.seed, device=spec.device)
    record = create_run_record(
        seed=spec.seed,
        config=run_config.model_dump(mode="json"),
        dataset_hash=dataset.dataset_hash,
        device=spec.device,
        extra={"job_id": spec.job_id, "attempt": spec.attempt},
    )
    pause_event, stop_event = threading.Event(), threading.Event()
    trainer = Trainer(
        algorithm,
        training,
        eval_env=eval_env if training.eval_every_steps is not None else None,
        callbacks=[JobEventsCallback(channel, pause_event=pause_event, stop_event=stop_event)],
        run_dir=spec.run_dir,
        pause_event=pause_event,
        stop_event=stop_event,
        run_record=record,
    )
    if spec.resume_from:
        trainer.resume(spec.resume_from)
    result = trainer.run()
    if result.status == "paused":
        channel.state_changed("RUNNING", "PAUSED", f"checkpointed at step {result.global_step}")
        return "PAUSED"
    if result.status == "stopped":
        channel.finished("CANCELLED", failure_reason="")
        return "CANCELLED"
    run_dir = Path(spec.run_dir)
    (run_dir / RUN_RECORD_FILE).write_text(json.dumps(record.to_dict(), sort_keys=True))
    # The same run config ``trademaster train`` writes, so backtests replay either kind of run.
    (run_dir / RUN_CONFIG_FILE).write_text(
        json.dumps(run_config.model_dump(mode="json"), indent=2, sort_keys=True)
    )
    model_path = run_dir / MODEL_FILE
    torch.save(
        {
            "agent_name": strategy.agent,
            "policy_state": algorithm.policy.state_dict(),
            "global_step": algorithm.global_step,
            "config": spec.config,
        },
        model_path,
    )
    final_env = make_env(run_config, dataset, "valid", evaluation=True, seed=FINAL_EVAL_SEED)
    outcome = evaluate_run_policy(
        run_config,
        algorithm.policy,  # type: ignore[arg-type]
        final_env,
        seed=FINAL_EVAL_SEED,
    )
    final = finite_metrics(outcome.metrics)
    if result.history:
        final.update(
            {
                k: v
                for k, v in finite_metrics(result.history[-1]).items()
                if k.startswith("charts/episodic")
            }
        )
    channel.finished(
        "SUCCEEDED",
        final_metrics=final,
        model_uri=model_path.resolve().as_uri(),
    )
    return "SUCCEEDED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one training job attempt.")
    parser.add_argument("--spec", required=True, type=Path, help="Path of the JobSpec JSON.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    spec = JobSpec.model_validate_json(args.spec.read_text())
    redis_url = os.environ.get(REDIS_URL_ENV)
    if not redis_url:
        print(f"{REDIS_URL_ENV} must be set to the event bus Redis URL", file=sys.stderr)
        return 2
    with JobChannel(
        redis_url, spec.job_id, spec.owner_id, stream_prefix=spec.stream_prefix
    ) as channel:
        if spec.resume_from is None:
            # Tell watchers the run is alive before the slow part (torch import, data, model).
            channel.progress(0, spec.total_steps, {})
        try:
            with job_span({"job.id": spec.job_id, "job.attempt": spec.attempt}):
                status = run(spec, channel)
        except Exception as error:
            # Any failure of the run ends it; the event carries the reason, the log the trace.
            _LOGGER.exception("job.failed job.id=%s", spec.job_id)
            channel.finished("FAILED", failure_reason=f"{type(error).__name__}: {error}")
            return 1
    _LOGGER.info("job.ended job.id=%s status=%s", spec.job_id, status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
