"""``trademaster models ...``: the model registry through the gateway's HTTP API.

Same gateway URL and token resolution as ``trademaster jobs`` (``--url``/``--token``, env
``TM_URL``/``TM_TOKEN``, or the file ``trademaster login`` wrote). ``--json`` prints the API's
answer as is, for scripts.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any
from urllib.parse import quote

import click
from rich.console import Console
from rich.table import Table

from trademaster.cli.gateway_http import gateway_for, url_option
from trademaster.cli.jobs import _token_option

_json_option = click.option("--json", "as_json", is_flag=True, help="Print the raw JSON answer.")
_at_option = click.option(
    "--at",
    "at",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    default=None,
    help="Answer for this past time (ISO 8601; naive times are UTC).",
)


def _path(*parts: str | int) -> str:
    return "/api/v1/" + "/".join(quote(str(p), safe=":") for p in parts)


def _emit(data: Any, as_json: bool, render: Any) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
    else:
        render(Console(), data)


def _iso(at: datetime | None) -> dict[str, str]:
    if at is None:
        return {}
    return {"as_of": at.isoformat() if at.tzinfo else f"{at.isoformat()}+00:00"}


def _tags(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"must look like key=value, was {pair!r}", param_hint="--tag")
        out[key] = value
    return out


def _show_model(console: Console, model: dict[str, Any]) -> None:
    aliases = ", ".join(f"{a}→v{v}" for a, v in sorted(model["aliases"].items())) or "no aliases"
    console.print(
        f"[bold]{model['name']}[/] {model['id']} latest v{model['latest_version']} ({aliases})"
    )


def _show_version(console: Console, v: dict[str, Any]) -> None:
    console.print(
        f"[bold]v{v['version']}[/] of {v['model_id']} from job {v['training_job_id']} "
        f"(strategy {v['strategy_id']} v{v['strategy_version']}, dataset {v['dataset_id']})"
    )
    console.print(f"  model {v['model_uri']}  aliases {', '.join(v['aliases']) or '-'}")
    console.print(f"  tags {v['tags'] or '-'}  ever deployed: {v['ever_deployed']}")
    for name, value in sorted(v["metrics"].items()):
        console.print(f"  {name} = {value:.6g}")
    for b in v["backtests"]:
        sharpe = b["summary_metrics"].get("sharpe_ratio")
        console.print(f"  backtest {b['id']} {b['state']} on {b['dataset_id']} sharpe {sharpe}")
    for d in v["deployments"]:
        console.print(
            f"  deployed {d['id']} {d['mode']} on {d['account_id']} from {d['start_time']}"
            f" to {d['end_time'] or 'now'}"
        )


@click.group()
def models() -> None:
    """Registered models: versions from finished jobs, aliases, compare, history."""


@models.command(name="create")
@click.argument("name")
@click.option("--description", default="")
@_json_option
@url_option
@_token_option
def create(name: str, description: str, as_json: bool, url: str | None, token: str | None) -> None:
    """Register a model NAME (a named series of versions)."""
    body = {"name": name, "description": description}
    _emit(gateway_for(url, token).request("POST", _path("models"), json=body), as_json, _show_model)


@models.command(name="list")
@_json_option
@url_option
@_token_option
def list_models(as_json: bool, url: str | None, token: str | None) -> None:
    """Your registered models, newest first."""
    reply = gateway_for(url, token).request("GET", _path("models"))

    def render(console: Console, data: dict[str, Any]) -> None:
        for model in data["models"]:
            _show_model(console, model)

    _emit(reply, as_json, render)


@models.command(name="register")
@click.argument("model_id")
@click.argument("training_job_id")
@click.option("--description", default="")
@click.option("--tag", "tags", multiple=True, help="key=value (repeat).")
@_json_option
@url_option
@_token_option
def register(
    model_id: str,
    training_job_id: str,
    description: str,
    tags: tuple[str, ...],
    as_json: bool,
    url: str | None,
    token: str | None,
) -> None:
    """Add the model of a SUCCEEDED TRAINING_JOB_ID as the next version of MODEL_ID."""
    body = {"training_job_id": training_job_id, "description": description, "tags": _tags(tags)}
    reply = gateway_for(url, token).request(
        "POST", _path("models", model_id, "versions"), json=body
    )
    _emit(reply, as_json, _show_version)


@models.command(name="show")
@click.argument("model_id")
@click.argument("version", type=click.IntRange(min=1), required=False)
@_json_option
@url_option
@_token_option
def show(
    model_id: str, version: int | None, as_json: bool, url: str | None, token: str | None
) -> None:
    """A model and its versions, or one VERSION with metrics, backtests and deployments."""
    gateway = gateway_for(url, token)
    if version is not None:
        reply = gateway.request("GET", _path("models", model_id, "versions", version))
        _emit(reply, as_json, _show_version)
        return
    model = gateway.request("GET", _path("models", model_id))
    versions = gateway.request("GET", _path("models", model_id, "versions"))

    def render(console: Console, data: dict[str, Any]) -> None:
        _show_model(console, data["model"])
        for v in data["versions"]:
            console.print(f"  v{v['version']} job {v['training_job_id']} {v['aliases'] or ''}")

    _emit({"model": model, "versions": versions["versions"]}, as_json, render)


@models.command(name="alias")
@click.argument("model_id")
@click.argument("alias")
@click.argument("version", type=click.IntRange(min=1), required=False)
@click.option("--remove", is_flag=True, help="Remove the alias instead.")
@_at_option
@_json_option
@url_option
@_token_option
def alias(
    model_id: str,
    alias: str,
    version: int | None,
    remove: bool,
    at: datetime | None,
    as_json: bool,
    url: str | None,
    token: str | None,
) -> None:
    """Point ALIAS at VERSION, remove it (--remove), or show what it names (now or --at)."""
    gateway = gateway_for(url, token)
    path = _path("models", model_id, "aliases", alias)
    if remove:
        _emit(gateway.request("DELETE", path), as_json, _show_model)
    elif version is not None:
        _emit(gateway.request("PUT", path, json={"version": version}), as_json, _show_model)
    else:
        reply = gateway.request("GET", path, params=_iso(at))
        _emit(
            reply,
            as_json,
            lambda console, data: console.print(
                f"{data['alias']} → "
                + ("none" if data["version"] is None else f"v{data['version']}")
            ),
        )


@models.command(name="tag")
@click.argument("model_id")
@click.argument("version", type=click.IntRange(min=1))
@click.argument("tags", nargs=-1)
@click.option("--remove", "remove", multiple=True, help="Tag key to remove (repeat).")
@_json_option
@url_option
@_token_option
def tag(
    model_id: str,
    version: int,
    tags: tuple[str, ...],
    remove: tuple[str, ...],
    as_json: bool,
    url: str | None,
    token: str | None,
) -> None:
    """Set TAGS (key=value ...) and remove --remove keys on VERSION."""
    body = {"set": _tags(tags), "remove": list(remove)}
    path = _path("models", model_id, "versions", version, "tags")
    _emit(gateway_for(url, token).request("PATCH", path, json=body), as_json, _show_version)


@models.command(name="compare")
@click.argument("model_id")
@click.argument("versions", nargs=-1, required=True, type=click.IntRange(min=1))
@_json_option
@url_option
@_token_option
def compare(
    model_id: str, versions: tuple[int, ...], as_json: bool, url: str | None, token: str | None
) -> None:
    """VERSIONS of MODEL_ID side by side: metrics and the run settings that differ."""
    reply = gateway_for(url, token).request(
        "GET", _path("models", model_id, "versions:compare"), params={"versions": list(versions)}
    )

    def render(console: Console, data: dict[str, Any]) -> None:
        table = Table("metric / setting", *(f"v{v['version']}" for v in data["versions"]))
        for row in data["metrics"]:
            cells = ["-" if x is None or math.isnan(x) else f"{x:.6g}" for x in row["values"]]
            table.add_row(row["name"], *cells)
        for row in data["differing_settings"]:
            table.add_row(row["path"], *(json.dumps(x) for x in row["values"]))
        console.print(table)

    _emit(reply, as_json, render)


@models.command(name="delete-version")
@click.argument("model_id")
@click.argument("version", type=click.IntRange(min=1))
@url_option
@_token_option
def delete_version(model_id: str, version: int, url: str | None, token: str | None) -> None:
    """Delete VERSION (refused once it has been deployed, or while an alias names it)."""
    gateway = gateway_for(url, token)
    gateway.request("DELETE", _path("models", model_id, "versions", version))
    click.echo(f"deleted v{version} of {model_id}")


@models.command(name="history")
@click.argument("model_id")
@_json_option
@url_option
@_token_option
def history(model_id: str, as_json: bool, url: str | None, token: str | None) -> None:
    """The model's append-only history, oldest first."""
    reply = gateway_for(url, token).request("GET", _path("models", model_id, "history"))

    def render(console: Console, data: dict[str, Any]) -> None:
        for e in data["events"]:
            what = e["alias"] or e["tag_key"] or e["account_id"]
            console.print(f"{e['time']} {e['kind']} v{e['version']} {what} by {e['actor']}")

    _emit(reply, as_json, render)


@models.command(name="deployed")
@click.argument("account_id")
@_at_option
@_json_option
@url_option
@_token_option
def deployed(
    account_id: str, at: datetime | None, as_json: bool, url: str | None, token: str | None
) -> None:
    """Which model versions are deployed on ACCOUNT_ID now (or were --at a past time)."""
    params = {"account_id": account_id, **_iso(at)}
    reply = gateway_for(url, token).request("GET", _path("model-deployments"), params=params)

    def render(console: Console, data: dict[str, Any]) -> None:
        if not data["deployments"]:
            console.print("nothing deployed")
        for d in data["deployments"]:
            console.print(f"{d['model_id']} v{d['version']} {d['mode']} since {d['start_time']}")

    _emit(reply, as_json, render)
