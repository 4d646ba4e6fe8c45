"""Request → first progress event of a training job on a warm local Ray cluster.

Starts PostgreSQL, Redis and a Ray head, runs the strategy and trainer services in-process, then
for each of N jobs (tiny DQN on the synthetic dataset) measures from the CreateTrainingJob call
to (a) the RUNNING event (scheduled and submitted to Ray) and (b) the first ``training_progress``
event the Ray job publishes. One warm-up job runs first (page cache, Ray worker pool).
The baseline in the same run is a bare subprocess importing torch + the pipeline: the floor any
fresh training process pays. Prints one JSON line per measurement plus a summary; bounded by
``--timeout-s`` per job.

    .venv/bin/python bench/training_latency.py [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import struct_pb2
from tm_strategy.config import StrategySettings
from tm_strategy.server import build as build_strategy
from tm_trainer.config import TrainerSettings
from tm_trainer.server import build as build_trainer
from trademaster.api.strategy.v1 import strategy_pb2, strategy_pb2_grpc
from trademaster.api.trainer.v1 import trainer_pb2, trainer_pb2_grpc
from trademaster.config.strategy import default_config
from trademaster.service.auth import issue_token
from trademaster.service.events import EventBus
from trademaster.service.localstack import PostgresServer, RayHead, RedisServer
from trademaster.service.server import ServiceParts, create_server, stop_server
from trademaster.service.topics import JOB_STATE_CHANGED, TRAINING_PROGRESS
from trademaster.service.topics import training_job_topic as job_topic

_LOGGER = logging.getLogger(__name__)

SECRET = "bench-training-latency-secret-0123456789"
MACHINE = f"{platform.machine()} {platform.node()}"


def _line(bench: str, value: float, unit: str, n: int, **extra: Any) -> None:
    record = {"bench": bench, "value": round(value, 4), "unit": unit, "n": n, "machine": MACHINE}
    record.update(extra)
    print(json.dumps(record), flush=True)


async def _start(settings: Any, name: str, build: Any) -> tuple[grpc.aio.Server, int, ServiceParts]:
    parts = await build(settings)
    server, port = await create_server(
        settings,
        service_name=name,
        register=parts.register,
        full_service_names=parts.full_service_names,
    )
    return server, port, parts


async def _stop(server: grpc.aio.Server, parts: ServiceParts) -> None:
    await stop_server(server, 0)
    for callback in parts.on_shutdown:
        await callback()


async def _strategy(strategies: strategy_pb2_grpc.StrategyServiceStub, auth: list) -> str:
    datasets = await strategies.ListDatasets(
        strategy_pb2.ListDatasetsRequest(task=strategy_pb2.TASK_ALGORITHMIC_TRADING),
        metadata=auth,
        timeout=60,
    )
    dataset = next(d for d in datasets.datasets if d.synthetic and len(d.assets) == 1)
    config = default_config("algorithmic_trading", "dqn")
    config["dataset_id"] = dataset.dataset_id
    config["env"].update(num_envs=4, episode_length=64)
    config["agent_params"].update(learning_starts=200, hidden_sizes=[32, 32])
    config["training"].update(total_steps=100_000, log_every_steps=200)
    struct = struct_pb2.Struct()
    struct.update(config)
    reply = await strategies.CreateStrategy(
        strategy_pb2.CreateStrategyRequest(
            strategy=strategy_pb2.Strategy(
                name="latency",
                task=strategy_pb2.TASK_ALGORITHMIC_TRADING,
                agent="dqn",
                dataset_id=dataset.dataset_id,
                config=struct,
            )
        ),
        metadata=auth,
        timeout=10,
    )
    return reply.strategy.strategy_id


async def _one_job(
    trainer: trainer_pb2_grpc.TrainerServiceStub,
    bus: EventBus,
    strategy_id: str,
    auth: list,
    timeout_s: float,
) -> tuple[float, float, float]:
    """Seconds from the request to the RUNNING event, the first progress event (the job
    process is up) and the first progress event with metrics (training has started)."""
    began = time.time()
    reply = await trainer.CreateTrainingJob(
        trainer_pb2.CreateTrainingJobRequest(strategy_id=strategy_id, seed=1),
        metadata=auth,
        timeout=30,
    )
    topic = job_topic(reply.job.job_id)
    running_at = progress_at = metrics_at = None
    cursor: dict[str, str] = {topic: "0-0"}
    deadline = time.monotonic() + timeout_s
    while metrics_at is None and time.monotonic() < deadline:
        for event in await bus.read([topic], after=cursor, block_ms=200):
            cursor[topic] = event.event_id.rsplit("@", 1)[1]
            if event.type == JOB_STATE_CHANGED and event.payload.get("new_state") == "RUNNING":
                running_at = _seconds(event.time)
            if event.type == TRAINING_PROGRESS and progress_at is None:
                progress_at = _seconds(event.time)
            if event.type == TRAINING_PROGRESS and event.payload.get("metrics"):
                metrics_at = _seconds(event.time)
    await trainer.CancelTrainingJob(
        trainer_pb2.CancelTrainingJobRequest(job_id=reply.job.job_id), metadata=auth, timeout=30
    )
    while True:
        job = await trainer.GetTrainingJob(
            trainer_pb2.GetTrainingJobRequest(job_id=reply.job.job_id), metadata=auth, timeout=10
        )
        if job.job.state == trainer_pb2.TRAINING_JOB_STATE_CANCELLED:
            break
        await asyncio.sleep(0.2)
    if progress_at is None or running_at is None or metrics_at is None:
        raise TimeoutError(f"job {reply.job.job_id} sent no metrics within {timeout_s}s")
    return running_at - began, progress_at - began, metrics_at - began


def _process_floor_s() -> float:
    """What any fresh training process pays before its first step: interpreter + torch (with
    dynamo, which the first optimizer imports) + the pipeline."""
    began = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import torch, torch._dynamo, trademaster.training.pipeline",
        ],
        check=True,
    )
    return time.perf_counter() - began


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


async def main(runs: int, timeout_s: float) -> None:
    root = Path(tempfile.mkdtemp(prefix="tm-bl-"))
    root.chmod(0o755)
    postgres = PostgresServer(root / "pg", fsync=False, log_path=root / "pg.log")
    redis = RedisServer(root / "redis", appendonly=False)
    ray = RayHead(root / "ray", log_path=root / "ray.log")
    await asyncio.gather(
        asyncio.to_thread(postgres.start),
        asyncio.to_thread(redis.start),
        asyncio.to_thread(ray.start),
    )
    servers: list[tuple[grpc.aio.Server, ServiceParts]] = []
    try:
        data_dir = root / "datasets"
        s_server, s_port, s_parts = await _start(
            StrategySettings(
                database_url=postgres.dsn, redis_url=redis.url, jwt_secret=SECRET, data_dir=data_dir
            ),
            "strategy",
            build_strategy,
        )
        servers.append((s_server, s_parts))
        t_server, t_port, t_parts = await _start(
            TrainerSettings(
                database_url=postgres.dsn,
                redis_url=redis.url,
                jwt_secret=SECRET,
                strategy_addr=f"127.0.0.1:{s_port}",
                ray_address=ray.address,
                artifact_dir=root / "artifacts",
                max_active_jobs_per_user=100,
            ),
            "trainer",
            build_trainer,
        )
        servers.append((t_server, t_parts))
        auth = [("authorization", f"Bearer {issue_token(SECRET, 'bench', ['researcher'])[0]}")]
        bus = EventBus(redis.url)
        async with (
            grpc.aio.insecure_channel(f"127.0.0.1:{s_port}") as s_channel,
            grpc.aio.insecure_channel(f"127.0.0.1:{t_port}") as t_channel,
        ):
            trainer = trainer_pb2_grpc.TrainerServiceStub(t_channel)
            strategy_id = await _strategy(strategy_pb2_grpc.StrategyServiceStub(s_channel), auth)
            while not (
                await trainer.GetClusterStatus(
                    trainer_pb2.GetClusterStatusRequest(), metadata=auth, timeout=10
                )
            ).cluster_reachable:
                await asyncio.sleep(0.5)
            warm = await _one_job(trainer, bus, strategy_id, auth, timeout_s)
            _line("training_latency.first_metrics_cold_s", warm[2], "s", 1, run="warm-up")
            submits, firsts, metrics = [], [], []
            for run in range(runs):
                submitted, first, first_metrics = await _one_job(
                    trainer, bus, strategy_id, auth, timeout_s
                )
                submits.append(submitted)
                firsts.append(first)
                metrics.append(first_metrics)
                _line("training_latency.request_to_running_s", submitted, "s", 1, run=run)
                _line("training_latency.request_to_first_progress_s", first, "s", 1, run=run)
                _line("training_latency.request_to_first_metrics_s", first_metrics, "s", 1, run=run)
        floor = await asyncio.to_thread(_process_floor_s)
        _line("training_latency.baseline_fresh_process_imports_s", floor, "s", 1)
        await bus.close()
        summary = {
            "bench": "training_latency.summary",
            "value": round(statistics.median(firsts), 4),
            "unit": "s",
            "n": runs,
            "machine": MACHINE,
            "median_request_to_running_s": round(statistics.median(submits), 4),
            "max_request_to_first_progress_s": round(max(firsts), 4),
            "median_request_to_first_metrics_s": round(statistics.median(metrics), 4),
            "baseline_fresh_process_imports_s": round(floor, 4),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "goal_s": 5.0,
        }
        print(json.dumps(summary), flush=True)
    finally:
        for server, parts in reversed(servers):
            await _stop(server, parts)
        ray.stop()
        redis.stop()
        postgres.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="Measured jobs after the warm-up.")
    parser.add_argument("--timeout-s", type=float, default=90.0, help="Limit per job.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(args.runs, args.timeout_s))
