#!/usr/bin/env python3
"""Train a small DQN strategy on TradeMaster and follow it, with trademaster-client only.

    pip install trademaster_api-*.whl trademaster_client-*.whl
    TM_TOKEN=<service token> python train_and_follow.py

Environment: TM_TOKEN (a service token with the researcher role; required), TM_DATASET (a
dataset id; default: the first algorithmic-trading dataset of the catalog), TM_STEPS (default
1000), and the client's addresses (TM_CLIENT_TARGET or TM_CLIENT_<SERVICE>_ADDR; default: the
local stack of ./tm up). Prints one line per event and ends with the job's result; exits 0 only
when the job succeeded.
"""

from __future__ import annotations

import os
import sys
import time
import uuid

from google.protobuf import json_format, struct_pb2
from trademaster.api.strategy.v1 import strategy_pb2
from trademaster.api.trainer.v1 import trainer_pb2
from trademaster_client import Client, Endpoints, ServiceToken, TradeMasterError
from trademaster_client.events import training_job_topic

TASK = strategy_pb2.TASK_ALGORITHMIC_TRADING
FINAL = {
    trainer_pb2.TRAINING_JOB_STATE_SUCCEEDED,
    trainer_pb2.TRAINING_JOB_STATE_FAILED,
    trainer_pb2.TRAINING_JOB_STATE_CANCELLED,
}
SMALL = {  # a budget that trains in seconds
    "env": {"num_envs": 4, "episode_length": 64},
    "agent_params": {
        "learning_starts": 200,
        "buffer_size": 5000,
        "exploration_steps": 1000,
        "hidden_sizes": [32, 32],
    },
    "training": {"log_every_steps": 200},
}


def small_config(tm: Client, dataset_id: str) -> struct_pb2.Struct:
    """The agent's default config (from the server's schema) with a small training budget."""
    schema = tm.strategy.GetConfigSchema(
        strategy_pb2.GetConfigSchemaRequest(task=TASK, agent="dqn")
    )
    config = json_format.MessageToDict(schema.default_config)
    for section, values in SMALL.items():
        config.setdefault(section, {}).update(values)
    config["dataset_id"] = dataset_id
    struct = struct_pb2.Struct()
    struct.update(config)
    return struct


def pick_dataset(tm: Client) -> str:
    wanted = os.environ.get("TM_DATASET")
    if wanted:
        return wanted
    for dataset in tm.paginate(
        tm.strategy.ListDatasets, strategy_pb2.ListDatasetsRequest(task=TASK)
    ):
        return str(dataset.dataset_id)
    raise SystemExit("no algorithmic-trading dataset in the catalog; set TM_DATASET")


def wait_stored(tm: Client, job_id: str, patience_s: float = 30.0) -> trainer_pb2.TrainingJob:
    """The job once its stored state is final too (events run slightly ahead of the store)."""
    deadline = time.monotonic() + patience_s
    while True:
        job = tm.trainer.GetTrainingJob(trainer_pb2.GetTrainingJobRequest(job_id=job_id)).job
        if job.state in FINAL or time.monotonic() > deadline:
            return job
        time.sleep(0.5)


def main() -> int:
    steps = int(os.environ.get("TM_STEPS", "1000"))
    with Client(Endpoints.from_env(), ServiceToken(os.environ["TM_TOKEN"])) as tm:
        dataset_id = pick_dataset(tm)
        strategy = tm.strategy.CreateStrategy(
            strategy_pb2.CreateStrategyRequest(
                strategy=strategy_pb2.Strategy(
                    name=f"example-dqn-{uuid.uuid4().hex[:6]}",
                    task=TASK,
                    agent="dqn",
                    dataset_id=dataset_id,
                    config=small_config(tm, dataset_id),
                )
            )
        ).strategy
        print(f"strategy {strategy.strategy_id} on {dataset_id}")
        job = tm.trainer.CreateTrainingJob(
            trainer_pb2.CreateTrainingJobRequest(
                strategy_id=strategy.strategy_id, total_steps=steps, seed=7
            )
        ).job
        print(f"job {job.job_id} {trainer_pb2.TrainingJobState.Name(job.state)}")
        topic = training_job_topic(job.job_id)
        # From the topic's first event: nothing published before we subscribed is missed.
        for event in tm.subscribe([topic], after_event_id=f"{topic}@0-0"):
            kind = event.WhichOneof("payload")
            if kind == "training_progress":
                print(
                    f"progress {event.training_progress.step}/{event.training_progress.total_steps}"
                )
            elif kind == "job_state_changed":
                print(f"state {event.job_state_changed.new_state}")
            elif kind == "training_finished":
                print(f"finished {event.training_finished.state}")
                break
        result = wait_stored(tm, job.job_id)
        state = trainer_pb2.TrainingJobState.Name(result.state).removeprefix("TRAINING_JOB_STATE_")
        metrics = ", ".join(f"{k}={v:.4f}" for k, v in sorted(result.final_metrics.items()))
        print(f"result {state} step={result.progress.step} model={result.model_uri} {metrics}")
        return 0 if result.state == trainer_pb2.TRAINING_JOB_STATE_SUCCEEDED else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except TradeMasterError as error:
        print(f"error: {error.reason}: {error.message}", file=sys.stderr)
        sys.exit(2)
