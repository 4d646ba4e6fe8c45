"""``trademaster login`` and ``trademaster jobs ...``: training jobs over the platform's gRPC API
(with ``trademaster-client``), live progress from the notifier's event stream.

Addresses: ``--target`` (one gRPC address for every service, env ``TM_CLIENT_TARGET``), else
the target saved by ``trademaster login``, else the local stack's ports; each service can be
pointed elsewhere with ``TM_CLIENT_<SERVICE>_ADDR``. The token comes from ``--token``, else
``TM_TOKEN``, else the file ``trademaster login`` wrote
(``$XDG_CONFIG_HOME/trademaster/credentials.json``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from google.protobuf import json_format, struct_pb2
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from trademaster_client import Client, Endpoints, ServiceToken, TradeMasterError
from trademaster_client.events import training_job_topic

from trademaster.api.common.v1 import common_pb2
from trademaster.api.identity.v1 import identity_pb2
from trademaster.api.notifier.v1 import notifier_pb2
from trademaster.api.trainer.v1 import trainer_pb2

_LOGGER = logging.getLogger(__name__)

TIMEOUT_S = 30.0
FINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
STATES = ("QUEUED", "RUNNING", "PAUSED", "SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED")
_STATE_PREFIX = "TRAINING_JOB_STATE_"


def credentials_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "trademaster" / "credentials.json"


def _saved() -> dict[str, Any]:
    path = credentials_path()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise click.ClickException(f"cannot read {path}: {error}") from error
    return data if isinstance(data, dict) else {}


def _endpoints(target: str | None, saved: dict[str, Any]) -> Endpoints:
    target = target or os.environ.get("TM_CLIENT_TARGET") or saved.get("target") or None
    environ = dict(os.environ)
    if target:
        environ["TM_CLIENT_TARGET"] = target
    return Endpoints.from_env(environ)


@contextmanager
def _client(target: str | None, token: str | None, *, need_token: bool = True) -> Iterator[Client]:
    """A client for the CLI's addresses and token; API errors become ClickExceptions."""
    saved = _saved()
    resolved = token or os.environ.get("TM_TOKEN") or saved.get("access_token") or ""
    if need_token and not resolved:
        raise click.UsageError("no token: pass --token, set TM_TOKEN or run 'trademaster login'")
    credentials = ServiceToken(str(resolved)) if resolved else None
    try:
        with Client(_endpoints(target, saved), credentials, default_timeout_s=TIMEOUT_S) as tm:
            yield tm
    except TradeMasterError as error:
        hint = " (run 'trademaster login')" if error.reason == "TOKEN_EXPIRED" else ""
        raise click.ClickException(
            f"{error.message} ({error.code.name}/{error.reason}){hint}"
        ) from error


_target_option = click.option(
    "--target", help="gRPC address of every service (env TM_CLIENT_TARGET; default: local stack)."
)
_token_option = click.option("--token", help="Access token (env TM_TOKEN, or trademaster login).")


@click.command()
@_target_option
@click.option("--username", prompt=True, help="User name.")
@click.option("--password", prompt=True, hide_input=True, help="Password (prompted if omitted).")
def login(target: str | None, username: str, password: str) -> None:
    """Log in (IdentityService.Login) and store the access token for later commands."""
    with _client(target, None, need_token=False) as tm:
        reply = tm.identity.Login(identity_pb2.LoginRequest(username=username, password=password))
    expires_at = reply.expire_time.ToDatetime().isoformat() + "Z"
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    saved = {"access_token": reply.access_token, "expires_at": expires_at}
    if target:
        saved["target"] = target
    path.write_text(json.dumps(saved))
    click.echo(f"logged in as {username}; token valid until {expires_at} ({path})")


@click.group()
def jobs() -> None:
    """Training jobs on the platform: start, watch, list, pause, resume, cancel."""


