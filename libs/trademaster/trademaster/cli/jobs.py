"""``trademaster login`` and ``trademaster jobs ...``: training jobs through the gateway's HTTP
API, with live progress from its events WebSocket.

The gateway URL and token come from ``--url``/``--token``, else ``TM_URL``/``TM_TOKEN``, else the
file ``trademaster login`` wrote (``$XDG_CONFIG_HOME/trademaster/credentials.json``).
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8080"
TIMEOUT_S = 30.0
FINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
STATES = ("QUEUED", "RUNNING", "PAUSED", "SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED")
RECONNECT_TRIES = 5
RECV_TIMEOUT_S = 60.0


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


@dataclass(frozen=True)
class Gateway:
    """A gateway URL and the bearer token to call it with."""

    url: str
    token: str

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """JSON of a 2xx answer; otherwise a ClickException with the API's error message."""
        import httpx

        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            reply = httpx.request(
                method, f"{self.url}{path}", headers=headers, timeout=TIMEOUT_S, **kwargs
            )
        except httpx.HTTPError as error:
            raise click.ClickException(
                f"cannot reach the gateway at {self.url}: {error}"
            ) from error
        if reply.is_success:
            return None if reply.status_code == 204 else reply.json()
        try:
            body = reply.json()["error"]
            message = f"{body['message']} ({body['reason']}, HTTP {reply.status_code})"
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {reply.status_code}: {reply.text[:200]}"
        raise click.ClickException(message)

    def ws_url(self) -> str:
        scheme, _, rest = self.url.partition("://")
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/api/v1/events"


def _gateway(url: str | None, token: str | None, *, need_token: bool = True) -> Gateway:
    saved = _saved()
    resolved_url = (url or os.environ.get("TM_URL") or saved.get("url") or DEFAULT_URL).rstrip("/")
    resolved_token = token or os.environ.get("TM_TOKEN") or saved.get("access_token") or ""
    if need_token and not resolved_token:
        raise click.UsageError("no token: pass --token, set TM_TOKEN or run 'trademaster login'")
    return Gateway(resolved_url, str(resolved_token))


_url_option = click.option("--url", help=f"Gateway URL (env TM_URL; default {DEFAULT_URL}).")
_token_option = click.option("--token", help="Access token (env TM_TOKEN, or trademaster login).")


@click.command()
@_url_option
@click.option("--username", prompt=True, help="User name.")
@click.option("--password", prompt=True, hide_input=True, help="Password (prompted if omitted).")
def login(url: str | None, username: str, password: str) -> None:
    """Log in to a gateway and store the access token for later commands."""
    gateway = _gateway(url, None, need_token=False)
    reply = gateway.request(
        "POST", "/api/v1/auth/login", json={"username": username, "password": password}
    )
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(
        json.dumps(
            {
                "url": gateway.url,
                "access_token": reply["access_token"],
                "expires_at": reply["expires_at"],
            }
        )
    )
    click.echo(f"logged in as {username}; token valid until {reply['expires_at']} ({path})")


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


def _print_job(console: Console, job: dict[str, Any]) -> None:
    progress = job["progress"]
    console.print(
        f"[bold]{job['id']}[/] {job['state']} step {progress['step']}/{progress['total_steps']}"
        + (f" — {job['failure_reason']}" if job.get("failure_reason") else "")
    )


@jobs.command()
@click.argument("strategy_id")
@click.option("--version", "strategy_version", type=click.IntRange(min=0), default=0)
@click.option("--steps", type=click.IntRange(min=0), default=0, help="0 = the config's value.")
@click.option("--seed", type=click.IntRange(min=0), default=0, help="0 = server chooses.")
@click.option("--set", "sets", multiple=True, help="Override, e.g. agent.lr=0.001 (repeat).")
@click.option("--cpus", type=click.IntRange(min=0), default=0)
@click.option("--gpus", type=click.IntRange(min=0), default=0)
@click.option("--watch/--no-watch", default=True, help="Follow progress until the job ends.")
@_url_option
@_token_option
def start(
    strategy_id: str,
    strategy_version: int,
    steps: int,
    seed: int,
    sets: tuple[str, ...],
    cpus: int,
    gpus: int,
    watch: bool,
    url: str | None,
    token: str | None,
) -> None:
    """Start training STRATEGY_ID; with --watch (default) show live progress."""
    gateway = _gateway(url, token)
    body: dict[str, Any] = {
        "strategy_id": strategy_id,
        "strategy_version": strategy_version,
        "total_steps": steps,
        "seed": seed,
        "overrides": _overrides(sets),
    }
    if cpus or gpus:
        body["resources"] = {"num_cpus": cpus, "num_gpus": gpus}
    job = gateway.request("POST", "/api/v1/training-jobs", json=body)
    console = Console()
    _print_job(console, job)
    if watch:
        raise SystemExit(_watch(gateway, job["id"], console))


@jobs.command(name="watch")
@click.argument("job_id")
@_url_option
@_token_option
def watch_command(job_id: str, url: str | None, token: str | None) -> None:
    """Show live progress of JOB_ID until it ends; exit 0 only if it succeeded."""
    raise SystemExit(_watch(_gateway(url, token), job_id, Console()))


