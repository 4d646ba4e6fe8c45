"""The training runner, entrypoint of one training attempt on the Ray cluster:
``python -m trademaster.runner.training --spec <spec.json>``.

The trainer service writes the spec (the stored :class:`RunSpec` plus this attempt's run dir,
device and checkpoint) into the artifact store and submits this module as a Ray job. The run
reports to the trainer on its private stream (:class:`ReportChannel`); it never touches the
trainer's database or the public topic. The Redis URL comes from the ``TM_JOB_REDIS_URL`` env
var so the spec file holds no credentials.

Exit codes: 0 for succeeded, paused and cancelled runs (the events say which), 1 for failures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from trademaster.config.run import RunSpec
from trademaster.runner.reports import ReportChannel, finite_metrics
from trademaster.runner.tracing import job_span
from trademaster.service import payloads
from trademaster.service.topics import (
    JOB_KIND_TRAINING,
    REPORT_STREAM_PREFIX,
    training_job_topic,
)
from trademaster.training.callbacks import Callback
from trademaster.training.resources import ResourceSampler

if TYPE_CHECKING:
    from trademaster.training.trainer import TrainingResult

_LOGGER = logging.getLogger(__name__)

REDIS_URL_ENV = "TM_JOB_REDIS_URL"
MODEL_FILE = "model.pt"
RUN_RECORD_FILE = "run_record.json"
RUN_CONFIG_FILE = "config.json"
RESOURCES_FILE = "resources.jsonl"
"""Resource history of the job (one JSON sample per line, appended across attempts)."""
RESOURCE_INTERVAL_ENV = "TM_JOB_RESOURCE_INTERVAL_S"
FINAL_EVAL_SEED = 12_345


class JobSpec(BaseModel):
    """One attempt of a training job: the resolved run plus where and how this attempt runs.

    ``run`` is exactly the :class:`RunSpec` the trainer stored; seed, step count, data and
    split come from it and nowhere else.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    job_id: str = Field(..., min_length=1, description="Training job identifier.")
    owner_id: str = Field(..., description="Owner of the job; set on every event.")
    attempt: int = Field(1, ge=1, description="1 for the first submission, +1 per resume.")
    run: RunSpec = Field(..., description="The resolved run, as the trainer stored it.")
    run_dir: str = Field(..., min_length=1, description="Artifact dir of the job.")
    device: Literal["cpu", "cuda"] = Field("cpu", description="Torch device of the algorithm.")
    resume_from: str | None = Field(None, description="Checkpoint file or dir to resume from.")
    stream_prefix: str = Field(REPORT_STREAM_PREFIX, description="Prefix of the report stream.")


def run(spec: JobSpec, channel: ReportChannel) -> str:
    """Train per ``spec``, reporting progress and sampling resource usage; returns the final
    status name (``SUCCEEDED``, ``PAUSED`` or ``CANCELLED``). Raises on failures."""
    interval = float(os.environ.get(RESOURCE_INTERVAL_ENV, "2.0"))
    sampler = ResourceSampler(interval_s=interval).start()
    try:
        return _train(spec, channel, sampler)
    finally:
        sampler.stop()
        with (Path(spec.run_dir) / RESOURCES_FILE).open("a") as history:
            for sample in sampler.history:
                history.write(json.dumps({"attempt": spec.attempt, **sample}) + "\n")


def _train(spec: JobSpec, channel: ReportChannel, sampler: ResourceSampler) -> str:
    from trademaster.training.pipeline import load_run_dataset, make_algorithm, make_env
    from trademaster.training.run_record import create_run_record
    from trademaster.training.trainer import Trainer

    run_spec = spec.run
    training, seed = run_spec.training, run_spec.seed
    dataset = load_run_dataset(run_spec)
    env = make_env(run_spec, dataset, "train", evaluation=False, seed=seed)
    eval_env = make_env(run_spec, dataset, "valid", evaluation=True, seed=seed)
    algorithm = make_algorithm(run_spec, env, seed=seed, device=spec.device)
    record = create_run_record(
        seed=seed,
        config=run_spec.model_dump(mode="json"),
        dataset_hash=dataset.dataset_hash,
        device=spec.device,
        extra={"job_id": spec.job_id, "attempt": spec.attempt},
    )
    pause_event, stop_event = threading.Event(), threading.Event()
    trainer = Trainer(
        algorithm,
        training,
        eval_env=eval_env if training.eval_every_steps is not None else None,
        callbacks=[
            JobEventsCallback(
                channel,
                spec.job_id,
                pause_event=pause_event,
                stop_event=stop_event,
                resources=sampler,
            )
        ],
        run_dir=spec.run_dir,
        pause_event=pause_event,
        stop_event=stop_event,
        run_record=record,
    )
    if spec.resume_from:
        trainer.resume(spec.resume_from)
    result = trainer.run()
    if result.status == "paused":
        channel.report(
            payloads.job_state_changed(
                spec.job_id,
                JOB_KIND_TRAINING,
                "RUNNING",
                "PAUSED",
                f"checkpointed at step {result.global_step}",
            )
        )
        return "PAUSED"
    if result.status == "stopped":
        channel.report(payloads.training_finished(spec.job_id, "CANCELLED"))
        return "CANCELLED"
    _write_outputs(
        spec, dataset, algorithm, {**record.to_dict(), "resource_usage": sampler.summary()}
    )
    final = _final_metrics(spec, dataset, algorithm, result)
    model_uri = (Path(spec.run_dir) / MODEL_FILE).resolve().as_uri()
    channel.report(
        payloads.training_finished(
            spec.job_id, "SUCCEEDED", final_metrics=final, model_uri=model_uri
        )
    )
    return "SUCCEEDED"