def _parse_override(text: str) -> tuple[list[str], Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise click.BadParameter(f"must look like section.key=value, was {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.split("."), value


def _overrides(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        path, value = _parse_override(pair)
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return out


def _state(job: trainer_pb2.TrainingJob) -> str:
    return trainer_pb2.TrainingJobState.Name(job.state).removeprefix(_STATE_PREFIX)


def job_json(job: trainer_pb2.TrainingJob) -> dict[str, Any]:
    """The CLI's JSON view of a job: short state names, plain numbers, ISO times."""
    return {
        "id": job.job_id,
        "strategy_id": job.strategy_id,
        "strategy_version": job.strategy_version,
        "state": _state(job),
        "failure_reason": job.failure_reason,
        "progress": {
            "step": job.progress.step,
            "total_steps": job.progress.total_steps,
            "fraction": job.progress.fraction,
        },
        "final_metrics": dict(job.final_metrics),
        "model_uri": job.model_uri,
        "created_at": job.create_time.ToDatetime().isoformat() + "Z"
        if job.HasField("create_time")
        else None,
        "overrides": json_format.MessageToDict(job.overrides),
        "priority": job.priority,
        "queue_position": job.queue_position,
        "wait_reason": job.wait_reason,
        "time_limit_seconds": job.time_limit_seconds,
    }


def _print_job(console: Console, job: trainer_pb2.TrainingJob) -> None:
    console.print(
        f"[bold]{job.job_id}[/] {_state(job)} step {job.progress.step}/{job.progress.total_steps}"
        + (f" — {job.failure_reason}" if job.failure_reason else "")
    )


def _get(tm: Client, job_id: str) -> trainer_pb2.TrainingJob:
    return tm.trainer.GetTrainingJob(trainer_pb2.GetTrainingJobRequest(job_id=job_id)).job


@jobs.command()
@click.argument("strategy_id")
@click.option("--version", "strategy_version", type=click.IntRange(min=0), default=0)
@click.option("--steps", type=click.IntRange(min=0), default=0, help="0 = the config's value.")
@click.option("--seed", type=click.IntRange(min=0), default=0, help="0 = server chooses.")
@click.option("--set", "sets", multiple=True, help="Override, e.g. agent.lr=0.001 (repeat).")
@click.option("--cpus", type=click.IntRange(min=0), default=0)
@click.option("--gpus", type=click.IntRange(min=0), default=0)
@click.option(
    "--priority",
    type=click.IntRange(-10, 10),
    default=0,
    help="Higher runs first; above 0 needs admin or risk_officer.",
)
@click.option(
    "--time-limit",
    "time_limit",
    type=click.FloatRange(min=0),
    default=0,
    help="Seconds one run may last; 0 = your quota.",
)
@click.option("--watch/--no-watch", default=True, help="Follow progress until the job ends.")
@_target_option
@_token_option
def start(
    strategy_id: str,
    strategy_version: int,
    steps: int,
    seed: int,
    sets: tuple[str, ...],
    cpus: int,
    gpus: int,
    priority: int,
    time_limit: float,
    watch: bool,
    target: str | None,
    token: str | None,
) -> None:
    """Start training STRATEGY_ID; with --watch (default) show live progress."""
    overrides = struct_pb2.Struct()
    overrides.update(_overrides(sets))
    request = trainer_pb2.CreateTrainingJobRequest(
        strategy_id=strategy_id,
        strategy_version=strategy_version,
        total_steps=steps,
        seed=seed,
        overrides=overrides,
        priority=priority,
        time_limit_seconds=time_limit,
    )
    if cpus or gpus:
        request.resources.CopyFrom(common_pb2.Resources(num_cpus=cpus, num_gpus=gpus))
    console = Console()
    with _client(target, token) as tm:
        job = tm.trainer.CreateTrainingJob(request).job
        _print_job(console, job)
        if watch:
            code = _watch(tm, job.job_id, console)
    if watch:
        raise SystemExit(code)


@jobs.command(name="watch")
@click.argument("job_id")
@_target_option
@_token_option
def watch_command(job_id: str, target: str | None, token: str | None) -> None:
    """Show live progress of JOB_ID until it ends; exit 0 only if it succeeded."""
    with _client(target, token) as tm:
        code = _watch(tm, job_id, Console())
    raise SystemExit(code)


def _watch(tm: Client, job_id: str, console: Console) -> int:
    """Follow a job's events (the client resumes after disconnects); the exit code to use."""
    job = _get(tm, job_id)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[info]}"),
        console=console,
    ) as progress:
        bar = progress.add_task(
            _state(job),
            total=max(1, job.progress.total_steps),
            completed=job.progress.step,
            info="",
        )
        stream = tm.subscribe([training_job_topic(job_id)], include_heartbeats=True)
        joined = False
        try:
            for event in stream:
                if not event.event_id:
                    if not joined:
                        # Subscribed first, then re-read: a state change in between is not lost.
                        joined = True
                        job = _get(tm, job_id)
                        if _state(job) in FINAL_STATES:
                            progress.update(bar, description=_state(job))
                            return _final(console, _state(job), job.failure_reason)
                    continue
                done = _apply(progress, bar, event)
                if done is not None:
                    # The trainer publishes only what it has stored: no catch-up needed.
                    return _final(console, *done)
        finally:
            stream.close()
    raise click.ClickException("event stream ended")


def _apply(progress: Progress, bar: Any, event: notifier_pb2.Event) -> tuple[str, str] | None:
    """Update the bar from one event; ``(state, reason)`` once the job reached a final state."""
    kind = event.WhichOneof("payload")
    if kind == "training_progress":
        payload = event.training_progress
        fields: dict[str, Any] = {"completed": payload.step}
        if payload.total_steps:
            fields["total"] = payload.total_steps
        if "charts/episodic_return" in payload.metrics:
            fields["info"] = f"return {payload.metrics['charts/episodic_return']:+.4f}"
        progress.update(bar, **fields)
    elif kind == "job_state_changed":
        progress.update(bar, description=event.job_state_changed.new_state)
    elif kind == "training_finished":
        finished = event.training_finished
        progress.update(bar, description=finished.state)
        return finished.state, finished.failure_reason
    return None


def _final(console: Console, state: str, reason: str) -> int:
    console.print(f"job {state}" + (f": {reason}" if reason else ""))
    return 0 if state == "SUCCEEDED" else 1


@jobs.command(name="list")
@click.option("--state", "states", multiple=True, type=click.Choice(STATES), help="Repeatable.")
@click.option("--strategy", "strategy_id", default="", help="Only jobs of this strategy.")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the jobs as JSON.")
@_target_option
@_token_option
def list_command(
    states: tuple[str, ...],
    strategy_id: str,
    limit: int,
    as_json: bool,
    target: str | None,
    token: str | None,
) -> None:
    """List training jobs visible to you, newest first."""
    request = trainer_pb2.ListTrainingJobsRequest(
        states=[trainer_pb2.TrainingJobState.Value(_STATE_PREFIX + s) for s in states],
        strategy_id=strategy_id,
    )
    with _client(target, token) as tm:
        found = []
        for job in tm.paginate(tm.trainer.ListTrainingJobs, request, page_size=min(limit, 100)):
            found.append(job)
            if len(found) == limit:
                break
    if as_json:
        click.echo(json.dumps({"jobs": [job_json(job) for job in found]}, indent=2))
        return
    table = Table("id", "strategy", "state", "progress", "queue", "created")
    for job in found:
        view = job_json(job)
        table.add_row(
            view["id"],
            view["strategy_id"],
            view["state"],
            f"{view['progress']['fraction']:.0%}",
            f"#{job.queue_position} {job.wait_reason}" if job.queue_position else "",
            str(view["created_at"] or ""),
        )
    Console().print(table)


_CONTROL = {
    "pause": ("PauseTrainingJob", trainer_pb2.PauseTrainingJobRequest),
    "resume": ("ResumeTrainingJob", trainer_pb2.ResumeTrainingJobRequest),
    "cancel": ("CancelTrainingJob", trainer_pb2.CancelTrainingJobRequest),
}


def _control(verb: str) -> click.Command:
    rpc, request_type = _CONTROL[verb]

    @click.command(name=verb)
    @click.argument("job_id")
    @_target_option
    @_token_option
    def command(job_id: str, target: str | None, token: str | None) -> None:
        with _client(target, token) as tm:
            job = getattr(tm.trainer, rpc)(request_type(job_id=job_id)).job
        _print_job(Console(), job)

    command.help = f"{verb.capitalize()} training job JOB_ID."
    return command


for _verb in _CONTROL:
    jobs.add_command(_control(_verb))