def _watch(gateway: Gateway, job_id: str, console: Console) -> int:
    """Follow a job's events (reconnecting with the last event id); the exit code to use."""
    from websockets.exceptions import ConnectionClosed, InvalidHandshake
    from websockets.sync.client import connect

    job = gateway.request("GET", f"/api/v1/training-jobs/{job_id}")
    last_event_id = ""
    tries = 0
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[info]}"),
        console=console,
    ) as progress:
        bar = progress.add_task(
            job["state"],
            total=max(1, job["progress"]["total_steps"]),
            completed=job["progress"]["step"],
            info="",
        )
        while True:
            try:
                with connect(
                    f"{gateway.ws_url()}?access_token={gateway.token}", open_timeout=TIMEOUT_S
                ) as ws:
                    ws.send(
                        json.dumps(
                            {
                                "type": "subscribe",
                                "topics": [job["events_topic"]],
                                "last_event_id": last_event_id,
                            }
                        )
                    )
                    if not last_event_id:
                        # Subscribed first, then re-read: a state change in between is not lost.
                        _expect_heartbeat(ws)
                        job = gateway.request("GET", f"/api/v1/training-jobs/{job_id}")
                        if job["state"] in FINAL_STATES:
                            progress.update(bar, description=job["state"])
                            return _final(console, job["state"], job.get("failure_reason", ""))
                    tries = 0
                    while True:
                        message = json.loads(ws.recv(timeout=RECV_TIMEOUT_S))
                        if message.get("event_id"):
                            last_event_id = message["event_id"]
                        done = _apply(progress, bar, message)
                        if done is not None:
                            # The trainer publishes only what it has stored: no catch-up needed.
                            return _final(console, *done)
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError) as error:
                tries += 1
                if tries > RECONNECT_TRIES:
                    raise click.ClickException(f"event stream lost: {error}") from error
                _LOGGER.info("jobs.watch_reconnect try=%d error=%r", tries, error)
                time.sleep(min(5.0, 0.5 * 2**tries))


def _expect_heartbeat(ws: Any) -> None:
    message = json.loads(ws.recv(timeout=TIMEOUT_S))
    if message.get("type") == "error":
        error = message["error"]
        raise click.ClickException(f"{error['message']} ({error['reason']})")


def _apply(progress: Progress, bar: Any, message: dict[str, Any]) -> tuple[str, str] | None:
    """Update the bar from one event; ``(state, reason)`` once the job reached a final state."""
    kind = message.get("type")
    payload = message.get("payload") or {}
    if kind == "training_progress":
        metrics = payload.get("metrics") or {}
        info = ""
        if "charts/episodic_return" in metrics:
            info = f"return {metrics['charts/episodic_return']:+.4f}"
        fields: dict[str, Any] = {"completed": payload.get("step", 0)}
        if payload.get("total_steps"):
            fields["total"] = payload["total_steps"]
        if info:
            fields["info"] = info
        progress.update(bar, **fields)
    elif kind == "job_state_changed":
        progress.update(bar, description=payload.get("new_state", ""))
    elif kind == "training_finished":
        state = payload.get("state", "")
        progress.update(bar, description=state)
        return state, payload.get("failure_reason", "")
    elif kind == "error":
        error = message.get("error") or {}
        raise click.ClickException(f"{error.get('message')} ({error.get('reason')})")
    return None


def _final(console: Console, state: str, reason: str) -> int:
    console.print(f"job {state}" + (f": {reason}" if reason else ""))
    return 0 if state == "SUCCEEDED" else 1


@jobs.command(name="list")
@click.option("--state", "states", multiple=True, type=click.Choice(STATES), help="Repeatable.")
@click.option("--strategy", "strategy_id", default="", help="Only jobs of this strategy.")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@_url_option
@_token_option
def list_command(
    states: tuple[str, ...],
    strategy_id: str,
    limit: int,
    as_json: bool,
    url: str | None,
    token: str | None,
) -> None:
    """List training jobs visible to you, newest first."""
    reply = _gateway(url, token).request(
        "GET",
        "/api/v1/training-jobs",
        params={"state": list(states), "strategy_id": strategy_id, "page_size": limit},
    )
    if as_json:
        click.echo(json.dumps(reply, indent=2))
        return
    table = Table("id", "strategy", "state", "progress", "created")
    for job in reply["jobs"]:
        table.add_row(
            job["id"],
            job["strategy_id"],
            job["state"],
            f"{job['progress']['fraction']:.0%}",
            str(job.get("created_at") or ""),
        )
    Console().print(table)


def _control(verb: str) -> click.Command:
    @click.command(name=verb)
    @click.argument("job_id")
    @_url_option
    @_token_option
    def command(job_id: str, url: str | None, token: str | None) -> None:
        job = _gateway(url, token).request("POST", f"/api/v1/training-jobs/{job_id}:{verb}")
        _print_job(Console(), job)

    command.help = f"{verb.capitalize()} training job JOB_ID."
    return command


for _verb in ("pause", "resume", "cancel"):
    jobs.add_command(_control(_verb))