def _write_outputs(spec: JobSpec, dataset: Any, algorithm: Any, record: dict[str, Any]) -> None:
    """Run record, run spec and the self-contained model artifact into the run dir."""
    from trademaster.training.model_artifact import model_artifact

    run_dir = Path(spec.run_dir)
    (run_dir / RUN_RECORD_FILE).write_text(json.dumps(record, sort_keys=True))
    # The same run spec ``trademaster train`` writes, so backtests replay either kind of run.
    (run_dir / RUN_CONFIG_FILE).write_text(spec.run.model_dump_json(indent=2))
    # Self-contained: weights + run spec + train-fitted scaler, so replays never re-read data.
    model_artifact(spec.run, dataset, algorithm).save(run_dir / MODEL_FILE)


def _final_metrics(
    spec: JobSpec, dataset: Any, algorithm: Any, result: TrainingResult
) -> dict[str, float]:
    """Validation metrics of the trained policy (fixed seed) plus the last episodic returns."""
    from trademaster.training.pipeline import evaluate_run_policy, make_env

    final_env = make_env(spec.run, dataset, "valid", evaluation=True, seed=FINAL_EVAL_SEED)
    outcome = evaluate_run_policy(
        spec.run,
        algorithm.policy,
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
    return final


class JobEventsCallback(Callback):
    """Publishes progress rows (with the latest resource sample, when a sampler is given) and
    checkpoints, and turns the control flag into pause/stop.

    The flag is polled at most every ``control_poll_s`` seconds, so a fast loop is not slowed
    by a Redis round trip per iteration.
    """

    def __init__(
        self,
        channel: ReportChannel,
        job_id: str,
        *,
        pause_event: threading.Event,
        stop_event: threading.Event,
        control_poll_s: float = 0.05,
        resources: ResourceSampler | None = None,
    ) -> None:
        self.channel = channel
        self.job_id = job_id
        self.resources = resources
        self.pause_event = pause_event
        self.stop_event = stop_event
        self.control_poll_s = control_poll_s
        self._next_poll = 0.0

    def on_start(self) -> None:
        self._progress(self.trainer.algorithm.global_step, {})
        self._poll(force=True)

    def _progress(self, step: int, metrics: dict[str, float]) -> None:
        self.channel.report(
            payloads.training_progress(self.job_id, step, self.trainer.config.total_steps, metrics)
        )

    def _poll(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now < self._next_poll:
            return
        self._next_poll = now + self.control_poll_s
        command = self.channel.control()
        if command == "pause":
            self.pause_event.set()
        elif command == "cancel":
            self.stop_event.set()

    def on_iteration(self, metrics: dict[str, float]) -> bool:
        self._poll()
        return True

    def on_log(self, row: dict[str, Any]) -> None:
        if row.get("partial"):
            # A window cut short by pause/stop; the resumed run completes it with the same step.
            return
        metrics = finite_metrics(row)
        if self.resources is not None:  # live usage rides along, stored as metric history
            metrics.update(self.resources.latest())
        self._progress(int(row["global_step"]), metrics)

    def on_eval(self, metrics: dict[str, float]) -> None:
        self._progress(self.trainer.algorithm.global_step, finite_metrics(metrics))

    def on_checkpoint(self, path: Path) -> None:
        self.channel.report(
            payloads.checkpoint_saved(
                self.job_id, self.trainer.algorithm.global_step, path.resolve().as_uri()
            )
        )

    def on_end(self, result: TrainingResult) -> None:
        _LOGGER.info(
            "job.training_ended job.id=%s status=%s step=%d",
            self.job_id,
            result.status,
            result.global_step,
        )


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
    with ReportChannel(
        redis_url,
        training_job_topic(spec.job_id),
        spec.owner_id,
        stream_prefix=spec.stream_prefix,
    ) as channel:
        if spec.resume_from is None:
            # Tell the trainer the run is alive before the slow part (torch import, data, model).
            channel.report(payloads.training_progress(spec.job_id, 0, spec.run.total_steps, {}))
        try:
            with job_span({"job.id": spec.job_id, "job.attempt": spec.attempt}):
                status = run(spec, channel)
        except Exception as error:
            # Any failure of the run ends it; the event carries the reason, the log the trace.
            _LOGGER.exception("job.failed job.id=%s", spec.job_id)
            channel.report(
                payloads.training_finished(
                    spec.job_id, "FAILED", failure_reason=f"{type(error).__name__}: {error}"
                )
            )
            return 1
    _LOGGER.info("job.ended job.id=%s status=%s", spec.job_id, status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
